// The execution pool under faults, through a real tw-worker process with one slot: a busy loop is
// stopped at its timeout, a thread that crashes (process.exit, heap limit, stray rejection) or a
// non-Error throw fails that task alone, and the same slot serves the next task. Inline pool: the
// timeout aborts the task's signal. Handlers read currentTask() in both pools.
import { expect } from 'chai';
import type { TaskWorker } from '../../lib/index';
import type { TaskRecord } from '../../lib/types';
import { THROWN_KINDS } from '../fixtures/thrown-values';
import { openSuite } from '../support/harness';
import { ALL_DIALECTS } from '../support/services';
import { waitFor } from '../support/wait';
import { cleanupWorkers, countBy, faultDir, readRecords, WorkerProcess } from '../support/worker-process';

/** How late a timed-out task may be marked FAILED, past its timeout, on a loaded 2-core CI box. */
const TIMEOUT_MARGIN_MS = 1000;

async function settled(tw: TaskWorker, id: string, timeoutMs = 20_000): Promise<TaskRecord> {
  return waitFor(`task ${id} to finish`, async () => {
    const task = await tw.store.get(id);
    return task && (task.status === 'COMPLETED' || (task.status === 'FAILED' && task.runAt === null)) ? task : undefined;
  }, timeoutMs);
}

for (const dialect of ALL_DIALECTS) {
  describe(`fault: thread pool [${dialect}]`, function () {
    let tw: TaskWorker;
    let worker: WorkerProcess;
    let dir: string;

    before(async function () {
      tw = await openSuite(this, dialect, 'fault_pool');
      dir = faultDir('pool');
      // One slot, so "the worker serves the next task" means the replaced thread serves it.
      worker = await WorkerProcess.start({ label: `pool-${dialect}`, databaseUrl: tw.config.databaseUrl, faultDir: dir,
        concurrency: 1, leaseTime: 2, pollInterval: 0.2, config: { threadMemoryLimit: 64, backoffBase: 0.2 } });
    });
    afterEach(async function () {
      if (this.currentTest?.state === 'failed') console.log(`\n----- pool-${dialect} -----\n${worker?.text.slice(-20_000)}`);
    });
    after(async function () {
      if (worker) expect(await worker.stop()).to.equal(0);
      await cleanupWorkers(this);
      await tw?.close();
    });

    /** A plain task after the faulty one, on the same single slot, must complete. */
    async function expectSlotServesNext(): Promise<void> {
      const next = await tw.createTask('fault.work', { kwargs: { ms: 1 } });
      const done = await settled(tw, next.id);
      expect(done.status).to.equal('COMPLETED');
      expect(worker.alive).to.equal(true);
    }

    it('stops an infinite loop at its 1 s timeout: FAILED with a timeout error, and the slot serves the next task', async () => {
      const spin = await tw.createTask('fault.spin', { timeout: 1 });
      const next = await tw.createTask('fault.work', { kwargs: { ms: 1 } });
      const failed = await settled(tw, spin.id);
      expect(failed.status).to.equal('FAILED');
      expect(failed.error).to.match(/^TaskTimeoutError: task timed out after 1 s/);
      const latency = failed.finishedAt! - failed.startedAt!;
      console.log(`      timeout 1 s -> FAILED after ${latency} ms (claim to failure written)`);
      expect(latency).to.be.within(1000, 1000 + TIMEOUT_MARGIN_MS);
      expect((await settled(tw, next.id)).status).to.equal('COMPLETED');
      expect(countBy(readRecords(dir), 'start').get(spin.id)).to.equal(1);
    });

    it('fails a task that throws a non-Error, alone', async () => {
      const task = await tw.createTask('fault.throwString');
      const failed = await settled(tw, task.id);
      expect(failed.status).to.equal('FAILED');
      expect(failed.error).to.include("Non-Error thrown: 'a plain string, not an Error'");
      await expectSlotServesNext();
    });

    it('fails a task whose handler throws any value (null, a Proxy, an error whose getters throw...), alone', async () => {
      const tasks = await tw.createTasks(THROWN_KINDS.map((kind) => ({ name: 'fault.throwValue', kwargs: { kind } })));
      for (const [i, task] of tasks.entries()) {
        const failed = await settled(tw, task.id);
        expect(failed.status, THROWN_KINDS[i]).to.equal('FAILED');
        expect(failed.errorCode, THROWN_KINDS[i]).to.equal('TW_TASK_ERROR');
        expect(failed.error, THROWN_KINDS[i]).to.be.a('string').and.not.equal('');
      }
      await expectSlotServesNext();
    });

    it('fails a task whose timer throws any value while it runs (null, a symbol, a cyclic cause...): only its thread dies', async () => {
      const tasks = await tw.createTasks(THROWN_KINDS.map((kind) => ({ name: 'fault.throwLater', kwargs: { kind } })));
      for (const [i, task] of tasks.entries()) {
        const failed = await settled(tw, task.id);
        expect(failed.status, THROWN_KINDS[i]).to.equal('FAILED');
        expect(failed.error, THROWN_KINDS[i]).to.match(/^ThreadCrashError: the task's thread failed: /);
      }
      const records = readRecords(dir);
      for (const task of tasks) {
        expect(countBy(records, 'start').get(task.id), 'each ran once').to.equal(1);
        expect(countBy(records, 'done').get(task.id), 'its thread was stopped').to.equal(undefined);
      }
      await expectSlotServesNext();
    });

    it('fails a task whose thread calls process.exit, alone; the worker lives on', async () => {
      const task = await tw.createTask('fault.exit');
      const failed = await settled(tw, task.id);
      expect(failed.status).to.equal('FAILED');
      expect(failed.error).to.include("ThreadCrashError: the task's thread exited with code 3");
      await expectSlotServesNext();
    });

    it('fails a task that blows its thread heap limit (resourceLimits), alone; the worker lives on', async () => {
      const task = await tw.createTask('fault.oom', { timeout: 60 });
      const failed = await settled(tw, task.id, 60_000);
      expect(failed.status).to.equal('FAILED');
      expect(failed.error).to.match(/ThreadCrashError: .*(out of memory|ERR_WORKER_OUT_OF_MEMORY)/is);
      await expectSlotServesNext();
    });

    it('replaces a thread that dies after its task returned (stray unhandled rejection)', async () => {
      const task = await tw.createTask('fault.strayRejection');
      expect((await settled(tw, task.id)).status).to.equal('COMPLETED');
      // The next task must not land on the dead thread (it would wait for its timeout, then fail).
      const next = await tw.createTask('fault.work', { kwargs: { ms: 1 }, timeout: 30 });
      await waitFor('the thread to die', () => readRecords(dir).some((r) => r.id === task.id));
      const done = await settled(tw, next.id);
      expect(done.status).to.equal('COMPLETED');
      expect(done.finishedAt! - done.startedAt!).to.be.below(5000);
    });

    it('gives the handler its context: id, name, queue, attempt (a retry counts) and an unaborted signal', async () => {
      const task = await tw.createTask('fault.context', { kwargs: { failFirst: true }, maxRetries: 1, queue: 'default' });
      const done = await waitFor('the retry to complete', async () => {
        const row = await tw.store.get(task.id);
        return row?.status === 'COMPLETED' ? row : undefined;
      });
      expect(JSON.parse(done.result!)).to.deep.equal({ id: task.id, name: 'fault.context', queue: 'default', attempt: 1, aborted: false });
      expect(done.retryCount).to.equal(1);
    });
  });
}

describe('fault: inline pool [sqlite]', function () {
  let tw: TaskWorker;
  let dir: string;

  before(async function () {
    tw = await openSuite(this, 'sqlite', 'fault_inline');
  });
  beforeEach(() => {
    dir = faultDir('inline');
  });
  afterEach(async function () {
    await cleanupWorkers(this);
  });
  after(async () => tw?.close());

  it('aborts the task signal at its timeout and marks it FAILED; the worker serves the next task', async () => {
    const worker = await WorkerProcess.start({ label: 'inline', databaseUrl: tw.config.databaseUrl, faultDir: dir,
      concurrency: 1, leaseTime: 2, pollInterval: 0.2, pool: 'inline' });
    const task = await tw.createTask('fault.waitAbort', { timeout: 1 });
    const context = await tw.createTask('fault.context');
    const failed = await settled(tw, task.id);
    expect(failed.status).to.equal('FAILED');
    expect(failed.error).to.match(/^TaskTimeoutError: task timed out after 1 s/);
    expect(failed.finishedAt! - failed.startedAt!).to.be.within(1000, 1000 + TIMEOUT_MARGIN_MS);
    await waitFor('the handler to see its signal aborted', () => countBy(readRecords(dir), 'aborted').get(task.id) === 1);
    const done = await settled(tw, context.id);
    expect(JSON.parse(done.result!)).to.include({ id: context.id, attempt: 0, aborted: false });
    expect(await worker.stop()).to.equal(0);
  });

  it('fails a task whose timer throws any value while it runs, alone: the worker and the task beside it go on', async () => {
    const worker = await WorkerProcess.start({ label: 'inline-throw', databaseUrl: tw.config.databaseUrl, faultDir: dir,
      concurrency: 2, leaseTime: 2, pollInterval: 0.2, pool: 'inline' });
    const beside = await tw.createTask('fault.work', { kwargs: { ms: 2000 } });
    await waitFor('the task beside to start', () => countBy(readRecords(dir), 'start').get(beside.id) === 1);
    const tasks = await tw.createTasks(THROWN_KINDS.map((kind) => ({ name: 'fault.throwLater', kwargs: { kind, ms: 200 } })));
    for (const [i, task] of tasks.entries()) {
      const failed = await settled(tw, task.id);
      expect(failed.status, THROWN_KINDS[i]).to.equal('FAILED');
      expect(failed.error, THROWN_KINDS[i]).to.include("thrown outside the task's promise, by a timer or callback it started");
    }
    expect((await settled(tw, beside.id)).status).to.equal('COMPLETED');
    const records = readRecords(dir);
    expect(new Set(records.map((r) => r.pid)).size, 'one worker process ran everything').to.equal(1);
    expect(countBy(records, 'start').get(beside.id), 'the task beside ran once').to.equal(1);
    for (const task of tasks) expect(countBy(records, 'start').get(task.id), 'each ran once').to.equal(1);
    expect(worker.alive).to.equal(true);
    expect(await worker.stop()).to.equal(0);
  });

  it('holds the retry of a timed-out task that ignores its signal until that attempt has ended: no second run beside it', async () => {
    const worker = await WorkerProcess.start({ label: 'inline-hold', databaseUrl: tw.config.databaseUrl, faultDir: dir,
      concurrency: 1, leaseTime: 2, pollInterval: 0.2, pool: 'inline', config: { backoffBase: 0.2 } });
    const task = await tw.createTask('fault.ignoreSignal', { kwargs: { firstMs: 3000, ms: 10 }, timeout: 1, maxRetries: 1 });
    const done = await waitFor('the retry to complete', async () => {
      const row = await tw.store.get(task.id);
      return row?.status === 'COMPLETED' ? row : undefined;
    });
    expect(done.retryCount).to.equal(1);
    const runs = readRecords(dir).filter((r) => r.id === task.id).map((r) => `${r.event} ${r.attempt}`);
    // The timed-out attempt ended before its retry started, on this live worker.
    expect(runs).to.deep.equal(['start 0', 'done 0', 'start 1', 'done 1']);
    const [attempt] = (await tw.getTask(task.id, { attempts: true }))!.attempts!;
    expect(attempt).to.include({ attempt: 0, outcome: 'failed', errorCode: 'TW_TIMEOUT' });
    expect(attempt.duration!, 'the failed attempt lasted until its handler ended').to.be.at.least(3);
    expect(await worker.stop()).to.equal(0);
  });

  it('logs a stray unhandled rejection from a task instead of dying', async () => {
    const worker = await WorkerProcess.start({ label: 'inline-stray', databaseUrl: tw.config.databaseUrl, faultDir: dir,
      concurrency: 1, leaseTime: 2, pollInterval: 0.2, pool: 'inline' });
    const task = await tw.createTask('fault.strayRejection');
    expect((await settled(tw, task.id)).status).to.equal('COMPLETED');
    await worker.waitForLog('unhandled promise rejection (from a task?); the worker goes on');
    const next = await tw.createTask('fault.work', { kwargs: { ms: 1 } });
    expect((await settled(tw, next.id)).status).to.equal('COMPLETED');
    expect(await worker.stop()).to.equal(0);
  });
});
