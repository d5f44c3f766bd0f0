// Shutdown (lib/worker.ts) over the memory store: prefetched tasks go back at once, running ones get
// shutdownGrace to finish and are handed back after it, a claim in flight is handed back when it
// lands, and stopNow() skips the wait and gives up writes the database does not take.
import { expect } from 'chai';
import type { TaskEvent } from '../../lib/notifier/notifier';
import { UnitWorker } from '../support/unit-worker';
import { waitFor } from '../support/wait';

const WAIT_MS = 5000;

describe('worker: shutdown', () => {
  let uw: UnitWorker;
  afterEach(async () => uw?.close());

  /** Resolves `stop()` into a flag the spec can read while it is pending. */
  function stopping(promise: Promise<void>): { done: boolean; promise: Promise<void> } {
    const state = { done: false, promise };
    void promise.then(() => (state.done = true));
    return state;
  }

  function expectHandedBack(id: string): void {
    expect(uw.store.row(id)).to.include({ status: 'PENDING', lockedBy: null, leaseExpiresAt: null, startedAt: null, retryCount: 0 });
  }

  it('hands prefetched tasks back at once, for another worker, while the running one finishes', async () => {
    uw = new UnitWorker({ concurrency: 1, prefetch: 3 });
    const [running, ...prefetched] = uw.add(...Array.from({ length: 4 }, () => ({ name: 't.gated' })));
    const announced: string[] = [];
    await uw.notifier.subscribe('created', (e: TaskEvent) => announced.push(e.id));
    await uw.worker.start();
    await waitFor('the first run', () => uw.gate.started.length === 1, WAIT_MS, 5);
    const stop = stopping(uw.worker.stop());
    await waitFor('the prefetched tasks to be handed back', () => prefetched.every((t) => uw.store.row(t.id).status === 'PENDING'), WAIT_MS, 5);
    for (const t of prefetched) expectHandedBack(t.id);
    await waitFor('the hand-back to be announced', () => prefetched.every((t) => announced.includes(t.id)), WAIT_MS, 5);
    expect(stop.done).to.equal(false);
    expect(uw.worker.status).to.equal('stopping');
    expect(uw.gate.holding).to.deep.equal([running.id]);
    uw.gate.release(running.id);
    await stop.promise;
    expect(uw.store.row(running.id).status).to.equal('COMPLETED');
    expect(uw.gate.started).to.deep.equal([running.id]);
    expect(uw.worker.status).to.equal('stopped');
  });

  it('lets running tasks finish within shutdownGrace and writes their outcomes', async () => {
    uw = new UnitWorker({ concurrency: 2, shutdownGrace: 30 });
    const tasks = uw.add({ name: 't.gated' }, { name: 't.gated' });
    await uw.worker.start();
    await waitFor('both runs', () => uw.gate.started.length === 2, WAIT_MS, 5);
    const stop = stopping(uw.worker.stop());
    await uw.store.quiet();
    expect(stop.done).to.equal(false);
    uw.gate.release(tasks[0].id);
    uw.gate.release(tasks[1].id, new Error('failed while stopping'));
    await stop.promise;
    expect(uw.store.row(tasks[0].id).status).to.equal('COMPLETED');
    expect(uw.store.row(tasks[1].id)).to.include({ status: 'FAILED', runAt: null });
    expect(uw.gate.aborted).to.deep.equal([]);
    expect(uw.store.callsTo('giveBack').flatMap(([, ids]) => ids as string[])).to.deep.equal([]);
  });

  it('hands back what still runs after shutdownGrace, aborts its signal, and never writes its late outcome', async () => {
    uw = new UnitWorker({ concurrency: 1, shutdownGrace: 0.05, completionBatchDelay: 0 });
    const [task] = uw.add({ name: 't.gated' });
    await uw.worker.start();
    await waitFor('the run', () => uw.gate.started.length === 1, WAIT_MS, 5);
    await uw.worker.stop();
    expectHandedBack(task.id);
    expect(uw.gate.aborted).to.deep.equal([task.id]);
    uw.gate.release(task.id); // the handler ignored its signal and ends late
    await uw.store.quiet();
    expect(uw.store.callsTo('complete')).to.deep.equal([]);
    expect(uw.settled).to.deep.equal([]);
    expectHandedBack(task.id);
  });

  it('hands back the tasks of a claim still in flight when stop() is called', async () => {
    uw = new UnitWorker({ concurrency: 2 });
    const tasks = uw.add({ name: 't.gated' }, { name: 't.gated' });
    const releaseClaim = uw.store.holdNext('claim');
    await uw.worker.start();
    await waitFor('the claim to be sent', () => uw.store.callsTo('claim').length === 1, WAIT_MS, 5);
    const stop = stopping(uw.worker.stop());
    releaseClaim();
    await stop.promise;
    for (const t of tasks) expectHandedBack(t.id);
    expect(uw.gate.started).to.deep.equal([]);
  });

  it('stopNow() hands running tasks back without waiting for shutdownGrace', async () => {
    uw = new UnitWorker({ concurrency: 1, shutdownGrace: 600 });
    const [task] = uw.add({ name: 't.gated' });
    await uw.worker.start();
    await waitFor('the run', () => uw.gate.started.length === 1, WAIT_MS, 5);
    const stop = stopping(uw.worker.stop());
    await uw.store.quiet();
    expect(stop.done).to.equal(false);
    uw.worker.stopNow();
    await stop.promise;
    expectHandedBack(task.id);
    expect(uw.gate.aborted).to.deep.equal([task.id]);
  });

  it('stopNow() gives up an outcome the database does not take: the task stays leased, for the sweep', async () => {
    uw = new UnitWorker({ concurrency: 1, completionBatchDelay: 0 });
    const [task] = uw.add({ name: 't.gated' });
    await uw.worker.start();
    await waitFor('the run', () => uw.gate.started.length === 1, WAIT_MS, 5);
    uw.store.failNext('complete', { times: Infinity }); // the database is gone
    uw.gate.release(task.id);
    await waitFor('the completion to fail', () => uw.store.callsTo('complete').length > 0, WAIT_MS, 5);
    const stop = stopping(uw.worker.stop());
    await uw.store.quiet();
    expect(stop.done, 'stop() waits for the outcome to be written').to.equal(false);
    uw.worker.stopNow();
    await stop.promise;
    expect(uw.settled.map(({ id, outcome, written }) => ({ id, outcome, written }))).to.deep.equal([{ id: task.id, outcome: { ok: true, result: '"done"' }, written: false }]);
    expect(uw.store.row(task.id)).to.include({ status: 'PROGRESS', lockedBy: uw.worker.id });
    expect(uw.hasLog('outcome not written: the worker was stopped at once; the task will be recovered when its lease expires')).to.equal(true);
  });
});
