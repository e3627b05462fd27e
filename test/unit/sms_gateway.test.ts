import assert from 'node:assert/strict';
import { pino } from 'pino';
import { SmsSendError, twilioGateway } from '../../adapters/sms_gateway.ts';
import { TwilioStub } from '../helpers/twilio_stub.ts';

describe('Twilio gateway (against a local stub of the Messages API)', () => {
  const stub = new TwilioStub();
  const gateway = () =>
    twilioGateway({ kind: 'twilio', accountSid: stub.accountSid, authToken: stub.authToken, from: { from: '+15005550006' }, apiBase: `http://127.0.0.1:${stub.port}`, timeoutMs: 5000 }, pino({ level: 'silent' }));
  before(async () => {
    await stub.start();
  });
  after(async () => {
    await stub.stop();
  });
  beforeEach(() => {
    stub.mode = 'ok';
    stub.requests = 0;
    stub.sent.length = 0;
  });

  it('posts To, From and Body with basic auth and accepts 201', async () => {
    await gateway().send('+12015550123', 'hello');
    assert.deepEqual(stub.sent, [{ to: '+12015550123', from: '+15005550006', body: 'hello' }]);
  });

  it('retries once after a 5xx', async () => {
    stub.mode = 'error500-once';
    await gateway().send('+12015550123', 'hello');
    assert.equal(stub.requests, 2);
    assert.equal(stub.sent.length, 1);
  });

  it('gives up after a second 5xx, without the carrier’s error text', async () => {
    stub.mode = 'error500';
    await assert.rejects(gateway().send('+12015550123', 'x'), (err: unknown) => err instanceof SmsSendError && !err.message.includes('SECRET'));
    assert.equal(stub.requests, 2);
  });

  it('does not retry a 4xx', async () => {
    stub.mode = 'error400';
    await assert.rejects(gateway().send('+12015550123', 'x'), SmsSendError);
    assert.equal(stub.requests, 1);
  });

  it('reports an unreachable gateway after one retry', async () => {
    const down = twilioGateway({ kind: 'twilio', accountSid: 'AC1', authToken: 't', from: { messagingServiceSid: 'MG1' }, apiBase: 'http://127.0.0.1:9', timeoutMs: 5000 }, pino({ level: 'silent' }));
    await assert.rejects(down.send('+12015550123', 'x'), /unreachable/);
  });
});
