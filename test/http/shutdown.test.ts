import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../helpers/redis_server.ts';
import { startIdp } from '../helpers/idp.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** Resolves with the first stdout line matching `pattern` (the server's logs are JSON lines); keeps reading after. */
function lineMatching(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find((l) => pattern.test(l));
      if (line === undefined) return;
      child.stdout?.off('data', onData);
      child.stdout?.resume();
      resolve(line);
    };
    child.stdout?.on('data', onData);
    child.once('exit', () => {
      reject(new Error(`exited before a line matching ${String(pattern)}: ${buffer.slice(0, 500)}`));
    });
  });
}

/** Waits (bounded) until the port refuses connections. */
async function refusedWithin(port: number, withinMs: number): Promise<boolean> {
  for (const start = Date.now(); Date.now() - start < withinMs; ) {
    if (await refusesConnections(port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => {
      resolve(true);
    });
  });
}

describe('shutting down', () => {
  it('/readyz answers 503 while draining, and responses close their connections', async () => {
    const running = await startIdp({ kind: 'memory' });
    try {
      assert.equal((await fetch(`${running.issuer}/readyz`)).status, 200);
      running.idp.beginShutdown();
      const ready = await fetch(`${running.issuer}/readyz`);
      assert.equal(ready.status, 503);
      assert.deepEqual(await ready.json(), { status: 'unavailable', reason: 'shutting down' });
      assert.equal(ready.headers.get('connection'), 'close');
      assert.equal((await fetch(`${running.issuer}/healthz`)).status, 200, 'still alive');
    } finally {
      await running.close();
    }
  });

  it('on SIGTERM: new connections are refused, a request in flight finishes, and the process exits 0', async function () {
    this.timeout(30_000);
    const port = await freePort();
    const child = spawn(process.execPath, [join(ROOT, 'server.ts')], { env: { PATH: process.env['PATH'] ?? '', PORT: String(port), LOG_LEVEL: 'info', SHUTDOWN_GRACE_SECONDS: '10' }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await lineMatching(child, /identity provider listening/);
      // A request whose body is still coming when the signal arrives.
      const inFlight = request({ host: '127.0.0.1', port, method: 'POST', path: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '40' } });
      const answered = once(inFlight, 'response');
      inFlight.write('grant_type=authorization_');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const exit = once(child, 'exit');
      child.kill('SIGTERM');
      assert.ok(await refusedWithin(port, 5000), 'new connections are refused');
      inFlight.end('code&code=x&client_id=xx');
      const [response] = (await answered) as [{ statusCode: number; resume(): void }];
      response.resume();
      assert.ok(response.statusCode >= 400 && response.statusCode < 500, `the in-flight request got its answer (${response.statusCode})`);
      const [code] = (await exit) as [number];
      assert.equal(code, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('npm start passes the signal on: killing npm stops the server', async function () {
    this.timeout(60_000);
    const port = await freePort();
    // Its own process group, so that whatever it started can be cleaned up whatever happens.
    const npm = spawn('npm', ['start', '--silent'], { cwd: ROOT, env: { ...process.env, PORT: String(port), LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    try {
      await lineMatching(npm, /identity provider listening/);
      assert.equal(await refusesConnections(port), false);
      npm.kill('SIGTERM');
      assert.ok(await refusedWithin(port, 20_000), 'the server stopped with npm');
    } finally {
      if (npm.pid !== undefined) {
        try {
          process.kill(-npm.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
});
