// The worker on every database, with and without Redis: results and timestamps, errors with their
// stack, retries with backoff, scheduled tasks, queues, concurrency, and wake-ups that do not wait
// for the poll interval.
import { expect } from 'chai';
import { currentTask, TaskRegistry, TaskWorker, type Worker } from '../../lib/index';
import { ALL_DIALECTS, REDIS_URL } from '../support/services';
import { clearTasks, openSuite } from '../support/harness';
import { waitFor } from '../support/wait';

function flakyRegistry(): { registry: TaskRegistry; attempts: Map<string, number>; barrier: { arrived: number; release?: () => void } } {
  const registry = new TaskRegistry();
  const attempts = new Map<string, number>();
  const barrier: { arrived: number; release?: () => void } = { arrived: 0 };
  registry.register('t.multiply', (a: number, b: number) => a * b);
  registry.register('t.echo', (...args: unknown[]) => ({ args, attempt: currentTask().attempt }));
  registry.register('t.object', () => ({ nested: { list: [1, 'two', null] } }));
  registry.register('t.boom', () => {
    throw new TypeError('bad input');
  });
  registry.register('t.throwString', () => {
    throw 'plain string'; // eslint-disable-line no-throw-literal
  });
  registry.register('t.bigint', () => 10n);
  registry.register('t.flaky', (failures: number) => {
    const { id } = currentTask();
    const n = (attempts.get(id) ?? 0) + 1;
    attempts.set(id, n);
    if (n <= failures) throw new Error(`attempt ${n} failed`);
    return n;
  });
  // Resolves only when four tasks are inside it at the same time.
  registry.register('t.together', async () => {
    barrier.arrived++;
    if (barrier.arrived === 4) barrier.release?.();
    await new Promise<void>((resolve) => {
      const previous = barrier.release;
      barrier.release = () => {
        previous?.();
        resolve();
      };
      if (barrier.arrived >= 4) barrier.release();
    });
    return 'together';
  });
  return { registry, attempts, barrier };
}

for (const dialect of ALL_DIALECTS) {
  for (const withRedis of [false, true]) {
    describe(`worker [${dialect}${withRedis ? ' + redis' : ''}]`, function () {
      let tw: TaskWorker;
      let worker: Worker;
      const { registry } = flakyRegistry();

      before(async function () {
        tw = await openSuite(this, dialect, `worker_${withRedis ? 'r' : 'n'}`, {
          registry, withRedis, concurrency: 4, retry: 1, backoffBase: 0.05, backoffCap: 0.2, pollInterval: 0.2,
        });
        worker = await tw.startWorker();
      });
      after(async () => tw?.close());

      it('runs a task and stores its JSON result with the seed timestamps', async () => {
        const task = await tw.createTask('t.multiply', { args: [6, 7] });
        const done = (await tw.waitForCompletion(task.id, { timeout: 10 }))!;
        expect(done.status).to.equal('COMPLETED');
        expect(done.result).to.equal('42');
        expect(done.resultValue).to.equal(42);
        expect(done.error).to.equal(null);
        expect(done.startedAt!.getTime()).to.be.at.least(done.createdAt.getTime());
        expect(done.finishedAt!.getTime()).to.be.at.least(done.startedAt!.getTime());
        expect(done.duration).to.be.a('number').and.at.least(0);
        expect(done.retryCount).to.equal(0);
        expect(done.lockedBy).to.equal(null);
      });

      it('passes kwargs as the last argument and keeps objects intact', async () => {
        const echo = await tw.createTask('t.echo', { args: [1, 'a'], kwargs: { k: true } });
        expect((await tw.waitForCompletion(echo.id, { timeout: 10 }))!.resultValue).to.deep.equal({ args: [1, 'a', { k: true }], attempt: 0 });
        const plain = await tw.createTask('t.echo', { args: [1] });
        expect((await tw.waitForCompletion(plain.id, { timeout: 10 }))!.resultValue).to.deep.equal({ args: [1], attempt: 0 });
        const object = await tw.createTask('t.object');
        expect((await tw.waitForCompletion(object.id, { timeout: 10 }))!.resultValue).to.deep.equal({ nested: { list: [1, 'two', null] } });
      });

      it('stores the error message and stack, retries per policy, then fails for good', async () => {
        const task = await tw.createTask('t.boom');
        const failed = (await tw.waitForCompletion(task.id, { timeout: 10 }))!;
        expect(failed.status).to.equal('FAILED');
        expect(failed.retryCount).to.equal(1); // the worker's retry: 1
        expect(failed.error).to.match(/^TypeError: bad input\n\s+at /);
        expect(failed.isFinal).to.equal(true);
      });

      it('retries with backoff until a flaky task succeeds', async () => {
        const task = await tw.createTask('t.flaky', { args: [2], maxRetries: 3 });
        const done = (await tw.waitForCompletion(task.id, { timeout: 10 }))!;
        expect(done.status).to.equal('COMPLETED');
        expect(done.resultValue).to.equal(3);
        expect(done.retryCount).to.equal(2);
      });

      it('does not retry a task with maxRetries 0', async () => {
        const task = await tw.createTask('t.flaky', { args: [1], maxRetries: 0 });
        const done = (await tw.waitForCompletion(task.id, { timeout: 10 }))!;
        expect(done.status).to.equal('FAILED');
        expect(done.retryCount).to.equal(0);
        expect(done.error).to.match(/attempt 1 failed/);
      });

      it('fails a task that throws a non-Error, or returns a non-JSON value, and lives on', async () => {
        const thrown = await tw.createTask('t.throwString', { maxRetries: 0 });
        expect((await tw.waitForCompletion(thrown.id, { timeout: 10 }))!.error).to.equal("Non-Error thrown: 'plain string'");
        const bigint = await tw.createTask('t.bigint', { maxRetries: 0 });
        expect((await tw.waitForCompletion(bigint.id, { timeout: 10 }))!.error).to.match(/ResultError: .*a BigInt/);
        const after = await tw.createTask('t.multiply', { args: [1, 1] });
        expect((await tw.waitForCompletion(after.id, { timeout: 10 }))!.status).to.equal('COMPLETED');
      });

      it('fails a task whose name no handler has', async () => {
        const anonymous = new TaskWorker({ databaseUrl: tw.config.databaseUrl, redisUrl: null, registry: new TaskRegistry(), logLevel: 'silent' });
        try {
          // createTask refuses a name no worker has recorded; such a row still arises (created before
          // any worker ran, or a deploy removed the handler), so it is written through the store here.
          const task = anonymous.client.buildRecord('t.nobody', { maxRetries: 0 }, Date.now(), 'spec', undefined);
          await anonymous.store.insert([task]);
          const failed = (await tw.waitForCompletion(task.id, { timeout: 10 }))!;
          expect(failed.status).to.equal('FAILED');
          expect(failed.error).to.match(/UnknownTaskError: unknown task "t\.nobody"/);
        } finally {
          await anonymous.close();
        }
      });

      it('does not start a scheduled task before its time', async () => {
        const runAt = new Date(Date.now() + 700);
        const task = await tw.createTask('t.multiply', { args: [1, 2], runAt });
        const done = (await tw.waitForCompletion(task.id, { timeout: 10 }))!;
        expect(done.status).to.equal('COMPLETED');
        expect(done.startedAt!.getTime()).to.be.at.least(runAt.getTime());
      });

      it('runs up to concurrency tasks at once', async () => {
        const tasks = await tw.createTasks(Array.from({ length: 4 }, () => ({ name: 't.together', timeout: 10 })));
        for (const task of tasks) expect((await tw.waitForCompletion(task.id, { timeout: 10 }))!.resultValue).to.equal('together');
      });

      it('wakes an idle worker in another process-like instance without waiting for its poll', async function () {
        // A second instance with a 30 s poll interval: only a notification can make it quick.
        await clearTasks(tw);
        const idle = new TaskWorker({
          databaseUrl: tw.config.databaseUrl, redisUrl: withRedis ? REDIS_URL : null, channelPrefix: tw.config.channelPrefix,
          pool: 'inline', registry, pollInterval: 30, logLevel: 'silent', queues: ['wake'],
        });
        try {
          const idleWorker = await idle.startWorker();
          await waitFor('the idle worker to finish its first poll', () => idleWorker.status === 'running');
          // Same instance: the in-process notifier; another instance: only Redis can reach it.
          const producer = withRedis ? tw : idle;
          const task = await producer.createTask('t.multiply', { args: [2, 2], queue: 'wake' });
          const done = await idle.waitForCompletion(task.id, { timeout: 10 });
          expect(done?.status).to.equal('COMPLETED');
          expect(done!.startedAt!.getTime() - task.createdAt.getTime()).to.be.below(10_000);
        } finally {
          await idle.close();
        }
      });

      it('takes only the queues it was given', async () => {
        const other = await tw.createTask('t.multiply', { args: [1, 1], queue: 'wake' }); // served only by the idle worker above, now stopped
        const mine = await tw.createTask('t.multiply', { args: [1, 1] });
        expect((await tw.waitForCompletion(mine.id, { timeout: 10 }))!.status).to.equal('COMPLETED');
        expect(worker.status).to.equal('running');
        // The main worker serves every queue, so it takes 'wake' too.
        expect((await tw.waitForCompletion(other.id, { timeout: 10 }))!.status).to.equal('COMPLETED');
        const limited = new TaskWorker({ databaseUrl: tw.config.databaseUrl, redisUrl: null, pool: 'inline', registry, pollInterval: 0.1,
          logLevel: 'silent', queues: ['only-this'] });
        try {
          await worker.stop();
          const ignored = await tw.createTask('t.multiply', { args: [1, 1], queue: 'elsewhere' });
          const served = await tw.createTask('t.multiply', { args: [1, 1], queue: 'only-this' });
          await limited.startWorker();
          expect((await limited.waitForCompletion(served.id, { timeout: 10 }))!.status).to.equal('COMPLETED');
          expect((await tw.getTask(ignored.id))!.status).to.equal('PENDING');
        } finally {
          await limited.close();
        }
      });
    });
  }
}
