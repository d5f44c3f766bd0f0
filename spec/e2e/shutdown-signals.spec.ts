// Graceful shutdown of a real tw-worker process: SIGTERM lets the running tasks finish and claims
// nothing more, exit code 0; a second signal stops at once and hands the tasks back (PENDING,
// claimable), none left in PROGRESS.
import { expect } from 'chai';
import type { TaskWorker } from '../../lib/index';
import { openSuite } from '../support/harness';
import { ALL_DIALECTS } from '../support/services';
import { waitFor } from '../support/wait';
import { cleanupWorkers, countBy, faultDir, readRecords, WorkerProcess } from '../support/worker-process';

for (const dialect of ALL_DIALECTS) {
  describe(`shutdown on signals [${dialect}]`, function () {
    let tw: TaskWorker;

    before(async function () {
      tw = await openSuite(this, dialect, 'fault_shutdown');
    });
    beforeEach(async () => {
      await tw.sequelize.query('DELETE FROM tw_tasks');
    });
    afterEach(async function () {
      await cleanupWorkers(this);
    });
    after(async () => tw?.close());

    it('SIGTERM during 8 running 2-second tasks: all 8 COMPLETED, no new claim, exit code 0', async () => {
      const dir = faultDir('sigterm');
      const tasks = await tw.createTasks(Array.from({ length: 12 }, () => ({ name: 'fault.work', kwargs: { ms: 2000 } })));
      const running = tasks.slice(0, 8).map((t) => t.id);
      const waiting = tasks.slice(8).map((t) => t.id);
      // prefetch 0: only what the slots run is claimed (the auto reserve is the next spec's).
      const worker = await WorkerProcess.start({ label: 'sigterm', databaseUrl: tw.config.databaseUrl, faultDir: dir,
        concurrency: 8, leaseTime: 2, pollInterval: 0.2, config: { prefetch: 0 } });
      await waitFor('8 tasks running', () => countBy(readRecords(dir), 'start').size === 8);
      const signalledAt = Date.now();
      worker.signal('SIGTERM');
      const { code } = await worker.waitExit(20_000);
      const exitedAfter = Date.now() - signalledAt;
      console.log(`      SIGTERM -> exit ${code} after ${exitedAfter} ms (tasks had < 2 s left)`);
      expect(code).to.equal(0);

      for (const id of running) {
        const task = (await tw.store.get(id))!;
        expect(task.status, `running task ${id}`).to.equal('COMPLETED');
      }
      const starts = countBy(readRecords(dir), 'start');
      for (const id of waiting) {
        const task = (await tw.store.get(id))!;
        // Never claimed: a claim (even one handed back) would have touched updated_at.
        expect(task.status).to.equal('PENDING');
        expect(task.lockedBy).to.equal(null);
        expect(task.updatedAt).to.equal(task.createdAt);
        expect(starts.has(id)).to.equal(false);
      }
      expect(worker.logs().filter((l) => l.msg === 'tasks handed back for another worker')).to.have.length(0);
    });

    it('SIGTERM with tasks reserved (prefetch auto): the running ones finish, the reserved ones go back at once, unstarted and unspent', async () => {
      const dir = faultDir('sigterm-auto');
      const tasks = await tw.createTasks(Array.from({ length: 4 }, () => ({ name: 'fault.work', kwargs: { ms: 2000 } })));
      const worker = await WorkerProcess.start({ label: 'sigterm-auto', databaseUrl: tw.config.databaseUrl, faultDir: dir,
        concurrency: 2, leaseTime: 2, pollInterval: 0.2 });
      await waitFor('2 tasks running', () => countBy(readRecords(dir), 'start').size === 2);
      await waitFor('the others reserved', async () => (await tw.store.get(tasks[3].id))?.status === 'PROGRESS');
      worker.signal('SIGTERM');
      await worker.waitForLog('tasks handed back for another worker');
      const starts = countBy(readRecords(dir), 'start');
      expect(starts.size).to.equal(2);
      for (const { id } of tasks.filter((t) => !starts.has(t.id))) {
        const task = (await tw.store.get(id))!;
        expect(task).to.include({ status: 'PENDING', lockedBy: null, startedAt: null, retryCount: 0 });
      }
      expect((await worker.waitExit(20_000)).code).to.equal(0);
      for (const id of starts.keys()) expect((await tw.store.get(id))!.status).to.equal('COMPLETED');
    });

    it('a second signal stops at once: the running tasks go back to PENDING (claimable), none left PROGRESS', async () => {
      const dir = faultDir('sigint2');
      const tasks = await tw.createTasks(Array.from({ length: 8 }, () => ({ name: 'fault.work', kwargs: { ms: 30_000 } })));
      const worker = await WorkerProcess.start({ label: 'sigint2', databaseUrl: tw.config.databaseUrl, faultDir: dir,
        concurrency: 8, leaseTime: 2, pollInterval: 0.2 });
      await waitFor('8 tasks running', () => countBy(readRecords(dir), 'start').size === 8);
      worker.signal('SIGTERM');
      await worker.waitForLog('worker stopping: no new claims, letting running tasks finish');
      const signalledAt = Date.now();
      worker.signal('SIGINT');
      const { code } = await worker.waitExit(10_000);
      const exitedAfter = Date.now() - signalledAt;
      console.log(`      second signal -> exit ${code} after ${exitedAfter} ms`);
      expect(code).to.equal(0);
      expect(exitedAfter).to.be.below(3000);

      const now = Date.now();
      for (const { id } of tasks) {
        const task = (await tw.store.get(id))!;
        expect(task.status).to.equal('PENDING');
        expect(task.lockedBy).to.equal(null);
        expect(task.startedAt).to.equal(null);
        expect(task.retryCount).to.equal(0);
        expect(task.runAt).to.be.at.most(now);
      }
      expect(countBy(readRecords(dir), 'done').size, 'no task finished').to.equal(0);
      // Claimable at once by anyone.
      const claimed = await tw.store.claim({ from: 'PENDING', limit: 10, now: Date.now(), workerId: 'probe',
        leaseUntil: Date.now() + 60_000, defaultMaxRetries: 0, queues: [] });
      expect(claimed.map((t) => t.id).sort()).to.deep.equal(tasks.map((t) => t.id).sort());
    });

    it('tasks still running when the grace period ends are handed back, and the worker exits 0', async () => {
      const dir = faultDir('grace');
      const tasks = await tw.createTasks(Array.from({ length: 2 }, () => ({ name: 'fault.work', kwargs: { ms: 30_000 } })));
      const worker = await WorkerProcess.start({ label: 'grace', databaseUrl: tw.config.databaseUrl, faultDir: dir,
        concurrency: 2, leaseTime: 2, pollInterval: 0.2, shutdownGrace: 0.5 });
      await waitFor('2 tasks running', () => countBy(readRecords(dir), 'start').size === 2);
      const signalledAt = Date.now();
      worker.signal('SIGTERM');
      expect((await worker.waitExit(10_000)).code).to.equal(0);
      expect(Date.now() - signalledAt).to.be.within(500, 3000);
      for (const { id } of tasks) expect((await tw.store.get(id))!.status).to.equal('PENDING');
      await worker.waitForLog('tasks handed back for another worker');
    });
  });
}
