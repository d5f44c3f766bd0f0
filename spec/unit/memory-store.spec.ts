// The memory store of the unit specs (spec/support/memory-store.ts) holds to what the claim
// conformance suite (spec/integration/claim-conformance.spec.ts) asserts of every real database:
// claim order, readiness, queues, retry counting, fences, leases and hand-back; plus its locks and
// injected failures.
import { expect } from 'chai';
import type { ClaimParams } from '../../lib/db/dialect';
import { MemoryStore, storeError } from '../support/memory-store';

describe('memory store', () => {
  let store: MemoryStore;
  const base = (overrides: Partial<ClaimParams> = {}): ClaimParams => ({
    from: 'PENDING', limit: 10, now: Date.now() + 1, workerId: 'w1', leaseUntil: Date.now() + 30_000, defaultMaxRetries: 2, queues: [], ...overrides,
  });
  const claimedIds = async (params: ClaimParams) => (await store.claim(params)).map((t) => t.id).sort();
  const done = (id: string, attempt = 0) => ({ id, attempt, result: '1', startedAt: 1, finishedAt: 2, duration: 0.001 });

  beforeEach(() => {
    store = new MemoryStore();
  });

  it('takes ready PENDING tasks by priority, then run_at, then id, and marks them as the claim does', async () => {
    const now = Date.now();
    const [low, first, second, third, urgent] = store.add({ priority: 5 }, { runAt: now - 5000 }, { runAt: now }, { runAt: now }, { priority: -1 });
    const params = base({ limit: 4 });
    const claimed = await store.claim(params);
    expect(claimed.map((t) => t.id).reverse()).to.deep.equal([urgent.id, first.id, second.id, third.id]);
    for (const t of claimed) {
      expect(t).to.include({ status: 'PROGRESS', lockedBy: 'w1', leaseExpiresAt: params.leaseUntil, startedAt: params.now, maxRetries: 2, retryCount: 0 });
      expect(store.row(t.id)).to.deep.equal(t);
    }
    expect(store.row(low.id).status).to.equal('PENDING');
  });

  it('keeps a task its own max_retries, and leaves future tasks and other queues waiting', async () => {
    const [own, later, mail] = store.add({ maxRetries: 0 }, { runAt: Date.now() + 3_600_000 }, { queue: 'emails' });
    expect(await claimedIds(base({ queues: ['default'] }))).to.deep.equal([own.id]);
    expect(store.row(own.id).maxRetries).to.equal(0);
    expect(await claimedIds(base({ queues: ['emails', 'other'] }))).to.deep.equal([mail.id]);
    expect(await claimedIds(base())).to.deep.equal([]);
    expect(await claimedIds(base({ now: Date.now() + 3_601_000 }))).to.deep.equal([later.id]);
  });

  it('takes a retryable FAILED task once its retry time has come, counting the retry; never one with no retry left', async () => {
    const [task, dead] = store.add({ maxRetries: 1 }, {});
    await store.claim(base());
    const at = Date.now();
    expect(await store.fail('w1', { ...done(task.id), error: 'Error: boom', retryAt: at + 5000 })).to.equal(true);
    expect(await store.fail('w1', { ...done(dead.id), error: 'Error: boom', retryAt: null })).to.equal(true);
    expect(await store.claim(base({ from: 'FAILED', now: at + 10 }))).to.deep.equal([]);
    const [retry] = await store.claim(base({ from: 'FAILED', now: at + 5001, workerId: 'w2' }));
    expect(retry).to.include({ id: task.id, retryCount: 1, lockedBy: 'w2', error: 'Error: boom' });
    expect(await store.claim(base({ from: 'FAILED', now: at + 10 ** 9 }))).to.deep.equal([]);
  });

  it('fences writes: another worker, or another attempt, changes nothing; no second completion', async () => {
    const [task] = store.add({});
    await store.claim(base());
    expect(await store.complete('intruder', [done(task.id)])).to.deep.equal([]);
    expect(await store.complete('w1', [done(task.id, 1)])).to.deep.equal([]);
    expect(await store.fail('intruder', { ...done(task.id), error: 'x', retryAt: null })).to.equal(false);
    expect(store.row(task.id).status).to.equal('PROGRESS');
    expect(await store.complete('w1', [done(task.id)])).to.deep.equal([task.id]);
    expect(store.row(task.id)).to.include({ status: 'COMPLETED', lockedBy: null, runAt: null, result: '1' });
    expect(await store.complete('w1', [done(task.id)])).to.deep.equal([]);
  });

  it('renews only its own leases, lists them, and gives tasks back as PENDING', async () => {
    store.add({}, {});
    const [mine] = await store.claim(base({ limit: 1 }));
    await store.claim(base({ limit: 1, workerId: 'w2' }));
    expect(await store.renewLeases('w1', 99, 98)).to.equal(1);
    expect(store.row(mine.id)).to.include({ leaseExpiresAt: 99, updatedAt: 98 });
    expect(await store.leasedBy('w1')).to.deep.equal([mine.id]);
    expect(await store.giveBack('w2', [mine.id], Date.now())).to.equal(0);
    expect(await store.giveBack('w1', [mine.id], Date.now())).to.equal(1);
    expect(store.row(mine.id)).to.include({ status: 'PENDING', lockedBy: null, startedAt: null, leaseExpiresAt: null });
  });

  it('finds expired leases oldest first, and fails one only while its lease is still expired and unchanged', async () => {
    const now = Date.now();
    const [old, recent] = store.add(
      { status: 'PROGRESS', lockedBy: 'a', leaseExpiresAt: now - 2000, startedAt: now - 3000 },
      { status: 'PROGRESS', lockedBy: 'b', leaseExpiresAt: now - 1000 },
      { status: 'PROGRESS', lockedBy: 'c', leaseExpiresAt: now + 1000 },
    );
    const stale = await store.findStale(now, 10);
    expect(stale.map((s) => s.id)).to.deep.equal([old.id, recent.id]);
    store.update(recent.id, { leaseExpiresAt: now + 30_000 }); // renewed meanwhile
    const lost = { text: 'lost', code: 'TW_WORKER_LOST' };
    expect(await store.failStale(stale[1], now, lost, now)).to.equal(false);
    expect(await store.failStale(stale[0], now, lost, null)).to.equal(true);
    expect(store.row(old.id)).to.include({ status: 'FAILED', error: 'lost', errorCode: 'TW_WORKER_LOST', runAt: null, lockedBy: null, lastWorker: 'a', duration: 3 });
  });

  it('holds a lock for one owner until it expires or is released', async () => {
    expect(await store.locks.tryLock('sweep', 'a', 1000, 0)).to.equal(true);
    expect(await store.locks.tryLock('sweep', 'b', 1000, 500)).to.equal(false);
    expect(await store.locks.tryLock('sweep', 'a', 1000, 500)).to.equal(true);
    expect(await store.locks.tryLock('sweep', 'b', 1000, 1501)).to.equal(true);
    await store.locks.unlock('sweep', 'a');
    expect(await store.locks.tryLock('sweep', 'a', 1000, 1600)).to.equal(false);
    await store.locks.unlock('sweep', 'b');
    expect(await store.locks.tryLock('sweep', 'a', 1000, 1600)).to.equal(true);
  });

  it('fails the calls it is told to: before the write changes nothing, after it the caller never hears of it', async () => {
    const [a, b] = store.add({}, {});
    store.failNext('claim');
    const outage = await store.claim(base({ limit: 1 })).catch((e: unknown) => e);
    expect(store.classifyError(outage)).to.equal('transient');
    expect(store.row(a.id).status).to.equal('PENDING');
    store.failNext('claim', { afterWrite: true, error: storeError('conflict') });
    const lostReply = await store.claim(base({ limit: 1 })).catch((e: unknown) => e);
    expect(store.classifyError(lostReply)).to.equal('conflict');
    expect(store.row(a.id).status).to.equal('PROGRESS');
    expect(await claimedIds(base())).to.deep.equal([b.id]);
    expect(store.classifyError(storeError('permanent'))).to.equal('permanent');
  });
});
