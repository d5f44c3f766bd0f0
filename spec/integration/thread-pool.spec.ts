// The thread pool's run-ahead queue, with real threads (no database): calls handed to a thread
// ahead of their start run once each; one queued behind a long task moves to a thread gone idle;
// its timeout counts from its real start; a timeout or a crash fails only the running task and the
// calls queued behind it run on the replacement; queued calls can be taken back (shutdown) or
// cancelled without ever starting.
import { expect } from 'chai';
import * as path from 'node:path';
import { ThreadPool } from '../../lib/pool/thread-pool';
import { CancelledError } from '../../lib/task-errors';
import type { JsonObject, TaskCall, TaskOutcome } from '../../lib/types';
import { waitFor } from '../support/wait';
import { countBy, faultDir, readRecords } from '../support/worker-process';

const TASKS = path.join(__dirname, '..', 'fixtures', 'fault-tasks.js');
let seq = 0;

function call(name: string, kwargs: JsonObject = {}, timeout = 30): TaskCall {
  seq++;
  return { id: `call-${seq}`, name, queue: 'default', args: [], kwargs, timeout, attempt: 0, scheduledFor: null };
}

describe('thread pool: run-ahead queue (real threads)', function () {
  let pool: ThreadPool | undefined;
  let dir: string;
  const previousDir = process.env.TW_FAULT_DIR;

  before(() => {
    dir = faultDir('thread-pool');
    process.env.TW_FAULT_DIR = dir; // threads copy the environment when they start
  });
  after(() => {
    if (previousDir === undefined) delete process.env.TW_FAULT_DIR;
    else process.env.TW_FAULT_DIR = previousDir;
  });
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  async function startPool(size: number): Promise<ThreadPool> {
    pool = new ThreadPool({ size, modules: [TASKS], moduleRoot: undefined, memoryLimitMb: 64 }, (error) => {
      throw error;
    });
    await pool.start();
    return pool;
  }

  const starts = (id: string) => countBy(readRecords(dir), 'start').get(id) ?? 0;

  it('takes several calls per thread and runs each exactly once, reporting when each really started', async () => {
    const p = await startPool(2);
    expect(p.capacity).to.be.greaterThan(2);
    const calls = Array.from({ length: 40 }, () => call('fault.work', { ms: 1 }));
    const startedAt = new Map<string, number>();
    const outcomes = await Promise.all(calls.map((c) => p.run(c, undefined, (at) => startedAt.set(c.id, at))));
    expect(outcomes.every((o) => o.ok)).to.equal(true);
    for (const c of calls) expect(starts(c.id), c.id).to.equal(1);
    expect(startedAt.size).to.equal(40);
  });

  it('moves the calls queued behind a long task to a thread gone idle', async () => {
    const p = await startPool(2);
    // One dispatch, least loaded first: the spin and two of the others go to one thread, the rest
    // to the other, which soon idles while two calls wait behind the spin.
    const spin = call('fault.spin', {}, 2);
    const others = Array.from({ length: 5 }, () => call('fault.work', { ms: 1 }));
    const order: string[] = [];
    const runs = [spin, ...others].map((c) => p.run(c).then((o) => (order.push(c.id), o)));
    const [spun, ...rest] = await Promise.all(runs);
    expect(spun).to.include({ ok: false, kind: 'timeout' });
    expect(rest.every((o) => o.ok)).to.equal(true);
    expect(order[order.length - 1]).to.equal(spin.id); // none waited for the spin's timeout
    for (const c of others) expect(starts(c.id)).to.equal(1);
  });

  it("counts a queued call's timeout from its start, not from when it was handed over", async () => {
    const p = await startPool(1);
    const long = call('fault.work', { ms: 1500 });
    const short = call('fault.work', { ms: 1 }, 1); // waits ~1.5 s in the queue, runs in 1 ms
    const [a, b] = await Promise.all([p.run(long), p.run(short)]);
    expect(a.ok).to.equal(true);
    expect(b.ok, JSON.stringify(b)).to.equal(true);
  });

  it("fails only the timed-out task; the calls queued behind it run on the thread's replacement", async () => {
    const p = await startPool(1);
    const spin = call('fault.spin', {}, 1);
    const next = call('fault.work', { ms: 1 });
    const [spun, after] = await Promise.all([p.run(spin), p.run(next)]);
    expect(spun).to.include({ ok: false, kind: 'timeout' });
    expect(after.ok).to.equal(true);
    expect(starts(next.id)).to.equal(1);
  });

  it('fails only the task whose thread exits; the calls queued behind it run once, on the replacement', async () => {
    const p = await startPool(1);
    const exit = call('fault.exit');
    const next = call('fault.work', { ms: 1 });
    const [crashed, after] = await Promise.all([p.run(exit), p.run(next)]);
    expect(crashed).to.include({ ok: false, kind: 'crash' });
    expect((crashed as { error: string }).error).to.include('exited with code 3');
    expect(after.ok).to.equal(true);
    expect(starts(next.id)).to.equal(1);
  });

  it('takes back the calls that have not started (shutdown): they never run, the running one finishes', async () => {
    const p = await startPool(1);
    const running = call('fault.work', { ms: 300 });
    const queued = [call('fault.work', { ms: 1 }), call('fault.work', { ms: 1 })];
    const first = p.run(running);
    const rest = queued.map((c) => p.run(c));
    await waitFor('the first call to start', () => starts(running.id) === 1, 5000, 5);
    expect(p.takeBackUnstarted().sort()).to.deep.equal(queued.map((c) => c.id).sort());
    for (const outcome of await Promise.all(rest)) expect(outcome).to.include({ ok: false, code: 'TW_WORKER_STOPPED' });
    expect((await first).ok).to.equal(true);
    for (const c of queued) expect(starts(c.id)).to.equal(0);
  });

  it('ends a cancelled call that has not started without running it', async () => {
    const p = await startPool(1);
    const running = call('fault.work', { ms: 300 });
    const queued = call('fault.work', { ms: 1 });
    const first = p.run(running);
    const second = p.run(queued);
    await waitFor('the first call to start', () => starts(running.id) === 1, 5000, 5);
    expect(p.abortTask(queued.id, new CancelledError('no longer wanted'))).to.equal(true);
    const outcome: TaskOutcome = await second;
    expect(outcome).to.include({ ok: false, code: 'TW_CANCELLED' });
    expect((await first).ok).to.equal(true);
    expect(starts(queued.id)).to.equal(0);
  });
});
