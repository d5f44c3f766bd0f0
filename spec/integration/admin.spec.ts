// TaskAdmin (the SQL behind tw-admin) on every database, with a real in-process worker: retry brings
// a FAILED task back and the worker runs it, cancel stops waiting and running tasks (a running one's
// result is never written), purge
// deletes only old finished tasks in batches, stats counts by queue and status.
import { expect } from 'chai';
import { TaskAdmin, TaskRegistry, TaskStateError, TaskWorker, TaskWorkerError, type DatabaseTask } from '../../lib/index';
import { ALL_DIALECTS, freshDatabase, requireService } from '../support/services';
import { waitFor } from '../support/wait';
import { idClockInStep } from '../fixtures/dashboard-suite';

const HOUR = 3_600_000;

for (const dialect of ALL_DIALECTS) {
  describe(`TaskAdmin: retry, cancel, purge, stats (${dialect})`, function () {
    let tw: TaskWorker;
    let admin: TaskAdmin;
    let supplierUp = false;
    let releaseHeld: () => void = () => undefined;
    let heldStarted: () => void = () => undefined;

    async function settled(id: string, status: 'COMPLETED' | 'FAILED'): Promise<DatabaseTask> {
      return waitFor(`task ${id} ${status}`, async () => {
        const task = await tw.getTask(id);
        return task?.status === status && task.finishedAt ? task : null;
      }, 10_000);
    }

    before(async function () {
      await requireService(this, dialect);
      const registry = new TaskRegistry();
      registry.register('adm.ok', (x: unknown) => x);
      registry.register('adm.supplier', () => {
        if (!supplierUp) throw new Error('supplier API unavailable');
        return 'synced';
      });
      registry.register('adm.held', () => new Promise<string>((resolve) => {
        releaseHeld = () => resolve('released');
        heldStarted();
      }));
      // A retry waits an hour: a task that failed once stays FAILED with its retry scheduled.
      tw = new TaskWorker({ databaseUrl: await freshDatabase(dialect, 'admin'), redisUrl: null, pool: 'inline', registry,
        logLevel: 'silent', backoffBase: 3600, concurrency: 2, queues: ['default', 'reports', 'sync', 'q1', 'q2'] });
      await tw.migrate();
      await tw.startWorker();
      admin = tw.admin;
    });
    after(async () => {
      releaseHeld();
      await tw?.close();
    });

    it('retry: a task FAILED for good becomes PENDING with its retry count reset, and the worker runs it', async function () {
      supplierUp = false;
      const task = await tw.createTask('adm.supplier', { maxRetries: 0 });
      const failed = await settled(task.id, 'FAILED');
      expect(failed.isFinal).to.equal(true);
      supplierUp = true;
      const retried = await admin.retry(task.id);
      expect(retried.status).to.be.oneOf(['PENDING', 'PROGRESS', 'COMPLETED']); // the worker may already have it
      expect(retried.retryCount).to.equal(0);
      const done = await settled(task.id, 'COMPLETED');
      expect(done.resultValue).to.equal('synced');
      expect(done.error).to.equal(null);
    });

    it('retry: a FAILED task waiting for its retry runs now instead of in an hour', async function () {
      supplierUp = false;
      const task = await tw.createTask('adm.supplier', { maxRetries: 3 });
      const failed = await settled(task.id, 'FAILED');
      expect(failed.isFinal).to.equal(false);
      expect(failed.runAt!.getTime()).to.be.greaterThan(Date.now() + HOUR / 4);
      supplierUp = true;
      await admin.retry(task.id);
      expect((await settled(task.id, 'COMPLETED')).resultValue).to.equal('synced');
    });

    it('retry refuses a task that is not FAILED, and an unknown id', async function () {
      const task = await tw.createTask('adm.ok', { args: [1] });
      await settled(task.id, 'COMPLETED');
      const refused = await admin.retry(task.id).catch((e: unknown) => e);
      expect(refused).to.be.instanceOf(TaskStateError).and.to.include({ code: 'TW_WRONG_STATUS', status: 'COMPLETED' });
      expect((refused as Error).message).to.match(/only FAILED tasks can be retried/);
      const missing = await admin.retry('2222222222222222222222').catch((e: unknown) => e);
      expect(missing).to.be.instanceOf(TaskWorkerError).and.to.include({ code: 'TW_NOT_FOUND' });
    });

    it('cancel: a PENDING task becomes FAILED for good with a CancelledError, and a waiter returns at once', async function () {
      const task = await tw.createTask('adm.ok', { args: ['later'], delay: 3600 });
      const waiting = tw.waitForCompletion(task.id, { timeout: 10 });
      const cancelled = await admin.cancel(task.id, 'duplicate order');
      expect(cancelled.status).to.equal('FAILED');
      expect(cancelled.isFinal).to.equal(true);
      expect(cancelled.error).to.equal('CancelledError: cancelled by an operator: duplicate order');
      expect((await waiting)?.status).to.equal('FAILED');
    });

    it('cancel: a FAILED task waiting for its retry is stopped for good', async function () {
      supplierUp = false;
      const task = await tw.createTask('adm.supplier', { maxRetries: 3 });
      await settled(task.id, 'FAILED');
      const cancelled = await admin.cancel(task.id);
      expect(cancelled.isFinal).to.equal(true);
      expect(cancelled.runAt).to.equal(null);
      expect(cancelled.error).to.equal('CancelledError: cancelled by an operator');
    });

    it('cancel stops a running task: FAILED for good with a CancelledError, its result never written; a finished one is refused', async function () {
      // Wait for the handler itself: the row shows PROGRESS before the claim's reply reaches the
      // worker, and releasing before the handler ran would release nothing.
      const started = new Promise<void>((resolve) => (heldStarted = resolve));
      const task = await tw.createTask('adm.held', { maxRetries: 3 });
      await started;
      const requested = await admin.cancel(task.id, 'wrong customer');
      expect(requested.status).to.equal('PROGRESS');
      expect(requested.cancelRequested).to.equal('CancelledError: cancelled by an operator: wrong customer');
      releaseHeld(); // the handler returns a result after the cancel: it must not be written
      const failed = await settled(task.id, 'FAILED');
      expect(failed.isFinal).to.equal(true); // retries left, but a cancel is final
      expect(failed.result).to.equal(null);
      expect(failed.errorCode).to.equal('TW_CANCELLED');
      expect(failed.error).to.equal('CancelledError: cancelled by an operator: wrong customer');
      expect(failed.cancelRequested).to.equal(null);
      const again = await admin.cancel(task.id).catch((e: unknown) => e);
      expect(again).to.be.instanceOf(TaskStateError).and.to.include({ status: 'FAILED' });
      const done = await tw.createTask('adm.ok', { args: [1] });
      await settled(done.id, 'COMPLETED');
      const refused = await admin.cancel(done.id).catch((e: unknown) => e);
      expect(refused).to.be.instanceOf(TaskStateError).and.to.include({ status: 'COMPLETED' });
    });

    it('stats counts by queue and status, retries apart, with the age of the oldest ready task', async function () {
      await tw.sequelize.query('DELETE FROM tw_tasks');
      supplierUp = false;
      await Promise.all([1, 2, 3].map((n) => tw.createTask('adm.ok', { args: [n], queue: 'reports' })));
      const retrying = await tw.createTask('adm.supplier', { maxRetries: 3, queue: 'sync' });
      const final = await tw.createTask('adm.supplier', { maxRetries: 0, queue: 'sync' });
      await settled(retrying.id, 'FAILED');
      await settled(final.id, 'FAILED');
      await waitFor('reports done', async () => (await admin.stats()).queues.reports?.COMPLETED === 3);
      await tw.createTask('adm.ok', { args: ['later'], queue: 'sync', delay: 3600 });
      // No worker serves 'parked': a task there that was due 90 s ago is the queue's lag.
      const parked = await tw.createTask('adm.ok', { queue: 'parked' });
      await tw.sequelize.query(`UPDATE tw_tasks SET run_at = ${Date.now() - 90_000} WHERE id = '${parked.id}'`);
      const stats = await admin.stats();
      expect(stats.queues.reports).to.include({ PENDING: 0, PROGRESS: 0, COMPLETED: 3, FAILED: 0, retrying: 0 });
      expect(stats.queues.sync).to.include({ PENDING: 1, COMPLETED: 0, FAILED: 1, retrying: 1 });
      expect(stats.queues.parked).to.include({ PENDING: 1 });
      expect(stats.total).to.include({ PENDING: 2, COMPLETED: 3, FAILED: 1, retrying: 1 });
      expect(stats.queues.sync.oldestReadyAgeSeconds, 'a task scheduled for later is not waiting').to.equal(null);
      expect(stats.queues.parked.oldestReadyAgeSeconds).to.be.within(89, 120);
      expect(stats.total.oldestReadyAgeSeconds).to.be.within(89, 120);
    });

    it('purge deletes only finished tasks older than the age, in batches; --dry-run only counts', async function () {
      await tw.sequelize.query('DELETE FROM tw_tasks');
      supplierUp = false;
      const done = await Promise.all([1, 2, 3, 4, 5].map((n) => tw.createTask('adm.ok', { args: [n] })));
      const failedForGood = await tw.createTask('adm.supplier', { maxRetries: 0 });
      const retrying = await tw.createTask('adm.supplier', { maxRetries: 3 });
      for (const t of done) await settled(t.id, 'COMPLETED');
      await settled(failedForGood.id, 'FAILED');
      await settled(retrying.id, 'FAILED');
      const pending = await tw.createTask('adm.ok', { delay: 3600 });
      // Age every row but one completed task by two hours (the retrying one too: it must stay).
      const old = Date.now() - 2 * HOUR;
      await tw.sequelize.query(`UPDATE tw_tasks SET finished_at = ${old}, created_at = ${old} WHERE id <> '${done[4].id}'`);

      const dry = await admin.purge(HOUR, { dryRun: true });
      expect(dry).to.include({ completed: 4, failed: 1, dryRun: true });
      expect(await tw.getTask(done[0].id)).to.not.equal(null);

      const batches: number[] = [];
      const result = await admin.purge(HOUR, { batchSize: 2, onBatch: (n) => batches.push(n) });
      expect(result).to.include({ completed: 4, failed: 1, dryRun: false });
      expect(batches).to.deep.equal([2, 2, 1]);
      const left = (await admin.list({ limit: 100 })).map((t) => t.id).sort();
      expect(left).to.deep.equal([done[4].id, retrying.id, pending.id].sort());
      expect((await admin.purge(HOUR)).completed).to.equal(0);
    });

    it('retryFailed: every FAILED task matching the name, status and creation time, in batches; dryRun counts; others untouched', async function () {
      supplierUp = false;
      await idClockInStep();
      const early = await Promise.all([1, 2, 3].map(() => tw.createTask('adm.supplier', { maxRetries: 0, queue: 'sync' })));
      await new Promise((resolve) => setTimeout(resolve, 5));
      const middle = new Date();
      const late = await tw.createTask('adm.supplier', { maxRetries: 3, queue: 'sync' });
      const ok = await tw.createTask('adm.ok', { args: [1], queue: 'sync' });
      await Promise.all([...early, late].map((t) => settled(t.id, 'FAILED')));
      await settled(ok.id, 'COMPLETED');
      expect(await admin.retryFailed({ queue: 'sync', createdTo: middle }, { dryRun: true })).to.deep.equal({ retried: 3, dryRun: true });
      expect(await admin.retryFailed({ queue: 'sync', status: 'RETRYING' }, { dryRun: true })).to.deep.equal({ retried: 1, dryRun: true });
      expect((await tw.getTask(early[0].id))!.status, 'a dry run changes nothing').to.equal('FAILED');
      supplierUp = true;
      const result = await admin.retryFailed({ name: 'adm.supplier', queue: 'sync', createdTo: middle }, { batchSize: 2 });
      expect(result).to.deep.equal({ retried: 3, dryRun: false });
      for (const t of early) expect((await settled(t.id, 'COMPLETED')).resultValue).to.equal('synced');
      const stillWaiting = (await tw.getTask(late.id))!;
      expect([stillWaiting.status, stillWaiting.isFinal], 'created after the range: its retry is still an hour away').to.deep.equal(['FAILED', false]);
      expect(await admin.retryFailed({ status: 'COMPLETED' as 'FAILED' }).catch((e: Error) => e.message)).to.match(/status must be FAILED, FAILED_FINAL or RETRYING/);
      expect(await admin.retryFailed({ createdFrom: new Date('nope') }).catch((e: Error) => e.message)).to.match(/createdFrom must be a valid Date/);
    });

    it('list filters by status, queue and name, newest first', async function () {
      await tw.sequelize.query('DELETE FROM tw_tasks');
      const a = await tw.createTask('adm.ok', { args: ['a'], queue: 'q1', delay: 3600 });
      const b = await tw.createTask('adm.ok', { args: ['b'], queue: 'q2', delay: 3600 });
      const c = await tw.createTask('adm.supplier', { queue: 'q1', delay: 3600 });
      expect((await admin.list()).map((t) => t.id)).to.deep.equal([c.id, b.id, a.id]);
      expect((await admin.list({ queue: 'q1' })).map((t) => t.id)).to.deep.equal([c.id, a.id]);
      expect((await admin.list({ name: 'adm.ok', limit: 1 })).map((t) => t.id)).to.deep.equal([b.id]);
      expect(await admin.list({ status: 'COMPLETED' })).to.deep.equal([]);
      expect(await admin.list({ status: 'bogus' as 'FAILED' }).catch((e: Error) => e.message)).to.match(/status must be one of/);
    });
  });
}
