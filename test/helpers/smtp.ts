import { once } from 'node:events';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  raw: string;
  subject: string;
}

/** A real SMTP server in this process that keeps what it receives. */
export class TestSmtpServer {
  readonly received: ReceivedMail[] = [];
  readonly #server: SMTPServer;
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
          const subject = /^Subject: (.*)$/m.exec(raw)?.[1]?.trim() ?? '';
          this.received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw, subject });
          callback();
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

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
  }

  /** Messages to `address` whose subject contains `subject`. */
  to(address: string, subject?: string): ReceivedMail[] {
    return this.received.filter((m) => m.to.includes(address) && (subject === undefined || m.subject.includes(subject)));
  }
}
