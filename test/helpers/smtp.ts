import { EventEmitter, once } from 'node:events';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  raw: string;
  subject: string;
  /** The client asked for SMTPUTF8 (RFC 6531) on MAIL FROM. */
  smtpUtf8: boolean;
}

/** A real SMTP server in this process that keeps what it receives. */
export class TestSmtpServer {
  readonly received: ReceivedMail[] = [];
  /** Every command line a client sent, as it came over the wire (what smtp-server's envelope decodes). */
  readonly commands: string[] = [];
  readonly #server: SMTPServer;
  readonly #arrivals = new EventEmitter();
  port = 0;

  /** `offerSmtpUtf8: false` plays a server that does not advertise SMTPUTF8. */
  constructor(options: { offerSmtpUtf8?: boolean } = {}) {
    this.#server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      hideSMTPUTF8: options.offerSmtpUtf8 === false,
      // Only the client's commands are kept: smtp-server logs each one as ({ tnx: 'command' }, 'C:', line).
      logger: {
        debug: (entry: { tnx?: unknown }, _message: unknown, line: unknown) => {
          if (entry.tnx === 'command' && typeof line === 'string') this.commands.push(line);
        },
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const subject = /^Subject: (.*)$/m.exec(raw)?.[1]?.trim() ?? '';
          this.received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw, subject, smtpUtf8: session.envelope.smtpUtf8 === true });
          this.#arrivals.emit('mail');
          callback();
        });
      },
    });
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** `port`: a fixed one, to play a server that comes back where the app expects it (default: any free port). */
  async start(port = 0): Promise<void> {
    this.#server.listen(port, '127.0.0.1');
    await once(this.#server.server, 'listening');
    const address = this.#server.server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    this.port = address.port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
  }

  /**
   * Resolves as soon as `count` messages have arrived in all (on arrival, not by polling); rejects
   * after `timeoutMs`, which only bounds a failing test.
   */
  async waitFor(count: number, timeoutMs = 5000): Promise<void> {
    let onMail = (): void => undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        onMail = () => {
          if (this.received.length >= count) resolve();
        };
        this.#arrivals.on('mail', onMail);
        onMail();
        timer = setTimeout(() => {
          reject(new Error(`${this.received.length} of ${count} messages arrived within ${timeoutMs} ms`));
        }, timeoutMs);
      });
    } finally {
      this.#arrivals.off('mail', onMail);
      clearTimeout(timer);
    }
  }

  /** Messages to `address` whose subject contains `subject`. */
  to(address: string, subject?: string): ReceivedMail[] {
    return this.received.filter((m) => m.to.includes(address) && (subject === undefined || m.subject.includes(subject)));
  }
}
