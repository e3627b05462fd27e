import assert from 'node:assert/strict';
import { rawRequest, type RawAnswer } from '../helpers/raw_http.ts';
import fc from 'fast-check';
import { pino, type Logger } from 'pino';
import type { Envelope } from './arbitraries.ts';

/**
 * The fuzz suites' runner: a fixed seed (CI runs the same inputs every time) and a small number of
 * runs per property by default; `FUZZ_SEED=<n>` tries other inputs and `FUZZ_RUNS=<n>` runs longer,
 * e.g. `FUZZ_RUNS=2000 FUZZ_SEED=$RANDOM npx mocha test/fuzz/*.test.ts`.
 */
export const FUZZ_SEED = Number(process.env['FUZZ_SEED'] ?? 20261113);
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 0);

/** fast-check's settings for one property: `runs` by default, FUZZ_RUNS when set. */
export function fuzzOptions<T>(runs: number, examples: T[] = []): fc.Parameters<[T]> {
  return { seed: FUZZ_SEED, numRuns: RUNS > 0 ? RUNS : runs, examples: examples.map((e): [T] => [e]) };
}

/** Runs an async property with the suite's settings; a failure names the seed and the shrunk input. */
export async function fuzz<T>(arbitrary: fc.Arbitrary<T>, runs: number, predicate: (value: T) => Promise<void>, examples: T[] = []): Promise<void> {
  await fc.assert(fc.asyncProperty(arbitrary, predicate), fuzzOptions(runs, examples));
}

/**
 * The app's log, captured: every line, parsed. Secrets the test learns (passwords, codes, tokens,
 * cookie values) are registered; `assertClean` fails if one appears in any line, or if any line was
 * logged at level error or above (a 5xx, a crash). The logger has no redaction: the code must never
 * pass a secret to it, so the fuzz checks that, not the safety net (lib/logger.ts).
 */
export class LogWatch {
  readonly lines: Record<string, unknown>[] = [];
  readonly logger: Logger;
  readonly #secrets = new Map<string, string>();

  constructor() {
    this.logger = pino({ level: 'debug' }, { write: (line: string) => this.lines.push(JSON.parse(line) as Record<string, unknown>) });
  }

  /** A value that must never be logged; `what` names it in the failure. */
  secret(what: string, value: string | undefined): void {
    if (value !== undefined && value.length >= 6) this.#secrets.set(value, what);
  }

  /**
   * Every cookie value of a Cookie header, but the interaction's: its value is the interaction uid,
   * which is in every interaction URL (and so in the request log's paths) by oidc-provider's design.
   */
  cookies(header: string): void {
    for (const pair of header.split(';')) {
      const [name = '', value = ''] = pair.trim().split(/=(.*)/s);
      if (!name.startsWith('_interaction')) this.secret(`the cookie ${name}`, value);
    }
  }

  mark(): number {
    return this.lines.length;
  }

  /** The errors logged since `from`, with their stacks: what a failing request left behind. */
  errorsSince(from: number): string {
    return this.lines.slice(from).filter((l) => typeof l['level'] === 'number' && l['level'] >= 50).map((l) => JSON.stringify(l)).join('\n');
  }

  /** Fails when a line since `from` holds one of `values` (what a request sent in a secret field). */
  assertNotLoggedSince(from: number, values: readonly string[], path = ''): void {
    // Only values no log line could hold by chance: long, varied, and not a word of the request's path.
    const distinctive = values.filter((v) => v.trim().length >= 8 && new Set(v).size >= 5 && !path.includes(v));
    if (distinctive.length === 0) return;
    for (const line of this.lines.slice(from)) {
      const text = stringsOf(line).join('\n');
      for (const value of distinctive) assert.ok(!text.includes(value), `a submitted secret was logged: ${JSON.stringify(line).slice(0, 400)}`);
    }
  }

  assertClean(): void {
    for (const line of this.lines) {
      assert.ok(typeof line['level'] !== 'number' || line['level'] < 50, `logged at level ${String(line['level'])}: ${JSON.stringify(line).slice(0, 1500)}`);
      const text = stringsOf(line).join('\n');
      for (const [value, what] of this.#secrets) {
        const pattern = new RegExp(`(?<![0-9A-Za-z])${escapeRegExp(value)}(?![0-9A-Za-z])`);
        assert.ok(!pattern.test(text), `${what} is in the log: ${JSON.stringify(line).slice(0, 600)}`);
      }
    }
  }
}

/** Every string in a log line, keys included, so a secret is found whatever the JSON escaping. */
function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [k, ...stringsOf(v)]);
  return [];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export type Answer = RawAnswer;

/** One request exactly as given: any method, raw path, duplicated headers, any bytes. */
export function send(origin: string, method: string, path: string, headers: Record<string, string | string[]>, body?: Buffer): Promise<Answer> {
  // A body always states its length: Node sends DELETE or OPTIONS bodies unframed otherwise.
  const framing: Record<string, string> = body === undefined ? {} : { 'content-length': String(body.length) };
  return rawRequest(new URL(origin), method, path, { accept: 'text/html', ...framing, ...headers }, body);
}

/** Posts an envelope with the browser's cookies (and any extra headers). */
export function post(origin: string, path: string, envelope: Envelope, headers: Record<string, string | string[]> = {}): Promise<Answer> {
  return send(origin, 'POST', path, { ...envelope.headers, ...headers }, envelope.body);
}

/** What no answer may show: a stack, a file path, a runtime error's name or text. */
const LEAKS = [
  /\bat [\w.<>]+ \(?[^)\s]+:\d+:\d+\)?/, /node_modules/, /\/work\//, /\.ts:\d+/,
  /\b(?:SyntaxError|TypeError|RangeError|ReferenceError|URIError|ZodError)\b/, /Cannot (?:read|convert|set) /, /is not a function/,
  /Maximum call stack/, /\bECONN\w+/,
];
/**
 * What no page may show: a library's own error text (the body parser's, zod's). The admin API's
 * JSON errors name the field with zod's message on purpose (docs/admin-api.md).
 */
const PAGE_LEAKS = [
  /request entity too large/i, /invalid JSON/i, /Unexpected (?:token|end of JSON)/, /Unsupported (?:Content-Encoding|charset)/i,
  /invalid urlencoded/i, /too many parameters/i, /Invalid (?:input|option)/, /Too (?:big|small): expected/, /request aborted/i,
];

/**
 * The product answered, not a library or the runtime: below 500; a page in the product's layout,
 * a JSON object (with `error` when it refuses), a redirect, or a download; nothing that leaks.
 */
export function assertProductAnswer(answer: Answer, context: string, logged = ''): void {
  const where = `${context}\n→ ${answer.status} ${answer.headers.get('content-type') ?? ''} ${answer.body.replace(/^[\s\S]*<\/header>/, '').slice(0, 400)}${logged ? `\nlogged: ${logged.slice(0, 3000)}` : ''}`;
  assert.ok(answer.status >= 200 && answer.status < 500, `not below 500 — ${where}`);
  for (const leak of LEAKS) assert.doesNotMatch(answer.body, leak, `leaks ${String(leak)} — ${where}`);
  if (answer.status >= 300 && answer.status < 400) {
    assert.ok(answer.headers.get('location'), `a redirect without a Location — ${where}`);
    return;
  }
  const type = answer.headers.get('content-type') ?? '';
  if (/^text\/html/.test(type)) {
    assert.match(answer.body, /<span class="brand-name">/, `not the product's page — ${where}`);
    for (const leak of PAGE_LEAKS) assert.doesNotMatch(answer.body, leak, `shows a library's words ${String(leak)} — ${where}`);
  } else if (/^application\/json/.test(type)) {
    const parsed = JSON.parse(answer.body) as unknown;
    assert.ok(parsed !== null && typeof parsed === 'object', `JSON that is not an object — ${where}`);
    if (answer.status >= 400) assert.equal(typeof (parsed as Record<string, unknown>)['error'], 'string', `a JSON error without \`error\` — ${where}`);
  } else if (answer.status === 204 || (answer.status === 200 && /^text\/(?:csv|plain)/.test(type))) {
    // A download (the recovery code, a CSV export) or nothing.
  } else {
    assert.fail(`an answer that is neither a page, JSON, nor a download — ${where}`);
  }
}

/** Crashes the fuzz would otherwise miss: a rejection nobody awaited, an exception outside a request. */
export function watchProcess(): { assertNone(): void; stop(): void } {
  const seen: unknown[] = [];
  const record = (err: unknown): void => {
    seen.push(err);
  };
  process.on('unhandledRejection', record);
  process.on('uncaughtException', record);
  return {
    assertNone: () => {
      assert.deepEqual(seen.map(String), [], 'an unhandled error');
    },
    stop: () => {
      process.off('unhandledRejection', record);
      process.off('uncaughtException', record);
    },
  };
}

/** The process still serves after the fuzz. */
export async function assertAlive(origin: string): Promise<void> {
  const health = await send(origin, 'GET', '/healthz', {});
  assert.equal(health.status, 200, 'the process stopped answering');
}
