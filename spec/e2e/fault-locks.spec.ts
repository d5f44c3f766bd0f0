// The cluster-wide lock that keeps the stale-lease sweep in one place at a time: Redlock while
// Redis answers, the database lock row without Redis, and the database lock too when Redis is
// connected but refuses the lock commands (so the sweep never stops cluster-wide).
import { expect } from 'chai';
import Redis from 'ioredis';
import pino from 'pino';
import type { TaskWorker } from '../../lib/index';
import { ClusterLocks } from '../../lib/locks';
import { RedisConnection } from '../../lib/redis';
import { openSuite } from '../support/harness';
import { ALL_DIALECTS, REDIS_URL, requireService, uniquePrefix } from '../support/services';
import { waitFor } from '../support/wait';

const silent = pino({ level: 'silent' });

/** Holds lock `name` as `holder` until the returned release() is called. */
async function hold(locks: ClusterLocks, name: string): Promise<{ got: boolean; release: () => Promise<void> }> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let entered!: (got: boolean) => void;
  const gotIt = new Promise<boolean>((resolve) => (entered = resolve));
  const run = locks.tryRun(name, 10_000, async () => {
    entered(true);
    await held;
  }).then((got) => {
    if (!got) entered(false);
  });
  const got = await gotIt;
  return { got, release: async () => { release(); await run; } };
}

for (const dialect of ALL_DIALECTS) {
  describe(`fault: sweep lock [${dialect}]`, function () {
    let tw: TaskWorker;
    const connections: RedisConnection[] = [];
    const prefix = uniquePrefix('locks');

    before(async function () {
      await requireService(this, 'redis');
      tw = await openSuite(this, dialect, 'fault_locks');
    });
    after(async () => {
      await Promise.all(connections.map((c) => c.close()));
      await tw?.close();
    });

    async function redisConnection(url = REDIS_URL): Promise<RedisConnection> {
      const connection = new RedisConnection({ url, password: undefined }, 'locks-test', silent);
      connections.push(connection);
      await waitFor('Redis ready', () => connection.ready, 5000);
      return connection;
    }

    async function exclusive(a: ClusterLocks, b: ClusterLocks, name: string): Promise<void> {
      const first = await hold(a, name);
      expect(first.got, 'the first holder gets the lock').to.equal(true);
      expect(await b.tryRun(name, 10_000, async () => undefined), 'the second is refused while it is held').to.equal(false);
      await first.release();
      let ran = false;
      expect(await b.tryRun(name, 10_000, async () => { ran = true; }), 'free again after release').to.equal(true);
      expect(ran).to.equal(true);
    }

    it('Redlock: one holder at a time across processes', async () => {
      const a = new ClusterLocks(tw.store.locks, 'owner-a', prefix, await redisConnection());
      const b = new ClusterLocks(tw.store.locks, 'owner-b', prefix, await redisConnection());
      await exclusive(a, b, 'redlock');
    });

    it('without Redis: the database lock row, one holder at a time', async () => {
      const a = new ClusterLocks(tw.store.locks, 'owner-a', prefix, undefined);
      const b = new ClusterLocks(tw.store.locks, 'owner-b', prefix, undefined);
      await exclusive(a, b, 'db-only');
    });

    it('a lock left by a crashed holder is taken over after its TTL', async () => {
      const b = new ClusterLocks(tw.store.locks, 'owner-b', prefix, undefined);
      expect(await tw.store.locks.tryLock('crashed', 'dead-owner', 300, Date.now())).to.equal(true); // never released
      expect(await b.tryRun('crashed', 10_000, async () => undefined)).to.equal(false);
      await waitFor('the TTL to pass', async () => b.tryRun('crashed', 10_000, async () => undefined), 5000, 50);
    });

    it('Redis connected but refusing the lock commands: the database lock decides instead', async () => {
      const admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      const user = `twlocks${process.pid}`;
      try {
        // A user that may connect but not run scripts: Redlock's commands fail with NOPERM.
        await admin.call('ACL', 'SETUSER', user, 'on', '>secret', '~*', '&*', '+@all', '-eval', '-evalsha');
        const refusing = await redisConnection(REDIS_URL.replace('redis://', `redis://${user}:secret@`));
        const a = new ClusterLocks(tw.store.locks, 'owner-a', prefix, refusing);
        const b = new ClusterLocks(tw.store.locks, 'owner-b', prefix, undefined);
        await exclusive(a, b, 'refused');
        await exclusive(b, a, 'refused-2');
      } finally {
        await admin.call('ACL', 'DELUSER', user).catch(() => undefined);
        admin.disconnect();
      }
    });
  });
}
