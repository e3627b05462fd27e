import type fc from 'fast-check';
import type { Envelope } from './arbitraries.ts';
import { assertProductAnswer, fuzz, post, send, type Answer } from './harness.ts';
import type { FuzzWorld } from './world.ts';

/** Where a form is posted in the state it is used in: its path, the browser's cookies, and the values a placeholder stands for. */
export interface FormTarget {
  path: string;
  cookie: string;
  /** Placeholders in the generated input (e.g. `QQCODEQQ`) and what they stand for now (the valid code). */
  substitutions?: Record<string, string>;
  headers?: Record<string, string>;
}

export interface FormFuzz {
  runs: number;
  envelope: fc.Arbitrary<Envelope>;
  /** Brings the app to the state the form is used in; called again once a request moved it on. */
  target: () => Promise<FormTarget>;
  /** Whether the answer moved the state on (a sign-in finished, a session ended): then `target` runs again. */
  moved?: (answer: Answer) => boolean;
  method?: 'POST' | 'PUT';
  examples?: Envelope[];
}

/** A redirect that leaves the interaction: the step finished (oidc-provider resumes at /auth/…) or the app got its answer. */
export function leftTheStep(answer: Answer): boolean {
  const location = answer.headers.get('location') ?? '';
  return answer.status >= 300 && answer.status < 400 && !/^\/interaction\//.test(location);
}

/** Posts hostile submissions of one form; each answer must be the product's, and no submitted secret may reach the log. */
export async function fuzzForm(world: FuzzWorld, options: FormFuzz): Promise<void> {
  let target = await options.target();
  const seen = new Map<string, number>();
  await fuzz(
    options.envelope,
    options.runs,
    async (envelope) => {
      const sent = substitute(envelope, target.substitutions ?? {});
      const mark = world.logs.mark();
      const answer = options.method === 'PUT'
        ? await send(world.origin, 'PUT', target.path, { ...sent.headers, cookie: target.cookie, ...target.headers }, sent.body)
        : await post(world.origin, target.path, sent, { cookie: target.cookie, ...target.headers });
      assertProductAnswer(answer, `${options.method ?? 'POST'} ${target.path} ${shown(sent)}`, world.logs.errorsSince(mark));
      world.logs.assertNotLoggedSince(mark, sent.secrets, target.path);
      const key = `${answer.status} ${answer.body.match(/<h1>([^<]*)<\/h1>/)?.[1] ?? answer.body.match(/"(?:message|error_description)":"([^:"]*)/)?.[1] ?? answer.headers.get('location')?.replace(/\?.*/, '').replace(/^https?:\/\/[^/]+/, '').replace(/\/(interaction|auth)\/[\w-]+/, '/$1/:uid') ?? ''}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
      if ((options.moved ?? leftTheStep)(answer)) target = await options.target();
    },
    options.examples,
  );
  // FUZZ_VERBOSE=1 shows what the answers were, to see how deep the inputs got.
  if (process.env['FUZZ_VERBOSE']) console.log(`      ${target.path.replace(/\/interaction\/[^/]+/, '/interaction/:uid')}: ${[...seen].map(([k, n]) => `${n}× ${k}`).join(', ')}`);
}

/** The envelope with its placeholders replaced (byte for byte, so any encoding survives; a compressed body keeps them). */
export function substitute(envelope: Envelope, values: Record<string, string>): Envelope {
  const entries = Object.entries(values);
  if (entries.length === 0 || envelope.headers['content-encoding'] !== undefined) return envelope;
  let text = envelope.body.toString('latin1');
  let secrets = envelope.secrets;
  for (const [placeholder, value] of entries) {
    text = text.replaceAll(placeholder, Buffer.from(value, 'utf8').toString('latin1'));
    secrets = secrets.map((s) => s.replaceAll(placeholder, value));
  }
  return { ...envelope, body: Buffer.from(text, 'latin1'), secrets };
}

/** An envelope as a person reads it: its label, headers and body text. */
export function shown(envelope: Envelope): string {
  return `(${envelope.label}) ${JSON.stringify(envelope.headers)} ${JSON.stringify(envelope.body.toString('utf8').slice(0, 800))}`;
}
