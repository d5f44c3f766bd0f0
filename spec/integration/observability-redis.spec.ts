// What Redis adds to seeing and steering work, between two TaskWorkers that share only the database
// and the Redis server (a web app and a worker process): onProgress hears each progress write at
// once, a malformed message on the channel changes nothing, a cancel reaches the worker without
// waiting for its heartbeat, a pause without waiting for its poll. The storage behind these runs on
// every database in observability.spec.ts; here one database (PostgreSQL) is enough.
import { expect } from 'chai';
import Redis from 'ioredis';
import { currentTask, TaskRegistry, TaskWorker, type TaskProgress } from '../../lib/index';
import { openSuite } from '../support/harness';
import { REDIS_URL } from '../support/services';
import { waitFor } from '../support/wait';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('observability with Redis [postgres]', function () {
  let worker: TaskWorker;
  let web: TaskWorker;
  let redis: Redis;
  const registry = new TaskRegistry();
  registry.register('r.progress', async (steps: number) => {
    for (let i = 1; i <= steps; i++) {
      currentTask().progress((i * 100) / steps, { step: i });
      await sleep(150);
    }
    return steps;
  });
  registry.register('r.waitAbort', () => {
    const { signal } = currentTask();
    currentTask().progress(1);
    return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
  });
  registry.register('r.work', () => 'done');

  before(async function () {
    // A 30 s lease (a heartbeat every 10 s) and a 30 s poll: only Redis can make a cancel or a pause quick.
    worker = await openSuite(this, 'postgres', 'observe_redis', { registry, withRedis: true, leaseTime: 30, pollInterval: 30, concurrency: 2 });
    await worker.startWorker();
    web = new TaskWorker({ databaseUrl: worker.config.databaseUrl, redisUrl: REDIS_URL, channelPrefix: worker.config.channelPrefix,
      registry, logLevel: 'silent', pollInterval: 30 });
    redis = new Redis(REDIS_URL);
  });
  after(async () => {
    redis?.disconnect();
    await web?.close();
    await worker?.close();
  });

  it('onProgress in another process hears each write at once; malformed messages on the channel are ignored', async () => {
    const task = await web.createTask('r.progress', { args: [6] });
    const heard: TaskProgress[] = [];
    const stop = await web.onProgress(task.id, (p) => heard.push(p));
    const channel = `${worker.config.channelPrefix}:progress`;
    // Anyone who can publish on the server: none of these may crash a listener or reach it.
    for (const junk of ['not json', 'null', '42', '[]', JSON.stringify({ id: task.id }), JSON.stringify({ id: task.id, progress: { percent: 'x', at: 1 } }),
      JSON.stringify({ id: task.id, progress: { percent: 500, at: Date.now() } }), JSON.stringify({ id: 7, progress: { percent: 1, at: 1 } })]) {
      await redis.publish(channel, junk);
    }
    const done = await web.waitForCompletion(task.id, { timeout: 15 });
    expect(done?.status).to.equal('COMPLETED');
    await waitFor('the last report', () => heard.some((p) => p.percent === 100));
    stop();
    expect(heard.length).to.be.at.least(2); // writes every 0.5 s over ~0.9 s, and the last with the outcome
    for (const p of heard) {
      expect(p.percent).to.be.within(0, 100);
      expect(p.info).to.have.property('step');
    }
  });

  it('a cancel from another process reaches the worker through Redis, not at its heartbeat 10 s later', async () => {
    const task = await web.createTask('r.waitAbort');
    await waitFor('the handler to run', async () => (await web.getTask(task.id))?.progress, 10_000, 50);
    const requested = await web.cancel(task.id, 'from the web app');
    const failed = await web.waitForCompletion(task.id, { timeout: 8 });
    expect(failed).to.include({ status: 'FAILED', errorCode: 'TW_CANCELLED', error: 'CancelledError: cancelled by an operator: from the web app' });
    expect(failed!.finishedAt!.getTime() - requested.updatedAt.getTime()).to.be.below(5000);
  });

  it('a pause from another process reaches the worker through Redis, not at its next poll 30 s later', async () => {
    const before = await web.createTask('r.work', { queue: 'mail' });
    expect((await web.waitForCompletion(before.id, { timeout: 10 }))?.status).to.equal('COMPLETED');
    const reads: string[][] = [];
    const paused = worker.store.queues.paused.bind(worker.store.queues);
    worker.store.queues.paused = async () => {
      const names = await paused();
      reads.push(names);
      return names;
    };
    await web.admin.pauseQueue('mail');
    await waitFor('the worker to read the pause, long before its next poll', () => reads.some((names) => names.includes('mail')), 5000);
    const held = await web.createTask('r.work', { queue: 'mail' });
    const other = await web.createTask('r.work', { queue: 'default' });
    expect((await web.waitForCompletion(other.id, { timeout: 10 }))?.status).to.equal('COMPLETED');
    expect((await web.getTask(held.id))?.status).to.equal('PENDING');
    await web.admin.resumeQueue('mail');
    expect((await web.waitForCompletion(held.id, { timeout: 5 }))?.status).to.equal('COMPLETED');
  });
});
