// Execution order after a restart, as in the seed: a worker that starts over a mixed backlog runs
// the PENDING tasks first (in creation order), then the retryable FAILED ones whose backoff has
// passed (in the order their retries became due), even though the FAILED ones are older.
import { expect } from 'chai';
import type { TaskWorker } from '../../lib/index';
import { openSuite } from '../support/harness';
import { ALL_DIALECTS } from '../support/services';
import { waitFor } from '../support/wait';
import { cleanupWorkers, faultDir, readRecords, WorkerProcess } from '../support/worker-process';

for (const dialect of ALL_DIALECTS) {
  describe(`fault: execution order after restart [${dialect}]`, function () {
    let tw: TaskWorker;

    before(async function () {
      tw = await openSuite(this, dialect, 'fault_order');
    });
    afterEach(async function () {
      await cleanupWorkers(this);
    });
    after(async () => tw?.close());

    it('a restarted worker (concurrency 1) runs PENDING first, then retryable FAILED, each in order', async () => {
      const dir = faultDir('order');
      const common = { databaseUrl: tw.config.databaseUrl, faultDir: dir, concurrency: 1, retry: 1, leaseTime: 2, pollInterval: 0.2,
        // First retry 1-2 s after the failure: long enough to stop the first worker before it retries.
        config: { backoffBase: 2 } };
      const failing = await tw.createTasks(Array.from({ length: 3 }, () => ({ name: 'fault.work', kwargs: { failFirst: true } })));
      const first = await WorkerProcess.start({ ...common, label: 'before-restart' });
      await waitFor('3 retryable failures', async () => {
        const rows = await Promise.all(failing.map((t) => tw.store.get(t.id)));
        return rows.every((t) => t!.status === 'FAILED' && t!.runAt !== null);
      });
      expect(await first.stop()).to.equal(0);

      const pending = await tw.createTasks(Array.from({ length: 3 }, () => ({ name: 'fault.work' })));
      const failed = (await Promise.all(failing.map((t) => tw.store.get(t.id)))).map((t) => t!);
      expect(failed.map((t) => t.retryCount)).to.deep.equal([0, 0, 0]); // not retried before the restart
      const dueOrder = [...failed].sort((a, b) => a.runAt! - b.runAt! || (a.id < b.id ? -1 : 1)).map((t) => t.id);
      await waitFor('every retry to be due', () => failed.every((t) => t.runAt! <= Date.now()), 10_000);

      const second = await WorkerProcess.start({ ...common, label: 'after-restart' });
      const all = [...pending, ...failing].map((t) => t.id);
      await waitFor('all 6 COMPLETED', async () => {
        const rows = await Promise.all(all.map((id) => tw.store.get(id)));
        return rows.every((t) => t!.status === 'COMPLETED');
      });
      const order = readRecords(dir).filter((r) => r.pid === second.pid && r.event === 'start').map((r) => r.id);
      expect(order).to.deep.equal([...pending.map((t) => t.id), ...dueOrder]);
      expect(await second.stop()).to.equal(0);
    });
  });
}
