// The claim loop (lib/worker.ts) over the memory store: slots, claim order between new tasks and
// retries, a failure coming back at its retry time, a finished task making room for the next. The
// poll interval is a minute: everything here must be driven by the worker's own wake-ups.
import { expect } from 'chai';
import type { ClaimParams } from '../../lib/db/dialect';
import { storeError } from '../support/memory-store';
import { UnitWorker } from '../support/unit-worker';
import { waitFor } from '../support/wait';

const WAIT_MS = 5000;

describe('worker: the claim loop', () => {
  let uw: UnitWorker;
  afterEach(async () => uw?.close());

  const claimLimits = () => uw.store.callsTo('claim').map(([p]) => p as ClaimParams).filter((p) => p.from === 'PENDING').map((p) => p.limit);

  it('runs up to concurrency tasks at once, claiming no more than its free slots', async () => {
    uw = new UnitWorker({ concurrency: 3, prefetch: 0 });
    const tasks = uw.add(...Array.from({ length: 5 }, () => ({ name: 't.gated' })));
    await uw.worker.start();
    await waitFor('three runs', () => uw.gate.started.length === 3, WAIT_MS, 5);
    await uw.store.quiet();
    expect(uw.gate.holding).to.deep.equal(tasks.slice(0, 3).map((t) => t.id));
    expect(uw.worker.activeCount).to.equal(3);
    expect(claimLimits()).to.deep.equal([3]);
    expect(uw.store.rows().filter((r) => r.status === 'PENDING').map((r) => r.id)).to.deep.equal(tasks.slice(3).map((t) => t.id));
    uw.gate.release(tasks[0].id);
    await waitFor('the fourth run', () => uw.gate.started.length === 4, WAIT_MS, 5);
    await uw.store.quiet();
    expect(claimLimits()).to.deep.equal([3, 1]);
    expect(uw.store.rows().filter((r) => r.status === 'PROGRESS')).to.have.length(3);
  });

  it('a finished task frees its slot: the next one starts without waiting for the poll', async () => {
    uw = new UnitWorker({ concurrency: 1 });
    const [first, second] = uw.add({ name: 't.gated' }, { name: 't.gated' });
    await uw.worker.start();
    await waitFor('the first run', () => uw.gate.started.length === 1, WAIT_MS, 5);
    await uw.store.quiet();
    expect(uw.gate.started).to.deep.equal([first.id]);
    uw.gate.release(first.id);
    await waitFor('the second run', () => uw.gate.started.length === 2, WAIT_MS, 5);
    expect(uw.gate.started).to.deep.equal([first.id, second.id]);
    expect(uw.store.row(first.id)).to.include({ status: 'COMPLETED', result: '"done"', lockedBy: null });
    uw.gate.release(second.id);
    await waitFor('the second to complete', () => uw.store.row(second.id).status === 'COMPLETED', WAIT_MS, 5);
  });

  it('a chain of quick tasks drains on wake-ups alone', async () => {
    uw = new UnitWorker({ concurrency: 2 });
    const tasks = uw.add(...Array.from({ length: 9 }, () => ({ name: 't.task' })));
    await uw.worker.start();
    await waitFor('every task to complete', () => tasks.every((t) => uw.store.row(t.id).status === 'COMPLETED'), WAIT_MS, 5);
    expect(uw.settled.map((s) => s.written)).to.deep.equal(tasks.map(() => true));
  });

  it('takes ready PENDING tasks before retryable FAILED ones of the same priority, ready for less than 10 s', async () => {
    uw = new UnitWorker({ concurrency: 1 });
    const [retry] = uw.store.add({ name: 't.gated', status: 'FAILED', runAt: Date.now() - 5_000, maxRetries: 1, error: 'Error: attempt 0' });
    const [fresh] = uw.store.add({ name: 't.gated' });
    await uw.worker.start();
    await waitFor('the first run', () => uw.gate.started.length === 1, WAIT_MS, 5);
    expect(uw.gate.started).to.deep.equal([fresh.id]);
    expect(uw.started[0].retryCount).to.equal(0);
    uw.gate.release(fresh.id);
    await waitFor('the retry to run', () => uw.gate.started.length === 2, WAIT_MS, 5);
    expect(uw.started[1]).to.include({ id: retry.id, retryCount: 1, maxRetries: 1 });
    uw.gate.release(retry.id);
    await waitFor('the retry to complete', () => uw.store.row(retry.id).status === 'COMPLETED', WAIT_MS, 5);
    expect(uw.store.row(retry.id)).to.include({ retryCount: 1, error: null, runAt: null });
  });

  it('takes a retry ahead of PENDING tasks when its priority is better, or once it has been ready for 10 s', async () => {
    uw = new UnitWorker({ concurrency: 1 });
    const [fresh] = uw.store.add({ name: 't.gated' });
    const [aged] = uw.store.add({ name: 't.gated', status: 'FAILED', priority: 5, runAt: Date.now() - 60_000, maxRetries: 1, error: 'Error: attempt 0' });
    const [urgent] = uw.store.add({ name: 't.gated', status: 'FAILED', priority: -5, runAt: Date.now() - 1_000, maxRetries: 1, error: 'Error: attempt 0' });
    await uw.worker.start();
    await waitFor('the first run', () => uw.gate.started.length === 1, WAIT_MS, 5);
    expect(uw.gate.started).to.deep.equal([urgent.id]);
    uw.gate.release(urgent.id);
    await waitFor('the second run', () => uw.gate.started.length === 2, WAIT_MS, 5);
    expect(uw.gate.started[1]).to.equal(aged.id);
    uw.gate.release(aged.id);
    await waitFor('the third run', () => uw.gate.started.length === 3, WAIT_MS, 5);
    expect(uw.gate.started[2]).to.equal(fresh.id);
    uw.gate.release(fresh.id);
  });

  it('writes a failure with its retry time, and claims the task again once that time has come', async () => {
    uw = new UnitWorker({ concurrency: 1, backoffBase: 0.2, backoffCap: 0.2 }); // the first retry waits 100-200 ms
    const [task] = uw.add({ name: 't.gated', maxRetries: 1 });
    await uw.worker.start();
    await waitFor('the first run', () => uw.gate.started.length === 1, WAIT_MS, 5);
    uw.gate.release(task.id, new Error('attempt 0 failed'));
    await waitFor('the failure to be written', () => uw.settled.length === 1, WAIT_MS, 5);
    const failed = uw.store.row(task.id);
    expect(failed).to.include({ status: 'FAILED', retryCount: 0, lockedBy: null, leaseExpiresAt: null });
    expect(failed.error).to.match(/^Error: attempt 0 failed\n\s+at /);
    expect(failed.runAt! - failed.finishedAt!).to.be.within(100, 200);
    await waitFor('the retry to run', () => uw.gate.started.length === 2, WAIT_MS, 5);
    expect(uw.started[1]).to.include({ id: task.id, retryCount: 1 });
    expect(uw.started[1].startedAt).to.be.at.least(failed.runAt!);
    uw.gate.release(task.id);
    await waitFor('the retry to complete', () => uw.store.row(task.id).status === 'COMPLETED', WAIT_MS, 5);
  });

  it('claims a retry at its time even when the wake-up timer fires before the wall clock gets there', async () => {
    // Timers run on the event loop's monotonic clock, and a task is due by Date.now(): the two differ
    // by up to a millisecond (more when the wall clock is stepped), so a wake-up timer may fire while
    // the retry is not due yet; the loop would then sleep a whole poll interval (here a minute). The
    // wall clock is held 5 ms behind once the wake-up is set, to make that happen every time.
    uw = new UnitWorker({ concurrency: 1, backoffBase: 0.2, backoffCap: 0.2 });
    const realNow = Date.now;
    uw.worker.once('task:settled', () => (Date.now = () => realNow() - 5));
    try {
      const [task] = uw.add({ name: 't.gated', maxRetries: 1 });
      await uw.worker.start();
      await waitFor('the first run', () => uw.gate.started.length === 1, WAIT_MS, 5);
      uw.gate.release(task.id, new Error('attempt 0 failed'));
      await waitFor('the retry to run', () => uw.gate.started.length === 2, WAIT_MS, 5);
      expect(uw.started[1].startedAt).to.be.at.least(uw.store.row(task.id).runAt!);
    } finally {
      Date.now = realNow;
    }
  });

  it('wakes for each scheduled time it heard of, not only the earliest', async () => {
    uw = new UnitWorker({ concurrency: 2 });
    await uw.worker.start();
    await waitFor('the first idle claim', () => uw.store.callsTo('claim').length > 0, WAIT_MS, 5);
    const now = Date.now();
    // The later one is announced first, then the earlier: both times must be kept.
    const [later] = uw.add({ name: 't.task', runAt: now + 300 });
    const [sooner] = uw.add({ name: 't.task', runAt: now + 100 });
    await waitFor('the sooner task to complete', () => uw.store.row(sooner.id).status === 'COMPLETED', WAIT_MS, 5);
    await waitFor('the later task to complete (its own wake-up; the poll is a minute away)',
      () => uw.store.row(later.id).status === 'COMPLETED', WAIT_MS, 5);
  });

  it('fails a task for good when no retry is left: run_at empty, never claimed again', async () => {
    uw = new UnitWorker({ concurrency: 1, retry: 0 });
    const [task] = uw.add({ name: 't.gated' });
    await uw.worker.start();
    await waitFor('the run', () => uw.gate.started.length === 1, WAIT_MS, 5);
    uw.gate.release(task.id, new Error('no luck'));
    await waitFor('the failure to be written', () => uw.settled.length === 1, WAIT_MS, 5);
    await uw.store.quiet();
    expect(uw.store.row(task.id)).to.include({ status: 'FAILED', runAt: null, maxRetries: 0 });
    expect(uw.gate.started).to.have.length(1);
  });

  it('backs off while claims fail, then resumes without losing the task', async () => {
    uw = new UnitWorker({ concurrency: 1 });
    uw.store.failNext('claim', { times: 2 });
    const [task] = uw.add({ name: 't.task' });
    await uw.worker.start();
    await waitFor('the task to complete', () => uw.store.row(task.id).status === 'COMPLETED', WAIT_MS, 5);
    expect(uw.hasLog('claim failed: database unreachable? retrying with backoff')).to.equal(true);
    expect(uw.hasLog('database reachable again: claiming resumed')).to.equal(true);
  });

  it('runs a claim that lost a lock conflict again at once, not as an outage', async () => {
    uw = new UnitWorker({ concurrency: 1 });
    uw.store.failNext('claim', { times: 3, error: storeError('conflict') });
    const [task] = uw.add({ name: 't.task' });
    await uw.worker.start();
    await waitFor('the task to complete', () => uw.store.row(task.id).status === 'COMPLETED', WAIT_MS, 5);
    expect(uw.hasLog('claim failed: database unreachable? retrying with backoff')).to.equal(false);
  });

  it('takes only its queues', async () => {
    uw = new UnitWorker({ concurrency: 2, queues: ['mail'] });
    const [mail, report] = uw.add({ name: 't.task', queue: 'mail' }, { name: 't.task', queue: 'reports' });
    await uw.worker.start();
    await waitFor('the mail task to complete', () => uw.store.row(mail.id).status === 'COMPLETED', WAIT_MS, 5);
    await uw.store.quiet();
    expect(uw.store.row(report.id).status).to.equal('PENDING');
    expect(uw.store.callsTo('claim').every(([p]) => (p as ClaimParams).queues.join() === 'mail')).to.equal(true);
  });
});
