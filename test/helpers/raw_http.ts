import { Agent, request } from 'node:http';

export interface RawAnswer {
  status: number;
  headers: Headers;
  body: string;
}

/** Keep-alive, like a browser: lighter than a connection per request for the bench's driver. */
const agent = new Agent({ keepAlive: true });

/**
 * One HTTP request over node:http, sent as given (the path raw, headers repeated when given as a
 * list), with the answer's headers as a Headers object. The flows' Browser and the fuzz suite use it.
 */
export function rawRequest(origin: URL, method: string, path: string, headers: Record<string, string | string[]>, body?: string | Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: origin.hostname, port: origin.port, method, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const answerHeaders = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) answerHeaders.append(res.rawHeaders[i] ?? '', res.rawHeaders[i + 1] ?? '');
        resolve({ status: res.statusCode ?? 0, headers: answerHeaders, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
