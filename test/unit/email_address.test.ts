import assert from 'node:assert/strict';
import { z } from 'zod';
import { emailLookupKey, parseDomain, parseEmailAddress, type EmailProblem } from '../../directory/email_address.ts';

const NFD = (s: string): string => s.normalize('NFD');

describe('email addresses', () => {
  describe('accepted, with what is stored, routed and looked up', () => {
    const cases: [string, { address: string; asciiDomain: string; key: string }][] = [
      ['alice@acme.test', { address: 'alice@acme.test', asciiDomain: 'acme.test', key: 'alice@acme.test' }],
      ['Bob.Builder@Bayside.TEST', { address: 'Bob.Builder@Bayside.TEST', asciiDomain: 'bayside.test', key: 'bob.builder@bayside.test' }],
      ["o'neil+tag_1-x@sub.acme.test", { address: "o'neil+tag_1-x@sub.acme.test", asciiDomain: 'sub.acme.test', key: "o'neil+tag_1-x@sub.acme.test" }],
      ['Zoë.Ortiz@Kestrel.example', { address: 'Zoë.Ortiz@Kestrel.example', asciiDomain: 'kestrel.example', key: 'zoë.ortiz@kestrel.example' }],
      [NFD('Zoë.Ortiz@Kestrel.example'), { address: 'Zoë.Ortiz@Kestrel.example', asciiDomain: 'kestrel.example', key: 'zoë.ortiz@kestrel.example' }],
      ['josé@bücher.example', { address: 'josé@bücher.example', asciiDomain: 'xn--bcher-kva.example', key: 'josé@xn--bcher-kva.example' }],
      ['JOSÉ@XN--BCHER-KVA.example', { address: 'JOSÉ@XN--BCHER-KVA.example', asciiDomain: 'xn--bcher-kva.example', key: 'josé@xn--bcher-kva.example' }],
      ['safe@BÜCHER.example', { address: 'safe@BÜCHER.example', asciiDomain: 'xn--bcher-kva.example', key: 'safe@xn--bcher-kva.example' }],
      ['zoë@例え.テスト', { address: 'zoë@例え.テスト', asciiDomain: 'xn--r8jz45g.xn--zckzah', key: 'zoë@xn--r8jz45g.xn--zckzah' }],
      ['用户@例子.广告', { address: '用户@例子.广告', asciiDomain: 'xn--fsqu00a.xn--4rr70v', key: '用户@xn--fsqu00a.xn--4rr70v' }],
      ['ΟΔΥΣΣΕΑΣ@ελλάδα.gr', { address: 'ΟΔΥΣΣΕΑΣ@ελλάδα.gr', asciiDomain: 'xn--hxakic4aa.gr', key: 'οδυσσεας@xn--hxakic4aa.gr' }],
      ['δοκιμή@παράδειγμα.δοκιμή', { address: 'δοκιμή@παράδειγμα.δοκιμή', asciiDomain: 'xn--hxajbheg2az3al.xn--jxalpdlp', key: 'δοκιμή@xn--hxajbheg2az3al.xn--jxalpdlp' }],
      ['Straße@x.de', { address: 'Straße@x.de', asciiDomain: 'x.de', key: 'straße@x.de' }],
      ['राम@उदाहरण.भारत', { address: 'राम@उदाहरण.भारत', asciiDomain: 'xn--p1b6ci4b4b3a.xn--h2brj9c', key: 'राम@xn--p1b6ci4b4b3a.xn--h2brj9c' }],
      ['a@exàmple。com', { address: 'a@exàmple。com', asciiDomain: 'xn--exmple-jta.com', key: 'a@xn--exmple-jta.com' }],
      [`${'é'.repeat(32)}@c.test`, { address: `${'é'.repeat(32)}@c.test`, asciiDomain: 'c.test', key: `${'é'.repeat(32)}@c.test` }],
    ];
    for (const [input, expected] of cases) {
      it(JSON.stringify(input), () => {
        const parsed = parseEmailAddress(input);
        assert.ok(parsed.ok, `refused: ${JSON.stringify(parsed)}`);
        assert.deepEqual(parsed.email, expected);
      });
    }
  });

  describe('refused', () => {
    const cases: [string, string, EmailProblem][] = [
      ['no @', 'alice.acme.test', 'no_at'],
      ['empty', '', 'no_at'],
      ['space in the local part', 'zoë ortiz@kestrel.example', 'local_part'],
      ['no-break space', 'zoë\u00a0@kestrel.example', 'local_part'],
      ['ideographic space in the domain', 'a@例え\u3000テスト', 'domain'],
      ['surrounding space (callers trim)', ' alice@acme.test', 'local_part'],
      ['NUL', 'a\u0000@acme.test', 'local_part'],
      ['C1 control', 'a\u0085@acme.test', 'local_part'],
      ['newline in the domain', 'a@acme.test\n', 'domain'],
      ['bidi override', 'a\u202eb@acme.test', 'local_part'],
      ['zero-width joiner', 'jo\u200dse@acme.test', 'local_part'],
      ['a combining mark starting an atom', '\u0301a@acme.test', 'local_part'],
      ['emoji', '😀@acme.test', 'local_part'],
      ['fullwidth @ in the local part', 'a＠b@acme.test', 'local_part'],
      ['two @', 'a@b@acme.test', 'local_part'],
      ['empty local part', '@acme.test', 'local_part'],
      ['leading dot', '.a@acme.test', 'local_part'],
      ['trailing dot', 'a.@acme.test', 'local_part'],
      ['double dot', 'a..b@acme.test', 'local_part'],
      ['ends in an apostrophe', "a'@acme.test", 'local_part'],
      ['quoted local part', '"a b"@acme.test', 'local_part'],
      ['one-label domain', 'a@localhost', 'domain'],
      ['numeric top-level domain', 'a@1.2.3.4', 'domain'],
      ['domain literal', 'a@[192.0.2.1]', 'domain'],
      ['trailing dot in the domain', 'a@acme.test.', 'domain'],
      ['empty label', 'a@acme..test', 'domain'],
      ['label starting with a hyphen', 'a@-acme.test', 'domain'],
      ['U-label starting with a hyphen', 'a@-bücher.example', 'domain'],
      ['underscore in the domain', 'a@ac_me.test', 'domain'],
      ['URL syntax in the domain', 'a@x.test/b.com', 'domain'],
      ['percent-encoding in the domain', 'a@x%41.test', 'domain'],
      ['fullwidth solidus in the domain', 'a@x.y／b.com', 'domain'],
      ['undecodable A-label', 'a@xn--a.example', 'domain'],
      ['A-label of ASCII only', 'a@xn--ss-.example', 'domain'],
      ['empty A-label', 'a@xn--.example', 'domain'],
      ['disallowed code point in a U-label', 'a@a⒈b.example', 'domain'],
      ['bidi rule broken in a U-label', 'a@אa.example', 'domain'],
      ['local part over 64 bytes (33 × é)', `${'é'.repeat(33)}@c.test`, 'too_long'],
      ['local part over 64 bytes (ASCII)', `${'a'.repeat(65)}@c.test`, 'too_long'],
      ['label over 63', `a@${'b'.repeat(64)}.test`, 'too_long'],
      ['address over 254 bytes', `${'a'.repeat(10)}@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.test`, 'too_long'],
      ['huge input', `${'a'.repeat(5000)}@c.test`, 'too_long'],
    ];
    for (const [name, input, problem] of cases) {
      it(`${name}: ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)} → ${problem}`, () => {
        assert.deepEqual(parseEmailAddress(input), { ok: false, problem });
      });
    }
  });

  describe('one mailbox, one key', () => {
    const spellings: string[][] = [
      ['josé@bücher.example', 'JOSÉ@BÜCHER.EXAMPLE', NFD('josé@bücher.example'), 'josé@xn--bcher-kva.example', 'José@XN--BCHER-KVA.Example', ' josé@bücher.example '],
      ['zoë.ortiz@kestrel.example', 'Zoë.Ortiz@Kestrel.example', NFD('ZOË.ORTIZ@KESTREL.EXAMPLE')],
      ['alice@acme.test', 'Alice@ACME.test', '  ALICE@acme.TEST  '],
      ['οδυσσεας@ελλάδα.gr', 'ΟΔΥΣΣΕΑΣ@ΕΛΛΆΔΑ.GR', 'Οδυσσεας@xn--hxakic4aa.gr'],
    ];
    for (const group of spellings) {
      it(`${group[0]!} in ${group.length} spellings`, () => {
        const keys = new Set(group.map(emailLookupKey));
        assert.equal(keys.size, 1, [...keys].join(' ≠ '));
      });
    }
    it('different mailboxes keep different keys', () => {
      for (const [a, b] of [
        ['josé@bücher.example', 'jose@bucher.example'],
        ['straße@x.de', 'strasse@x.de'],
        ['ı@x.tr', 'i@x.tr'],
      ] as const) {
        assert.notEqual(emailLookupKey(a), emailLookupKey(b), `${a} vs ${b}`);
      }
    });
    it('an ASCII key is the address in lower case, as stored keys have always been', () => {
      assert.equal(emailLookupKey('Bob.Builder@Bayside.test'), 'bob.builder@bayside.test');
      assert.equal(emailLookupKey('not an address'), 'not an address');
      // An A-label domain was plain ASCII to the versions before internationalized addresses, which
      // indexed it in lower case: a key in Unicode would lose those accounts (and a re-import would
      // give them a new id, so a new `sub`).
      assert.equal(emailLookupKey('Bob@XN--BCHER-KVA.example'), 'bob@xn--bcher-kva.example');
      assert.equal(emailLookupKey('bob@bücher.example'), 'bob@xn--bcher-kva.example', 'the U-label finds the same account');
    });
  });

  describe('company domains', () => {
    const cases: [string, string][] = [ // the A-label form, or 'refused'
      ['acme.test', 'acme.test'],
      ['ACME.test', 'acme.test'],
      ['bücher.example', 'xn--bcher-kva.example'],
      ['XN--BCHER-KVA.example', 'xn--bcher-kva.example'],
      [NFD('BÜCHER.example'), 'xn--bcher-kva.example'],
      ['例え.テスト', 'xn--r8jz45g.xn--zckzah'],
      ['xn--a.example', 'refused'],
      ['not a domain', 'refused'],
      ['localhost', 'refused'],
      ['@acme.test', 'refused'],
    ];
    for (const [input, ascii] of cases) {
      it(`${JSON.stringify(input)} → ${ascii}`, () => {
        const parsed = parseDomain(input);
        assert.equal(parsed.ok ? parsed.ascii : 'refused', ascii);
      });
    }
  });

  /**
   * For ASCII the rule is the seed's old one (zod's z.email()) plus length limits and real A-labels:
   * random ASCII strings over the characters that matter get the same verdict from both.
   */
  it('ASCII verdicts match zod z.email() (10,000 random strings)', () => {
    const zodEmail = z.email();
    let state = 42;
    const random = (n: number): number => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return Math.floor((state / 2 ** 31) * n);
    };
    const pick = (pieces: string[], max: number): string => Array.from({ length: random(max + 1) }, () => pieces[random(pieces.length)]!).join('');
    const local = ['a', 'Z', '0', '_', "'", '+', '-', '.', 'b.c', 'xy', 'q', ' ', '"', '!', '@'];
    const domain = ['a', 'b9', '-', '.', 'co', 'm', '_', ' ', 'x.y', '1', '@']; // not "xn--": A-labels must now decode
    const ending = ['.test', '.test', '.co', '.Co', '', '.x', '.1', '.', '-'];
    let accepted = 0;
    for (let i = 0; i < 10_000; i++) {
      const input = `${pick(local, 4)}@${pick(domain, 4)}${pick(ending, 1)}`;
      const ours = parseEmailAddress(input).ok;
      assert.equal(ours, zodEmail.safeParse(input).success, JSON.stringify(input));
      if (ours) accepted++;
    }
    assert.ok(accepted > 150, `too few valid samples (${accepted}) to mean anything`);
  });
});
