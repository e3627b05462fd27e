import { once } from 'node:events';
import { createServer, type Server } from 'node:http';

export interface SentSms {
  to: string;
  from: string | null;
  body: string;
}

/** `hang`: the request is read and never answered (a gateway that has stalled). */
export type StubMode = 'ok' | 'error500' | 'error500-once' | 'error400' | 'hang';

/**
 * A local stand-in for Twilio's Messages API, with the same request and response shape:
 * POST /2010-04-01/Accounts/{sid}/Messages.json, form-encoded, basic auth, 201 with JSON.
 */
export class TwilioStub {
  readonly sent: SentSms[] = [];
  readonly accountSid = 'ACtest0000000000000000000000000000';
  readonly authToken = 'stub-auth-token';
  mode: StubMode = 'ok';
  requests = 0;
  #server: Server | undefined;
  port = 0;

  get env(): Record<string, string> {
    return {
      SMS_GATEWAY: 'twilio',
      TWILIO_ACCOUNT_SID: this.accountSid,
      TWILIO_AUTH_TOKEN: this.authToken,
      TWILIO_FROM: '+15005550006',
      TWILIO_API_BASE: `http://127.0.0.1:${this.port}`,
    };
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests++;
        const expectedPath = `/2010-04-01/Accounts/${this.accountSid}/Messages.json`;
        const expectedAuth = `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`;
        if (req.method !== 'POST' || req.url !== expectedPath || req.headers.authorization !== expectedAuth) {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"code":20003,"message":"Authenticate"}');
          return;
        }
        if (this.mode === 'hang') return;
        if (this.mode === 'error500' || (this.mode === 'error500-once' && this.requests === 1)) {
          res.writeHead(500, { 'content-type': 'application/json' }).end('{"code":20500,"message":"Internal Server Error SECRET-DETAIL"}');
          return;
        }
        if (this.mode === 'error400') {
          res.writeHead(400, { 'content-type': 'application/json' }).end('{"code":21211,"message":"Invalid To Phone Number SECRET-DETAIL"}');
          return;
        }
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const message = { to: form.get('To') ?? '', from: form.get('From'), body: form.get('Body') ?? '' };
        this.sent.push(message);
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ sid: `SM${this.sent.length}`, status: 'queued', ...message }));
      });
    });
    this.#server = server;
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    this.port = address.port;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  }

  /** The code in the last message to `to`. */
  lastCode(to: string): string {
    const message = this.sent.filter((m) => m.to === to).at(-1);
    const code = /code is (\d{6})/.exec(message?.body ?? '')?.[1];
    if (!code) throw new Error(`no code sent to ${to}`);
    return code;
  }
}
