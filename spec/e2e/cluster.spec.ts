// Two real tw-worker processes, concurrency 4 each, drain 2,000 tasks on every database: every
// task runs and completes exactly once, none is left behind, and both processes take part.
import { expect } from 'chai';
import { rmSync } from 'node:fs';
import type { TaskWorker } from '../../lib/index';
import { openSuite, statusCounts } from '../support/harness';
import { ALL_DIALECTS, REDIS_URL } from '../support/services';
import { waitFor } from '../support/wait';
import { cleanupWorkers, countBy, faultDir, readRecords, WorkerProcess } from '../support/worker-process';

const TASKS = 2000;

for (const dialect of ALL_DIALECTS) {
  describe(`cluster of two worker processes [${dialect} + redis]`, function () {
    this.timeout(180_000);
    let tw: TaskWorker;

    before(async function () {
      tw = await openSuite(this, dialect, 'cluster', { withRedis: true });
    });
    after(async () => tw?.close());
    afterEach(async function () {
      await cleanupWorkers(this);
    });

    it(`completes each of ${TASKS} tasks exactly once`, async () => {
      const dir = faultDir(`cluster-${dialect}`);
      const common = {
        databaseUrl: tw.config.databaseUrl, redisUrl: REDIS_URL, faultDir: dir, concurrency: 4,
        config: { channelPrefix: tw.config.channelPrefix },
      };
      const workers = await Promise.all([
        WorkerProcess.start({ ...common, label: `${dialect}-a` }),
        WorkerProcess.start({ ...common, label: `${dialect}-b` }),
      ]);
      const tasks = await tw.createTasks(Array.from({ length: TASKS }, (_, i) => ({ name: 'fault.work', args: [{ ms: i % 50 === 0 ? 5 : 0 }] })));
      await waitFor('every task to finish', async () => (await statusCounts(tw)).COMPLETED === TASKS, 150_000, 200);

      expect(await statusCounts(tw)).to.deep.equal({ COMPLETED: TASKS });
      const records = readRecords(dir);
      const done = countBy(records, 'done');
      expect(done.size).to.equal(TASKS);
      expect([...done.values()].every((n) => n === 1), 'a task ran twice').to.equal(true);
      expect(new Set(tasks.map((t) => t.id))).to.deep.equal(new Set(done.keys()));
      // Both processes took work (each process has its pool threads, all writing under its pid).
      expect(new Set(records.map((r) => r.pid)).size).to.be.at.least(2);
      for (const worker of workers) expect(await worker.stop()).to.equal(0);
      rmSync(dir, { recursive: true, force: true });
    });
  });
}
