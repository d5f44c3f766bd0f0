// Redis outages during a 2,000-task run across two real worker processes: Redis shut down part-way
// and restarted, then FLUSHALL: every task COMPLETED exactly once. While Redis is away an idle
// worker still picks tasks up by polling; once it is back, pick-up is immediate again (pub/sub).
import { expect } from 'chai';
import Redis from 'ioredis';
import type { TaskWorker } from '../../lib/index';
import { countTasks, openSuite } from '../support/harness';
import { REDIS_URL, uniquePrefix, type TestDialect } from '../support/services';
import { ensureServicesUp, flushRedis, startRedis, stopRedis } from '../support/service-control';
import { waitFor } from '../support/wait';
import { cleanupWorkers, countBy, faultDir, readRecords, WorkerProcess } from '../support/worker-process';

const TASKS = 2000;
/** Long on purpose: a pick-up much faster than this can only come from a pub/sub wake-up. */
const POLL_S = 5;

for (const dialect of ['postgres', 'mariadb'] as TestDialect[]) {
  describe(`fault: Redis outages during a 2,000-task run [${dialect}]`, function () {
    this.timeout(180_000);
    let tw: TaskWorker;
    const channelPrefix = uniquePrefix('redis-outage');

    before(async function () {
      tw = await openSuite(this, dialect, 'fault_redis', { withRedis: true, channelPrefix });
    });
    afterEach(async function () {
      await cleanupWorkers(this);
    });
    after(async () => {
      await ensureServicesUp();
      await tw?.close();
    });

    const completed = () => countTasks(tw, "status = 'COMPLETED'");

    /** Creates a task while the workers are idle; resolves with claim time minus creation time. */
    async function pickUpMs(): Promise<number> {
      const task = await tw.createTask('fault.work');
      const done = await waitFor('the probe to complete', async () => {
        const row = await tw.store.get(task.id);
        return row?.status === 'COMPLETED' ? row : undefined;
      }, (POLL_S + 5) * 1000);
      return done.startedAt! - done.createdAt;
    }

    async function subscribers(): Promise<number> {
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      try {
        const reply = (await redis.call('PUBSUB', 'NUMSUB', `${channelPrefix}:created`)) as [string, number];
        return Number(reply[1]);
      } finally {
        redis.disconnect();
      }
    }

    it('Redis stopped, restarted and flushed mid-run: every task COMPLETED exactly once; polling meanwhile, pub/sub after', async () => {
      const dir = faultDir('redis-outage');
      await tw.createTasks(Array.from({ length: TASKS }, () => ({ name: 'fault.work', kwargs: { ms: 10 } })));
      const common = { databaseUrl: tw.config.databaseUrl, faultDir: dir, concurrency: 4, leaseTime: 2, pollInterval: POLL_S,
        redisUrl: REDIS_URL, config: { channelPrefix } };
      const workers = await Promise.all([1, 2].map((n) => WorkerProcess.start({ ...common, label: `redis-worker-${n}` })));

      await waitFor('400 done', async () => (await completed()) >= 400, 60_000);
      await stopRedis();
      const atStop = await completed();
      await waitFor('the run to go on without Redis', async () => (await completed()) >= atStop + 500, 60_000);
      await startRedis();
      await waitFor('both workers to resubscribe', async () => (await subscribers()) === 2, 30_000, 100);
      await waitFor('1,400 done', async () => (await completed()) >= 1400, 60_000);
      await flushRedis(REDIS_URL);
      const atFlush = await completed();
      console.log(`      Redis stopped at ${atStop} done, FLUSHALL at ${atFlush} done (of ${TASKS})`);
      expect(atFlush, 'the flush came in the middle of the run').to.be.below(TASKS);
      await waitFor(`all ${TASKS} COMPLETED`, async () => (await completed()) === TASKS, 120_000, 200);

      const finishes = countBy(readRecords(dir), 'done');
      expect(finishes.size, 'every task ran').to.equal(TASKS);
      expect([...finishes.values()].filter((n) => n !== 1), 'tasks run more than once').to.deep.equal([]);
      for (const worker of workers) {
        expect(worker.alive).to.equal(true);
        expect(worker.hasLog('Redis unavailable: polling the database until it is back'), `${worker.options.label} noticed`).to.equal(true);
        expect(worker.hasLog('Redis connection restored'), `${worker.options.label} reconnected`).to.equal(true);
      }

      // Idle workers, Redis away: a new task is found by the next poll.
      await stopRedis();
      const polled = await pickUpMs();
      await startRedis();
      await waitFor('both workers to resubscribe', async () => (await subscribers()) === 2, 30_000, 100);
      // This test's own client must have reconnected too, or it would send no wake-up at all.
      await waitFor('the test client to reconnect', () => (tw as unknown as { redis: { ready: boolean } }).redis.ready, 30_000);
      // Back on pub/sub: every pick-up far below the poll interval.
      const woken: number[] = [];
      for (let i = 0; i < 5; i++) woken.push(await pickUpMs());
      console.log(`      pick-up with Redis down: ${polled} ms (poll ${POLL_S} s); after it returned: ${woken.join(', ')} ms`);
      expect(polled).to.be.at.most(POLL_S * 1000 + 1000);
      expect(Math.max(...woken)).to.be.below(1000);
      for (const worker of workers) expect(await worker.stop()).to.equal(0);
    });
  });
}
