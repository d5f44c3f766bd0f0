// The settler (lib/settler.ts) over the memory store: completions gathered into one write, a failure
// stored with the retry policy's time, a result the database refuses turned into a ResultError, a
// write fenced out reported lost, an outage outlasted, and writes given up once told to.
import { expect } from 'chai';
import pino from 'pino';
import { resolveConfig, type TaskWorkerOptions } from '../../lib/config';
import { DatabaseHealth } from '../../lib/database-health';
import type { Completion } from '../../lib/db/dialect';
import type { Notifier, TaskChannel, TaskEvent } from '../../lib/notifier/notifier';
import { Settler, type RunTiming } from '../../lib/settler';
import type { TaskOutcome, TaskRecord } from '../../lib/types';
import { MemoryStore, storeError } from '../support/memory-store';

const WORKER = 'w1';

describe('settler', () => {
  let store: MemoryStore;
  let health: DatabaseHealth;
  let published: Array<{ channel: TaskChannel; event: TaskEvent }>;
  let logs: string[];

  function settler(options: TaskWorkerOptions = {}): Settler {
    const config = resolveConfig({ completionBatchDelay: 5, backoffBase: 10, backoffCap: 10, ...options }, {});
    const notifier: Notifier = {
      publish: (channel, event) => void published.push({ channel, event }),
      subscribe: async () => () => undefined,
      live: () => false,
      close: async () => undefined,
    };
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push((JSON.parse(line) as { msg: string }).msg) });
    return new Settler({ config, store, notifier, logger }, WORKER, health);
  }

  /** Tasks this worker runs now, as its claim returned them. */
  function held(count: number, overrides: Partial<TaskRecord> = {}): TaskRecord[] {
    const now = Date.now();
    return store.add(...Array.from({ length: count }, () => ({
      status: 'PROGRESS' as const, lockedBy: WORKER, startedAt: now, leaseExpiresAt: now + 30_000, maxRetries: 0, ...overrides,
    })));
  }

  const ok = (result: unknown): TaskOutcome => ({ ok: true, result: JSON.stringify(result) });
  const failed = (error: string): TaskOutcome => ({ ok: false, kind: 'error', error });
  function timing(): RunTiming {
    const finishedAt = Date.now();
    return { startedAt: finishedAt - 40, finishedAt, duration: 0.04 };
  }
  const completeCalls = () => store.callsTo('complete').map(([, completions]) => (completions as Completion[]).map((c) => c.id));

  beforeEach(() => {
    store = new MemoryStore();
    health = new DatabaseHealth((e) => store.classifyError(e));
    published = [];
    logs = [];
  });

  it('writes completions that finish within the batch window in one statement, announced in one message', async () => {
    const s = settler();
    const tasks = held(3);
    const run = timing();
    const settled = await Promise.all(tasks.map((t) => s.settle(t, ok(t.id), run)));
    expect(settled.map(({ state, retryAt }) => ({ state, retryAt }))).to.deep.equal(tasks.map(() => ({ state: 'written', retryAt: null })));
    expect(completeCalls()).to.deep.equal([tasks.map((t) => t.id)]);
    for (const t of tasks) {
      expect(store.row(t.id)).to.include({ status: 'COMPLETED', result: JSON.stringify(t.id), startedAt: run.startedAt, finishedAt: run.finishedAt,
        duration: run.duration, lockedBy: null, leaseExpiresAt: null, runAt: null });
    }
    expect(published).to.deep.equal([{ channel: 'finished', event: { id: tasks[0].id, ids: tasks.map((t) => t.id) } }]);
  });

  it('stores a failure with the time the retry policy gives, and announces the retry', async () => {
    const s = settler();
    const [task] = held(1, { maxRetries: 2 });
    const run = timing();
    const settled = await s.settle(task, failed('Error: boom\n    at handler'), run);
    expect(settled.state).to.equal('written');
    expect(settled.retryAt).to.be.within(run.finishedAt + 5000, run.finishedAt + 10_000); // retry 1: half to all of base
    expect(store.row(task.id)).to.include({ status: 'FAILED', error: 'Error: boom\n    at handler', runAt: settled.retryAt, retryCount: 0,
      startedAt: run.startedAt, finishedAt: run.finishedAt, lockedBy: null, leaseExpiresAt: null });
    expect(published).to.deep.equal([{ channel: 'requeued', event: { id: task.id, queue: 'default', runAt: settled.retryAt } }]);
  });

  it('fails a task for good after its last attempt, and cuts an error text too long to store', async () => {
    const s = settler();
    const [task] = held(1, { maxRetries: 1, retryCount: 1 });
    const settled = await s.settle(task, failed(`Error: ${'x'.repeat(20_000)}`), timing());
    expect(settled).to.deep.include({ state: 'written', retryAt: null });
    const row = store.row(task.id);
    expect(row).to.include({ status: 'FAILED', runAt: null });
    expect(row.error!.length).to.be.below(16_100);
    expect(row.error).to.match(/\n\.\.\. \(4007 more characters cut\)$/);
    expect(published).to.deep.equal([{ channel: 'failed', event: { id: task.id, queue: 'default' } }]);
  });

  it('turns a result the database refuses into a ResultError failure; the rest of its batch is written', async () => {
    const s = settler();
    const [big, small] = held(2);
    store.failNext('complete', {
      times: Infinity, error: storeError('permanent', 'value too long for type text'),
      when: ([, completions]) => (completions as Completion[]).some((c) => c.id === big.id),
    });
    const run = timing();
    const [bigSettled, smallSettled] = await Promise.all([s.settle(big, ok('x'.repeat(100)), run), s.settle(small, ok(1), run)]);
    expect(bigSettled).to.deep.include({ state: 'written', retryAt: null });
    expect(bigSettled.outcome).to.include({ ok: false, code: 'TW_RESULT' }); // what was written: the ResultError
    expect(smallSettled).to.deep.include({ state: 'written', retryAt: null });
    expect(completeCalls()).to.deep.equal([[big.id, small.id], [big.id], [small.id]]);
    expect(store.row(small.id).status).to.equal('COMPLETED');
    expect(store.row(big.id)).to.include({ status: 'FAILED', result: null,
      error: "ResultError: the database refused the task's result (value too long for type text); nothing was stored" });
  });

  it('reports an outcome lost when the task is no longer this worker\'s, and changes nothing', async () => {
    const s = settler();
    const [takenOver, failedOver] = held(2, { lockedBy: 'w2' }); // recovered and claimed by another worker
    const [rerun] = held(1, { retryCount: 1 }); // this worker runs it again: attempt 0's outcome is stale
    const before = store.rows();
    const settled = await Promise.all([
      s.settle({ ...takenOver, lockedBy: WORKER }, ok(1), timing()),
      s.settle({ ...failedOver, lockedBy: WORKER }, failed('Error: late'), timing()),
      s.settle({ ...rerun, retryCount: 0 }, ok(1), timing()),
    ]);
    expect(settled.map((x) => x.state)).to.deep.equal(['lost', 'lost', 'lost']);
    expect(store.rows()).to.deep.equal(before);
    expect(published).to.deep.equal([]);
    expect(logs.filter((m) => m.startsWith('outcome not written: this worker no longer held the task'))).to.have.length(3);
  });

  it('stores an error text the database refused once in plain ASCII; one refused twice is reported refused, never lost', async () => {
    const s = settler();
    const [once, twice] = held(2);
    store.failNext('fail', { times: 1, error: storeError('permanent', 'invalid byte sequence'), when: (args) => (args[1] as { id: string }).id === once.id });
    const first = await s.settle(once, failed('Error: caf\u00e9 \u2603'), timing());
    expect(first.state).to.equal('written');
    expect(store.rows().find((r) => r.id === once.id)!.error).to.match(/^Error: caf\\u00e9 \\u2603\n\(stored as ASCII: the database refused the error text: invalid byte sequence\)$/);
    store.failNext('fail', { times: 2, error: storeError('permanent', 'refused'), when: (args) => (args[1] as { id: string }).id === twice.id });
    const second = await s.settle(twice, failed('Error: x'), timing());
    expect(second.state).to.equal('refused');
    expect(logs.some((m) => m.startsWith('outcome not written: this worker no longer held the task'))).to.equal(false);
    expect(logs).to.include('the database refused the failure record; the task is failed by the stale-lease sweep when its lease runs out');
  });

  it('retries a write through an outage until it lands, and notes the outage for the sweep', async () => {
    const s = settler();
    const [task] = held(1);
    store.failNext('fail', { times: 2 });
    expect(health.failedWithin(60_000)).to.equal(false);
    const settled = await s.settle(task, failed('Error: boom'), timing());
    expect(settled.state).to.equal('written');
    expect(store.callsTo('fail')).to.have.length(3);
    expect(store.row(task.id).status).to.equal('FAILED');
    expect(health.failedWithin(60_000)).to.equal(true);
  });

  it('gives a failing write up once told to, and says the outcome was abandoned', async () => {
    const s = settler();
    const [task] = held(1);
    store.failNext('complete', { times: Infinity });
    s.abandonWrites();
    expect(await s.settle(task, ok(1), timing())).to.deep.include({ state: 'abandoned', retryAt: null });
    expect(store.row(task.id)).to.include({ status: 'PROGRESS', lockedBy: WORKER });
  });

  it('a batch given up part-way still reports what was written, and what the database refused', async () => {
    const s = settler();
    const [refused, written, unwritten] = held(3);
    const batchHolds = (id: string) => ([, completions]: unknown[]) => (completions as Completion[]).some((c) => c.id === id);
    store.failNext('complete', { times: Infinity, error: storeError('permanent'), when: batchHolds(refused.id) });
    store.failNext('complete', { times: Infinity, when: batchHolds(unwritten.id) });
    s.abandonWrites(); // stopping at once: a write that fails is not retried
    const run = timing();
    const settled = await Promise.all([refused, written, unwritten].map((t) => s.settle(t, ok(1), run)));
    expect(settled.map((x) => x.state)).to.deep.equal(['written', 'written', 'abandoned']);
    expect(store.row(refused.id)).to.include({ status: 'FAILED' });
    expect(store.row(written.id)).to.include({ status: 'COMPLETED' });
    expect(store.row(unwritten.id)).to.include({ status: 'PROGRESS' });
  });
});
