import { gzipSync } from 'node:zlib';
import fc from 'fast-check';

/**
 * Hostile input for the fuzz suites: strings from every Unicode plane, lone surrogates, NUL and the
 * characters parsers care about; form bodies with arrays where scalars go (repeated fields), qs-style
 * nesting (`a[b]=c`, `a.b=c`), prototype keys and duplicated parameters; JSON of the wrong shape;
 * and envelopes with the wrong content type, charset or coding, or a body just over the limit.
 */

/** What a form or JSON parser, a template or a log line might treat specially. */
const SPECIAL_CHARS = [
  '\u0000', '&', '=', '+', '%', '[', ']', '.', ';', ',', '"', "'", '<', '>', '\\', '/', '?', '#', ' ',
  '\n', '\r', '\t', '\u0085', '\u00a0', '\u2028', '\u2029', '\ufeff', '\ufffd', '\u202e', '\u200b',
  // Lone surrogates: not encodable as UTF-8; a parser that assumes well-formed strings trips on them.
  '\ud800', '\udbff', '\udc00', '\udfff',
  '\u{1f600}', '\u{10ffff}', '\u{e0001}', '\u{2f800}', 'é', 'e\u0301', 'İ', 'ß', 'ﬀ', '０', '٣', 'Ⅻ',
];

/** Values that mean something to JavaScript, templates, dates, numbers or paths. */
const EDGE_VALUES = [
  '', ' ', '\u0000', 'null', 'undefined', 'NaN', 'Infinity', '-0', '1e309', '0x10', '-1', '9'.repeat(40),
  'true', 'false', '{}', '[]', '[object Object]', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty',
  '../../../etc/passwd', '%00', '%', '%zz', '%uD800', '%ED%A0%80', '<script>alert(1)</script>', '"><img src=x>',
  '<%= process.env %>', '${7*7}', '{{7*7}}', "' OR '1'='1", 'a\u0000b', '2024-02-30', '0000-00-00', '9999-99-99',
  '+1', '+0000000000000000', 'Etc/Unknown', '../UTC', 'mailto:a@b', 'a@b', '@', 'a@', '@b', 'a@b@c', 'x@[127.0.0.1]',
  'xn--', 'xn--zz', 'ascii@xn--ls8h.la', 'a@\u0000.test', 'A'.repeat(255) + '@b.test',
];

const longString = fc
  .tuple(fc.constantFrom('a', '9', 'é', '\u{1f600}', '\u0000', '%', '[', '\ud800', ' '), fc.integer({ min: 256, max: 4000 }))
  .map(([unit, count]) => unit.repeat(count));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 48 }) },
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom(...SPECIAL_CHARS), maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 48 }) },
  { weight: 2, arbitrary: fc.constantFrom(...EDGE_VALUES) },
  { weight: 1, arbitrary: longString },
);

/** A plausible value (so the request gets past the first check; the first one most often), alone or with hostile text around it. */
export function nearly(...valid: string[]): fc.Arbitrary<string> {
  const base = fc.constantFrom(...valid);
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(valid[0] ?? '') },
    { weight: 3, arbitrary: base },
    { weight: 2, arbitrary: fc.tuple(base, hostileString).map(([v, h]) => v + h) },
    { weight: 2, arbitrary: fc.tuple(hostileString, base).map(([h, v]) => h + v) },
    { weight: 1, arbitrary: base.map((v) => v.toUpperCase()) },
    { weight: 1, arbitrary: base.map((v) => Array.from(v).join('\u200b')) },
    { weight: 3, arbitrary: hostileString },
  );
}

/** One raw `key=value` segment of a urlencoded body or a query string. */
export type Segment = { key: string; value: string } | { raw: string };

/**
 * Percent-encodes like a form, byte for byte: lone surrogates become their (invalid) three UTF-8
 * bytes, as a broken client or an attacker would send them, instead of throwing like encodeURIComponent.
 */
export function formEncode(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(text.slice(i, i + 2));
      i++;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      out += `%${(0xe0 | (unit >> 12)).toString(16)}%${(0x80 | ((unit >> 6) & 0x3f)).toString(16)}%${(0x80 | (unit & 0x3f)).toString(16)}`.toUpperCase();
    } else {
      out += encodeURIComponent(text[i] ?? '');
    }
  }
  return out;
}

export function encodeSegments(segments: readonly Segment[]): string {
  return segments.map((s) => ('raw' in s ? s.raw : `${formEncode(s.key)}=${formEncode(s.value)}`)).join('&');
}

/** Broken percent-encoding and separators, sent as they are. */
const RAW_SEGMENTS = ['%', '%z', '%zz', '%FF', '%C0%80', '%ED%A0%80', '%F4%90%80%80', '&&&', '=', '==', '&=&', 'a', 'a[', 'a]', '[]=x', '.=x', '%5B%5D=x', '+', ';'];

/** Another spelling of a field's name: repeated, as an array, nested (qs brackets and dots), or a prototype key. */
const nameVariant = (name: string): fc.Arbitrary<string> =>
  fc.constantFrom(
    `${name}[]`, `${name}[0]`, `${name}[1]`, `${name}[a]`, `${name}[a][b]`, `${name}.a`, `${name}[__proto__]`, `${name}[constructor]`,
    `${name}[toString]`, `${name}[length]`, `${name}[999999]`, `${name}[][]`, `${name}[0][0]`, name.toUpperCase(), ` ${name}`, `${name}\u0000`,
  );

const strangerName = fc.oneof(
  fc.constantFrom('__proto__', '__proto__[x]', 'constructor[prototype][x]', 'hasOwnProperty', 'toString', 'valueOf', '', '[]', '[x]', '.x', 'a.b.c.d.e.f.g', `${'a['.repeat(30)}x`),
  hostileString,
);

export interface FormShape {
  /** The fields the form has, each with what to fill it with. */
  fields: Record<string, fc.Arbitrary<string>>;
  /** Sent as they are most of the time (the CSRF token): the fuzz must get past the guard to reach the parser. */
  fixed?: Record<string, string>;
}

/** The segments of one hostile submission of the form. */
export function formSegments(shape: FormShape): fc.Arbitrary<Segment[]> {
  const perField = Object.entries(shape.fields).map(([name, values]) =>
    fc.oneof(
      { weight: 1, arbitrary: fc.constant<Segment[]>([]) },
      { weight: 6, arbitrary: values.map((value): Segment[] => [{ key: name, value }]) },
      { weight: 2, arbitrary: fc.array(values, { minLength: 2, maxLength: 4 }).map((vs) => vs.map((value): Segment => ({ key: name, value }))) },
      { weight: 2, arbitrary: fc.tuple(nameVariant(name), values).map(([key, value]): Segment[] => [{ key, value }]) },
      { weight: 1, arbitrary: fc.array(values, { minLength: 21, maxLength: 40 }).map((vs) => vs.map((value, i): Segment => ({ key: `${name}[${i}]`, value }))) },
    ),
  );
  const perFixed = Object.entries(shape.fixed ?? {}).map(([name, value]) =>
    fc.oneof(
      { weight: 8, arbitrary: fc.constant<Segment[]>([{ key: name, value }]) },
      { weight: 1, arbitrary: fc.constant<Segment[]>([{ key: name, value }, { key: name, value }]) },
      { weight: 1, arbitrary: hostileString.map((h): Segment[] => [{ key: name, value: h }]) },
    ),
  );
  const extras = fc.array(
    fc.oneof(
      fc.tuple(strangerName, hostileString).map(([key, value]): Segment => ({ key, value })),
      fc.constantFrom(...RAW_SEGMENTS).map((raw): Segment => ({ raw })),
    ),
    { maxLength: 4 },
  );
  return fc.tuple(fc.tuple(...perField, ...perFixed), extras, fc.boolean()).map(([groups, more, extrasFirst]) => {
    const main = groups.flat();
    return extrasFirst ? [...more, ...main] : [...main, ...more];
  });
}

/** A JSON value of any shape, strings hostile: what an API may get where it expects a scalar. */
export const hostileJsonValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    fc.constantFrom(null, true, false, 0, -1, 1e308, -1e-308, Number.MAX_SAFE_INTEGER + 2, 0.5),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(hostileString, fc.constantFrom('__proto__', 'constructor', 'toString')), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** An object with the endpoint's keys, some filled with plausible values, others with anything. */
export function jsonObject(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(fields).map(([name, values]) =>
    fc.oneof(
      { weight: 1, arbitrary: fc.constant<[string, unknown][]>([]) },
      { weight: 8, arbitrary: values.map((v): [string, unknown][] => [[name, v]]) },
      { weight: 2, arbitrary: hostileJsonValue.map((v): [string, unknown][] => [[name, v]]) },
    ),
  );
  return fc.tuple(fc.tuple(...entries), fc.dictionary(strangerName, hostileJsonValue, { maxKeys: 3 })).map(([pairs, extra]) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(extra)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    for (const [k, v] of pairs.flat()) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    return out;
  });
}

/** JSON.stringify, except that the text may be broken, repeat a key, or nest past any sane depth. */
const MALFORMED_JSON = ['', '{', '}', '[', '{"a":}', '{"a" 1}', "{'a':1}", '{"a":1,}', 'nul', 'NaN', '"\\ud800"', '"\\u0000"', '{"__proto__":{"x":1}}', '1e999999', `${'['.repeat(5000)}${']'.repeat(5000)}`, `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`];

export function jsonText(body: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: body.map((b) => JSON.stringify(b)) },
    { weight: 1, arbitrary: body.map((b) => JSON.stringify(b).replace(/^\{/, '{"required":true,').replace(/,\}$/, '}')) },
    { weight: 1, arbitrary: hostileJsonValue.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.constantFrom(...MALFORMED_JSON) },
    { weight: 1, arbitrary: fc.tuple(body, fc.nat()).map(([b, n]) => JSON.stringify(b).slice(0, n % 40)) },
  );
}

/** How the body is sent: its headers and bytes. */
export interface Envelope {
  label: string;
  headers: Record<string, string | string[]>;
  body: Buffer;
  /** What the request sent in fields that hold secrets: none of it may be logged. */
  secrets: string[];
}

/** Fields whose values are secrets (a password, a code, a token) wherever they are posted. */
const SECRET_FIELDS = new Set(['password', 'current_password', 'new_password', 'code', 'recovery_code', 'token', '_csrf', 'xsrf', 'refresh_token', 'access_token', 'client_secret', 'code_verifier', 'id_token_hint']);

/** The base name of a (possibly nested) field: `code[0]` and `code.a` are `code`. */
function baseName(key: string): string {
  return key.replace(/[[.].*$/, '').trim();
}

function secretsOf(segments: readonly Segment[]): string[] {
  return segments.flatMap((s) => ('raw' in s || !SECRET_FIELDS.has(baseName(s.key)) ? [] : [s.value]));
}

function jsonSecretsOf(body: Record<string, unknown>): string[] {
  return Object.entries(body).flatMap(([k, v]) => (SECRET_FIELDS.has(k) && typeof v === 'string' ? [v] : []));
}

export const FORM = 'application/x-www-form-urlencoded';
/** The body parsers' limit (interactions/forms.ts, the admin API): "just over" it must be a 413. */
export const BODY_LIMIT = 16 * 1024;

function multipart(segments: readonly Segment[]): Envelope {
  const boundary = '----fuzzBoundary7MA4YWxkTrZu0gW';
  const parts = segments.map((s) => ('raw' in s ? s.raw : `--${boundary}\r\nContent-Disposition: form-data; name="${s.key}"\r\n\r\n${s.value}\r\n`));
  return { label: 'multipart', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body: Buffer.from(`${parts.join('')}--${boundary}--\r\n`), secrets: secretsOf(segments) };
}

/** A body's text and the secrets in it, before it is wrapped. */
interface Payload {
  text: string;
  secrets: string[];
}

const wrap = (label: string, headers: Record<string, string | string[]>) => (p: Payload): Envelope => ({ label, headers, body: Buffer.from(p.text), secrets: p.secrets });

/** A form submission in every wrapping a client might (mis)use. */
export function formEnvelope(shape: FormShape): fc.Arbitrary<Envelope> {
  const segments = formSegments(shape);
  const form = segments.map((s): Payload => ({ text: encodeSegments(s), secrets: secretsOf(s) }));
  const asObject = (s: readonly Segment[]): Record<string, unknown> => Object.fromEntries(s.flatMap((x) => ('raw' in x ? [] : [[x.key, x.value]])));
  return fc.oneof(
    { weight: 16, arbitrary: form.map(wrap('form', { 'content-type': FORM })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(form, fc.constantFrom('utf-8', 'UTF8', 'latin1', 'iso-8859-1', 'utf-16le', 'utf-32', 'bogus', '""', 'utf-8; charset=latin1'))
        .map(([p, charset]) => wrap(`form; charset=${charset}`, { 'content-type': `${FORM}; charset=${charset}` })(p)),
    },
    { weight: 1, arbitrary: jsonPayload(segments.map(asObject)).map(wrap('json', { 'content-type': 'application/json' })) },
    { weight: 1, arbitrary: form.map(wrap('text/plain', { 'content-type': 'text/plain' })) },
    { weight: 1, arbitrary: segments.map(multipart) },
    { weight: 1, arbitrary: form.map(wrap('no content type', {})) },
    ...envelopeTricks(form, FORM),
  );
}

function jsonPayload(body: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Payload> {
  return body.chain((b) => jsonText(fc.constant(b)).map((text): Payload => ({ text, secrets: jsonSecretsOf(b) })));
}

/** A JSON API body in every wrapping a client might (mis)use. */
export function jsonEnvelope(body: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Envelope> {
  const json = jsonPayload(body);
  const asForm = body.map((b): Payload => {
    const segments = Object.entries(b).map(([key, v]): Segment => ({ key, value: typeof v === 'string' ? v : (JSON.stringify(v) ?? '') }));
    return { text: encodeSegments(segments), secrets: secretsOf(segments) };
  });
  return fc.oneof(
    { weight: 16, arbitrary: json.map(wrap('json', { 'content-type': 'application/json' })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(json, fc.constantFrom('application/json; charset=utf-8', 'application/json; charset=latin1', 'application/json; charset=utf-16', 'application/vnd.api+json', 'application/scim+json', 'APPLICATION/JSON', 'application/json;;'))
        .map(([p, type]) => wrap(type, { 'content-type': type })(p)),
    },
    { weight: 1, arbitrary: asForm.map(wrap('form', { 'content-type': FORM })) },
    { weight: 1, arbitrary: json.map(wrap('text/plain', { 'content-type': 'text/plain' })) },
    { weight: 1, arbitrary: json.map(wrap('no content type', {})) },
    { weight: 1, arbitrary: body.map((b) => multipart(Object.entries(b).map(([key, v]) => ({ key, value: typeof v === 'string' ? v : (JSON.stringify(v) ?? '') })))) },
    ...envelopeTricks(json, 'application/json'),
  );
}

/** Compressed, wrongly compressed, twice typed, oddly typed, or just over the size limit. */
function envelopeTricks(payload: fc.Arbitrary<Payload>, type: string): { weight: number; arbitrary: fc.Arbitrary<Envelope> }[] {
  return [
    { weight: 1, arbitrary: payload.map((p): Envelope => ({ label: 'gzip', headers: { 'content-type': type, 'content-encoding': 'gzip' }, body: gzipSync(p.text), secrets: p.secrets })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(payload, fc.constantFrom('gzip', 'deflate', 'br', 'x-bogus', 'identity, gzip', 'GZIP'))
        .map(([p, coding]) => wrap(`bad ${coding}`, { 'content-type': type, 'content-encoding': coding })(p)),
    },
    { weight: 1, arbitrary: payload.map(wrap('two content types', { 'content-type': [type, type === FORM ? 'application/json' : FORM] })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(payload, fc.constantFrom('*/*', 'application/*', `${FORM};;;`, `${FORM}, application/json`, 'text/html', 'application/xml', 'application/octet-stream', 'x'))
        .map(([p, odd]) => wrap(`odd type ${odd}`, { 'content-type': odd })(p)),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(payload, fc.integer({ min: 1, max: 256 })).map(([p, over]) =>
        wrap('just over the limit', { 'content-type': type })({
          text: type === FORM ? `${p.text}&pad=${'x'.repeat(BODY_LIMIT + over)}` : `{"pad":"${'x'.repeat(BODY_LIMIT + over)}"}`,
          secrets: p.secrets,
        }),
      ),
    },
  ];
}

/** A query string with the given parameters, hostile and repeated. */
export function queryString(shape: FormShape): fc.Arbitrary<string> {
  return formSegments(shape).map((segments) => {
    // Node refuses a request head over 16 kB before the app sees it (431): keep the URL under it.
    const kept = [...segments];
    while (encodeSegments(kept).length > URL_BUDGET) kept.pop();
    return encodeSegments(kept);
  });
}

const URL_BUDGET = 8 * 1024;

/** One envelope written out, for a regression example: a body sent with these headers. */
export function envelopeOf(label: string, headers: Record<string, string>, body: string | Buffer): Envelope {
  return { label, headers, body: typeof body === 'string' ? Buffer.from(body) : body, secrets: [] };
}
