// Redis carries hints only: anyone who can publish on the server reaches every worker and every
// waiting client. A malformed, oversized or unexpected message on any channel is ignored; it never
// ends the process, and the work and the waits go on.
import { expect } from 'chai';
import Redis from 'ioredis';
import { TaskRegistry, TaskWorker } from '../../lib/index';
import { TASK_CHANNELS } from '../../lib/notifier/notifier';
import { openSuite } from '../support/harness';
import { REDIS_URL } from '../support/services';

const JUNK = ['null', 'not json', '42', '"text"', '[]', '{}', JSON.stringify({ id: 5 }), JSON.stringify({ ids: 5 }),
  JSON.stringify({ id: 'x', ids: 5 }), JSON.stringify({ id: 'x', ids: 'abc' }), JSON.stringify({ id: 'x', ids: [1, null] }),
  JSON.stringify({ id: 'x', queue: 7 }), JSON.stringify({ id: 'x', runAt: 'soon' }), JSON.stringify({ id: 'x', runAt: 1e300 }),
  JSON.stringify({ id: 'x', progress: 'half' }), JSON.stringify({ id: 'x'.repeat(2_000_000) })];

describe('malformed Redis messages [postgres]', function () {
  let worker: TaskWorker;
  let web: TaskWorker;
  let redis: Redis;
  const registry = new TaskRegistry();
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  registry.register('m.gated', async () => {
    await gate;
    return 'done';
  });
  registry.register('m.work', () => 'done');

  before(async function () {
    worker = await openSuite(this, 'postgres', 'redis_junk', { registry, withRedis: true, concurrency: 2 });
    await worker.startWorker();
    web = new TaskWorker({ databaseUrl: worker.config.databaseUrl, redisUrl: REDIS_URL, channelPrefix: worker.config.channelPrefix,
      registry, logLevel: 'silent' });
    redis = new Redis(REDIS_URL);
  });
  after(async () => {
    release();
    redis?.disconnect();
    await web?.close();
    await worker?.close();
  });

  it('are ignored by workers and by waiting clients on every channel; tasks still run and waits still end', async () => {
    const gated = await web.createTask('m.gated');
    const waiting = web.waitForCompletion(gated.id, { timeout: 30 });
    // Listening on every channel too, as the dashboard's live view does.
    const heard: string[] = [];
    const stop = await web.onProgress(gated.id, () => heard.push('progress'));
    for (const channel of TASK_CHANNELS) {
      for (const junk of JUNK) await redis.publish(`${worker.config.channelPrefix}:${channel}`, junk);
    }
    // A round trip on the same connection: every message above has been delivered before this answers.
    await redis.publish(`${worker.config.channelPrefix}:created`, JSON.stringify({ id: gated.id }));
    release();
    const done = await waiting;
    expect(done?.status).to.equal('COMPLETED');
    const next = await web.createTask('m.work');
    expect((await web.waitForCompletion(next.id, { timeout: 30 }))?.status).to.equal('COMPLETED');
    stop();
    expect(heard).to.deep.equal([]);
  });
});
