// Prefetch (lib/worker.ts, lib/prefetch-reserve.ts) over the memory store: a worker claims its
// slots plus `prefetch` leased tasks, starts them in claim order whatever order the database
// returned them in, and refills the reserve only once it is half spent; 'auto' sizes the reserve
// by recent run times and gives back what waited too long.
import { expect } from 'chai';
import type { ClaimParams } from '../../lib/db/dialect';
import { AUTO_MAX, PrefetchReserve } from '../../lib/prefetch-reserve';
import { UnitWorker } from '../support/unit-worker';
import { waitFor } from '../support/wait';

const WAIT_MS = 5000;

describe('worker: prefetch', () => {
  let uw: UnitWorker;
  afterEach(async () => uw?.close());

  const claimCalls = () => uw.store.callsTo('claim').map(([p]) => p as ClaimParams).filter((p) => p.from === 'PENDING');
  const leased = () => uw.store.rows().filter((r) => r.status === 'PROGRESS' && r.lockedBy === uw.worker.id).length;

  /** Ends the runs one at a time, in the order they start, until `count` have run. */
  async function runInTurn(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      await waitFor(`run ${i + 1}`, () => uw.gate.started.length > i, WAIT_MS, 5);
      uw.gate.release(uw.gate.started[i]);
    }
  }

  it('claims concurrency + prefetch tasks and starts them in claim order: priority, run_at, id', async () => {
    uw = new UnitWorker({ concurrency: 1, prefetch: 4 });
    const now = Date.now();
    const [later, early, plainA, urgent, plainB, last] = uw.store.add(
      { name: 't.gated', priority: 2 },
      { name: 't.gated', runAt: now - 1000 },
      { name: 't.gated', runAt: now },
      { name: 't.gated', priority: -1 },
      { name: 't.gated', runAt: now },
      { name: 't.gated', priority: 3 },
    );
    await uw.worker.start();
    await waitFor('the first run', () => uw.gate.started.length === 1, WAIT_MS, 5);
    await uw.store.quiet();
    expect(claimCalls().map((p) => p.limit)).to.deep.equal([5]);
    expect(leased()).to.equal(5);
    expect(uw.store.row(last.id).status).to.equal('PENDING');
    await runInTurn(6);
    expect(uw.gate.started).to.deep.equal([urgent, early, plainA, plainB, later, last].map((t) => t.id));
    await waitFor('every task to complete', () => uw.store.rows().every((r) => r.status === 'COMPLETED'), WAIT_MS, 5);
    // Each row records when its run really started, not when it was claimed.
    const rows = uw.gate.started.map((id) => uw.store.row(id));
    for (let i = 1; i < rows.length; i++) expect(rows[i].startedAt).to.be.at.least(rows[i - 1].finishedAt!);
  });

  it('refills the reserve once half of it is spent, not after every task', async () => {
    uw = new UnitWorker({ concurrency: 1, prefetch: 4 });
    const tasks = uw.add(...Array.from({ length: 12 }, () => ({ name: 't.gated' })));
    await uw.worker.start();
    await waitFor('the first run', () => uw.gate.started.length === 1, WAIT_MS, 5);
    await uw.store.quiet();
    expect(claimCalls()).to.have.length(1);
    await runInTurn(1); // reserve 4 -> 3: above half
    await waitFor('the second run', () => uw.gate.started.length === 2, WAIT_MS, 5);
    await waitFor('the first outcome', () => uw.settled.length === 1, WAIT_MS, 5);
    await uw.store.quiet();
    expect(claimCalls()).to.have.length(1);
    expect(leased()).to.equal(4);
    uw.gate.release(tasks[1].id); // reserve 3 -> 2: half spent
    await waitFor('the reserve to be refilled', () => claimCalls().length > 1, WAIT_MS, 5);
    await waitFor('the second outcome', () => uw.settled.length === 2, WAIT_MS, 5);
    await uw.store.quiet();
    // Topped up to concurrency + prefetch, less any outcome still being written when it claimed.
    const refill = claimCalls().slice(1).reduce((n, p) => n + p.limit, 0);
    expect(refill).to.be.within(1, 2);
    expect(leased()).to.equal(3 + refill);
    expect(uw.gate.started).to.deep.equal(tasks.slice(0, 3).map((t) => t.id));
  });
});

describe('prefetch: the auto reserve', () => {
  it('keeps about what its slots start within 0.1 s: up to 500 for short tasks, none for tasks of a second', () => {
    const reserve = new PrefetchReserve(4, 'auto');
    expect(reserve.size).to.equal(4); // before any run: about one per slot
    for (let i = 0; i < 50; i++) reserve.observe(0.05);
    expect(reserve.size).to.equal(AUTO_MAX);
    for (let i = 0; i < 50; i++) reserve.observe(20);
    expect(reserve.size).to.equal(20); // 4 slots x 100 ms / 20 ms
    for (let i = 0; i < 50; i++) reserve.observe(1500);
    expect(reserve.size).to.equal(0);
    const waiting = new PrefetchReserve(4, 'auto');
    waiting.waitedFor(1000); // reserved tasks waited a second behind runs not finished yet
    expect(waiting.size).to.equal(0);
  });

  it('keeps a fixed prefetch whatever the run times', () => {
    const reserve = new PrefetchReserve(4, 7);
    for (let i = 0; i < 50; i++) reserve.observe(5000);
    expect(reserve.size).to.equal(7);
  });
});

describe('worker: prefetch auto (the default)', () => {
  let uw: UnitWorker;
  afterEach(async () => uw?.close());
  const pendingClaims = () => uw.store.callsTo('claim').map(([p]) => p as ClaimParams).filter((p) => p.from === 'PENDING');

  it('grows its claims for short tasks, from a slot-sized first claim', async () => {
    uw = new UnitWorker({ concurrency: 2 });
    expect(uw.config.prefetch).to.equal('auto');
    uw.add(...Array.from({ length: 600 }, () => ({ name: 't.task' })));
    await uw.worker.start();
    await waitFor('every task to complete', () => uw.store.rows().every((r) => r.status === 'COMPLETED'), WAIT_MS, 5);
    const limits = pendingClaims().map((p) => p.limit);
    expect(limits[0]).to.equal(4); // 2 slots + about one each
    expect(Math.max(...limits)).to.be.greaterThan(100);
    expect(Math.max(...limits)).to.be.at.most(2 + AUTO_MAX);
  });

  it('gives a reserved task that waited over a second behind a slow one back to the table, and runs it later', async () => {
    uw = new UnitWorker({ concurrency: 1 });
    const [slow, waiting] = uw.add({ name: 't.gated' }, { name: 't.task' });
    await uw.worker.start();
    await waitFor('the slow run', () => uw.gate.started.length === 1, WAIT_MS, 5);
    expect(uw.store.row(waiting.id)).to.include({ status: 'PROGRESS', lockedBy: uw.worker.id }); // in the reserve
    await waitFor('the reserved task to be given back', () => uw.store.row(waiting.id).status === 'PENDING', WAIT_MS, 20);
    expect(uw.store.row(waiting.id).lockedBy).to.equal(null);
    await uw.store.quiet();
    expect(uw.store.row(waiting.id).status).to.equal('PENDING'); // not claimed back while the slot is taken
    uw.gate.release(slow.id);
    await waitFor('both to complete', () => uw.store.rows().every((r) => r.status === 'COMPLETED'), WAIT_MS, 5);
  });
});
