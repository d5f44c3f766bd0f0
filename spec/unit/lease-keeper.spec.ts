// The lease keeper (lib/lease-keeper.ts) inside a worker over the memory store: a claim whose reply
// was lost is found by the heartbeat and handed back, the sweep recovers a dead worker's task (at
// once, as a retry, or for good), and a lease taken over while the task still runs is reported and
// its outcome fenced out.
import { expect } from 'chai';
import type { ClaimParams } from '../../lib/db/dialect';
import type { StaleTask } from '../../lib/store/task-store';
import { UnitWorker } from '../support/unit-worker';
import { waitFor } from '../support/wait';

const WAIT_MS = 5000;

describe('worker: leases', () => {
  let uw: UnitWorker;
  afterEach(async () => uw?.close());

  it('hands back the tasks of a claim whose reply was lost, then runs them once', async () => {
    uw = new UnitWorker({ leaseTime: 1 }); // a heartbeat every 333 ms
    const [task] = uw.add({ name: 't.task' });
    uw.store.failNext('claim', { afterWrite: true, when: ([p]) => (p as ClaimParams).from === 'PENDING' });
    await uw.worker.start();
    await waitFor('the task to complete', () => uw.store.row(task.id).status === 'COMPLETED', WAIT_MS, 5);
    expect(uw.hasLog('found tasks claimed for this worker whose claim reply was lost; handing them back')).to.equal(true);
    expect(uw.store.callsTo('giveBack').map(([, ids]) => ids)).to.deep.equal([[task.id]]);
    expect(uw.startedIds).to.deep.equal([task.id]);
    expect(uw.store.row(task.id).retryCount).to.equal(0);
  });

  it("recovers a dead worker's task at once, as a retry, and leaves live leases alone", async () => {
    uw = new UnitWorker();
    const now = Date.now();
    const [orphan, alive] = uw.store.add(
      { name: 't.task', status: 'PROGRESS', lockedBy: 'dead-worker', maxRetries: 1, startedAt: now - 5000, leaseExpiresAt: now - 1 },
      { name: 't.task', status: 'PROGRESS', lockedBy: 'live-worker', maxRetries: 1, startedAt: now - 5000, leaseExpiresAt: now + 60_000 },
    );
    await uw.worker.start();
    await waitFor('the recovered task to complete', () => uw.store.row(orphan.id).status === 'COMPLETED', WAIT_MS, 5);
    const [[stale, sweptAt, error, retryAt]] = uw.store.callsTo('failStale') as Array<[StaleTask, number, { text: string; code: string }, number | null]>;
    expect(stale).to.include({ id: orphan.id, lockedBy: 'dead-worker', attempt: 0 });
    expect(error.text).to.match(/^WorkerLostError: worker dead-worker stopped renewing its lease .*; the task will be retried$/);
    expect(error.code).to.equal('TW_WORKER_LOST');
    expect(retryAt).to.equal(sweptAt); // not the task's fault: no backoff
    expect(uw.started.map((r) => [r.id, r.retryCount])).to.deep.equal([[orphan.id, 1]]);
    expect(uw.store.row(alive.id)).to.include({ status: 'PROGRESS', lockedBy: 'live-worker' });
  });

  it("fails a dead worker's task for good when it has no retry left", async () => {
    uw = new UnitWorker();
    const now = Date.now();
    const [orphan] = uw.store.add({ name: 't.task', status: 'PROGRESS', lockedBy: 'dead-worker', maxRetries: 0, startedAt: now - 5000, leaseExpiresAt: now - 1 });
    await uw.worker.start();
    await waitFor('the task to be failed', () => uw.store.row(orphan.id).status === 'FAILED', WAIT_MS, 5);
    await uw.store.quiet();
    const row = uw.store.row(orphan.id);
    expect(row).to.include({ runAt: null, lockedBy: null });
    expect(row.error).to.match(/^WorkerLostError: .*; no retry left$/);
    expect(row.duration).to.be.at.least(5);
    expect(uw.started).to.deep.equal([]);
  });

  it('reports a lease taken over while its task still runs, and does not write the late outcome', async () => {
    uw = new UnitWorker({ leaseTime: 1 });
    const [task] = uw.add({ name: 't.gated' });
    await uw.worker.start();
    await waitFor('the run', () => uw.gate.started.length === 1, WAIT_MS, 5);
    // Meanwhile another worker swept the task and runs it again (this one was silent past its lease).
    uw.store.update(task.id, { lockedBy: 'w2', retryCount: 1, leaseExpiresAt: Date.now() + 60_000 });
    await waitFor('the heartbeat to notice', () => uw.logs.some((l) => l.msg.startsWith('lease lost:')), WAIT_MS, 5);
    uw.gate.release(task.id);
    await waitFor('the outcome', () => uw.settled.length === 1, WAIT_MS, 5);
    expect(uw.settled[0].written).to.equal(false);
    expect(uw.store.row(task.id)).to.include({ status: 'PROGRESS', lockedBy: 'w2', retryCount: 1 });
  });
});
