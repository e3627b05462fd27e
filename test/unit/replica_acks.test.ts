import assert from 'node:assert/strict';
import { pino } from 'pino';
import { ReplicaAcks, ReplicationUnconfirmed, type MasterLink } from '../../adapters/redis/replica_acks.ts';

/** A master that answers WAIT with `acked` and INFO with `connected` replicas, and records what it was sent. */
function fakeMaster(state: { acked: number; connected: number }): MasterLink & { sent: string[] } {
  const sent: string[] = [];
  return {
    id: {},
    sent,
    send: (args) => {
      sent.push(args[0] ?? '');
      if (args[0] === 'WAIT') return Promise.resolve(state.acked);
      return Promise.resolve(`# Replication\r\nrole:master\r\nconnected_slaves:${state.connected}\r\n`);
    },
  };
}

describe('replica confirmation of durable writes (WAIT)', () => {
  let now = 0;
  const acksFor = (master: MasterLink) => new ReplicaAcks({ replicas: 1, timeoutMs: 500 }, () => Promise.resolve(master), pino({ enabled: false }), () => now);

  it('a replica confirmed: done', async () => {
    const master = fakeMaster({ acked: 1, connected: 1 });
    await acksFor(master).confirm('k');
    assert.deepEqual(master.sent, ['WAIT']);
  });

  it('a connected replica that did not confirm in time: the write is not reported done', async () => {
    await assert.rejects(acksFor(fakeMaster({ acked: 0, connected: 1 })).confirm('k'), ReplicationUnconfirmed);
  });

  it('a master never seen with a replica (a promoted one): the write stands, and the next second skips WAIT', async () => {
    const master = fakeMaster({ acked: 0, connected: 0 });
    const acks = acksFor(master);
    await acks.confirm('k');
    await acks.confirm('k');
    assert.deepEqual(master.sent, ['WAIT', 'INFO']);
    now += 1001;
    await acks.confirm('k');
    assert.deepEqual(master.sent, ['WAIT', 'INFO', 'INFO'], 'after the memo, a cheap INFO before waiting again');
  });

  it('a master that has just lost its replica fails the write: that replica may be promoted without it', async () => {
    const state = { acked: 1, connected: 1 };
    const acks = acksFor(fakeMaster(state));
    await acks.confirm('k');
    state.acked = 0;
    state.connected = 0;
    now += 10_000;
    await assert.rejects(acks.confirm('k'), ReplicationUnconfirmed);
    now += 180_000;
    await acks.confirm('k');
  });

  it('acks off (REDIS_REPLICA_ACKS=0): nothing is sent', async () => {
    const master = fakeMaster({ acked: 0, connected: 1 });
    await new ReplicaAcks({ replicas: 0, timeoutMs: 500 }, () => Promise.resolve(master), pino({ enabled: false })).confirm('k');
    assert.deepEqual(master.sent, []);
  });
});
