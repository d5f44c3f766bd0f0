// Redis configured but absent must never hold a process: a client's close(), a worker's close()
// and tw-worker on ONE SIGTERM finish within a stated bound, both with Redis at an address where
// nothing listens and with the real Redis stopped after the connections were made. (ioredis's
// quit() on a connection that is not ready never settles; close() must not wait on it.)
import { expect } from 'chai';
import { TaskRegistry, TaskWorker } from '../../lib/index';
import { freshDatabase, REDIS_URL, requireService } from '../support/services';
import { ensureServicesUp, stopRedis } from '../support/service-control';
import { cleanupWorkers, faultDir, WorkerProcess } from '../support/worker-process';

/** Nothing listens here. */
const NOWHERE = 'redis://127.0.0.1:6390';
/** close() with Redis absent: the database close plus at most one bounded QUIT (1 s). */
const CLOSE_BOUND_MS = 3000;
/** tw-worker from SIGTERM to exit, idle worker, Redis absent. */
const EXIT_BOUND_MS = 5000;

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = Date.now();
  await fn();
  return Date.now() - started;
}

/** A client and a started worker on SQLite with `redisUrl`, a task created; then close() timed. */
async function closeClientAndWorker(redisUrl: string, label: string, beforeClose: () => Promise<void> = async () => undefined) {
  const databaseUrl = await freshDatabase('sqlite', label);
  const registry = new TaskRegistry();
  registry.register('absent.add', (a: number, b: number) => a + b);
  const client = new TaskWorker({ databaseUrl, redisUrl, logLevel: 'silent', registry });
  await client.migrate();
  await client.createTask('absent.add', { args: [1, 2] });
  const worker = new TaskWorker({ databaseUrl, redisUrl, logLevel: 'silent', registry, pool: 'inline', pollInterval: 0.2 });
  await worker.startWorker();
  await beforeClose();
  const clientMs = await timed(() => client.close());
  const workerMs = await timed(() => worker.close());
  return { clientMs, workerMs };
}

describe('Redis configured but absent: close() and SIGTERM do not hang', function () {
  this.timeout(60_000);

  afterEach(async function () {
    await cleanupWorkers(this);
  });

  describe(`at an address where nothing listens (${NOWHERE})`, () => {
    it(`a client's and a worker's close() return within ${CLOSE_BOUND_MS} ms`, async () => {
      const { clientMs, workerMs } = await closeClientAndWorker(NOWHERE, 'redis_nowhere');
      console.log(`      close(): client ${clientMs} ms, worker ${workerMs} ms`);
      expect(clientMs, 'client close (ms)').to.be.below(CLOSE_BOUND_MS);
      expect(workerMs, 'worker close (ms)').to.be.below(CLOSE_BOUND_MS);
    });

    it(`tw-worker exits 0 on one SIGTERM within ${EXIT_BOUND_MS} ms`, async () => {
      const databaseUrl = await freshDatabase('sqlite', 'redis_nowhere_cli');
      const seed = new TaskWorker({ databaseUrl, logLevel: 'silent' });
      await seed.migrate();
      await seed.close();
      const worker = await WorkerProcess.start({ label: 'nowhere', databaseUrl, redisUrl: NOWHERE, faultDir: faultDir('nowhere') });
      const started = Date.now();
      worker.signal('SIGTERM');
      const exit = await worker.waitExit(EXIT_BOUND_MS);
      console.log(`      SIGTERM to exit: ${Date.now() - started} ms`);
      expect(exit).to.deep.equal({ code: 0, signal: null });
    });
  });

  describe('the real Redis stopped after connecting', () => {
    before(async function () {
      await requireService(this, 'redis');
    });
    // Always: the machine is left with Redis running, whatever happened.
    after(async () => {
      await ensureServicesUp();
    });

    it(`a client's and a worker's close() return within ${CLOSE_BOUND_MS} ms`, async () => {
      try {
        const { clientMs, workerMs } = await closeClientAndWorker(REDIS_URL, 'redis_stopped', stopRedis);
        console.log(`      close(): client ${clientMs} ms, worker ${workerMs} ms`);
        expect(clientMs, 'client close (ms)').to.be.below(CLOSE_BOUND_MS);
        expect(workerMs, 'worker close (ms)').to.be.below(CLOSE_BOUND_MS);
      } finally {
        await ensureServicesUp();
      }
    });

    it(`tw-worker exits 0 on one SIGTERM within ${EXIT_BOUND_MS} ms`, async () => {
      const databaseUrl = await freshDatabase('sqlite', 'redis_stopped_cli');
      const seed = new TaskWorker({ databaseUrl, logLevel: 'silent' });
      await seed.migrate();
      await seed.close();
      try {
        const worker = await WorkerProcess.start({ label: 'stopped', databaseUrl, redisUrl: REDIS_URL, faultDir: faultDir('stopped') });
        await stopRedis();
        await worker.waitForLog('Redis unavailable: polling the database until it is back', 10_000);
        const started = Date.now();
        worker.signal('SIGTERM');
        const exit = await worker.waitExit(EXIT_BOUND_MS);
        console.log(`      SIGTERM to exit: ${Date.now() - started} ms`);
        expect(exit).to.deep.equal({ code: 0, signal: null });
      } finally {
        await ensureServicesUp();
      }
    });
  });
});
