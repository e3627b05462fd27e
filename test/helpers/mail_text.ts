/**
 * What a person reads in a message the test SMTP server received: the Subject header unfolded
 * (nodemailer folds a long one over several lines, RFC 5322 2.2.3) and the body decoded from its
 * transfer encoding (an em dash makes nodemailer pick quoted-printable, which wraps at 76 columns).
 */

function split(raw: string): { headers: string; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error('no header/body separator in the message');
  return { headers: raw.slice(0, end), body: raw.slice(end + 4) };
}

function header(headers: string, name: string): string | undefined {
  const unfolded = headers.replace(/\r\n(?=[ \t])/g, '');
  const line = unfolded.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

/** The Subject as the reader sees it. Our subjects are ASCII; an encoded word would be a surprise worth failing on. */
export function subjectOf(raw: string): string {
  const subject = header(split(raw).headers, 'Subject') ?? '';
  if (subject.includes('=?')) throw new Error(`encoded-word subject not decoded here: ${subject}`);
  return subject;
}

/** The text body, decoded, with LF line ends. */
export function textOf(raw: string): string {
  const { headers, body } = split(raw);
  const encoding = (header(headers, 'Content-Transfer-Encoding') ?? '7bit').toLowerCase();
  let text: string;
  if (encoding === 'quoted-printable') {
    const bytes = body.replace(/=\r\n/g, '').replace(/(?:=[0-9A-Fa-f]{2})+/g, (run) => Buffer.from(run.replace(/=/g, ''), 'hex').toString('latin1'));
    text = Buffer.from(bytes, 'latin1').toString('utf8');
  } else if (encoding === 'base64') {
    text = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  } else {
    text = body;
  }
  return text.replace(/\r\n/g, '\n');
}
