import { EventEmitter, once } from 'node:events';
import { SMTPServer } from 'smtp-server';
import type { ReceivedMail } from './smtp.ts';

/**
 * A real SMTP server that accepts only as many messages as the test allows and holds the next: its
 * data is in, the reply is not sent, so the client's send is still in flight. It plays "the instance
 * is shut down in the middle of sending" at a message the test chooses, without racing a timer.
 */
export class GatedSmtpServer {
  readonly received: ReceivedMail[] = [];
  readonly #server: SMTPServer;
  readonly #events = new EventEmitter();
  /** Messages still allowed through before the gate holds one. */
  #allowance = 0;
  #held: (() => void)[] = [];
  port = 0;

  constructor() {
    this.#server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const accept = (): void => {
            const subject = /^Subject: (.*)$/m.exec(raw)?.[1]?.trim() ?? '';
            this.received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw, subject, smtpUtf8: session.envelope.smtpUtf8 === true });
            callback();
          };
          if (this.#allowance > 0) {
            this.#allowance -= 1;
            accept();
            return;
          }
          this.#held.push(accept);
          this.#events.emit('held');
        });
      },
    });
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server.server, 'listening');
    const address = this.#server.server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    this.port = address.port;
  }

  /** Resolves once a message is being held (on arrival, not by polling). */
  async waitForHeld(timeoutMs = 5000): Promise<void> {
    if (this.#held.length > 0) return;
    await once(this.#events, 'held', { signal: AbortSignal.timeout(timeoutMs) });
  }

  /** Lets `count` more messages through, the held ones first (in arrival order); the next is held. */
  allow(count: number): void {
    this.#allowance += count;
    while (this.#allowance > 0 && this.#held.length > 0) {
      this.#allowance -= 1;
      this.#held.shift()!();
    }
  }

  /** Accepts the held messages and every later one. */
  open(): void {
    this.allow(Number.POSITIVE_INFINITY);
  }

  async stop(): Promise<void> {
    this.open();
    await new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
  }
}
