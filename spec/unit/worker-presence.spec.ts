// A worker's row in the registry (lib/worker-presence.ts) over the memory store: written at start
// with what the workers page shows, refreshed by every heartbeat with the running count, written
// again when it went missing, deleted on a clean stop; a registry that cannot be written is warned
// of once and never stops the work.
import { expect } from 'chai';
import { hostname } from 'node:os';
import { UnitWorker } from '../support/unit-worker';
import { waitFor } from '../support/wait';

const WAIT_MS = 5000;

describe('worker: registry row (the dashboard\'s workers page)', () => {
  let uw: UnitWorker;
  afterEach(async () => uw?.close());

  it('registers at start, heartbeats its running count, registers again if its row went missing, deregisters on stop', async () => {
    uw = new UnitWorker({ leaseTime: 1, concurrency: 3, queues: ['emails'] }); // a heartbeat every 333 ms
    await uw.worker.start();
    const row = uw.store.workerRows.get(uw.worker.id)!;
    expect(row).to.include({ host: hostname(), pid: process.pid, concurrency: 3, prefetch: 'auto', pool: 'inline', leaseMs: 1000, running: 0 });
    expect(row.queues).to.deep.equal(['emails']);
    expect(row.expiresAt).to.equal(row.lastSeenAt + 1000);

    const [task] = uw.add({ name: 't.gated', queue: 'emails' });
    await waitFor('the running count in the row', () => uw.store.workerRows.get(uw.worker.id)?.running === 1, WAIT_MS, 5);
    uw.store.workerRows.delete(uw.worker.id); // removed meanwhile (another worker's clean-up after a long pause)
    await waitFor('the row written again', () => uw.store.workerRows.get(uw.worker.id)?.running === 1, WAIT_MS, 5);
    uw.gate.release(task.id);
    await waitFor('the task to complete', () => uw.store.row(task.id).status === 'COMPLETED', WAIT_MS, 5);
    await uw.worker.stop();
    expect(uw.store.workerRows.has(uw.worker.id)).to.equal(false);
  });

  it('registers with a day-old lost worker\'s row deleted, and a recently lost one kept', async () => {
    uw = new UnitWorker();
    const info = { host: 'h', pid: 1, queues: [], concurrency: 1, prefetch: 0, pool: 'thread', leaseMs: 1000, startedAt: 0 };
    const now = Date.now();
    await uw.store.workers.register({ ...info, id: 'lost-long-ago' }, now - 2 * 86_400_000, 0);
    await uw.store.workers.register({ ...info, id: 'lost-an-hour-ago' }, now - 3_600_000, 0);
    await uw.worker.start();
    expect([...uw.store.workerRows.keys()].sort()).to.deep.equal(['lost-an-hour-ago', uw.worker.id].sort());
  });

  it('a registry that cannot be written (not migrated) is warned of once; tasks still run, and it registers once it can', async () => {
    uw = new UnitWorker({ leaseTime: 1 });
    uw.store.registryError = new Error('relation "tw_workers" does not exist');
    await uw.worker.start();
    const [task] = uw.add({ name: 't.task' });
    await waitFor('the task to complete', () => uw.store.row(task.id).status === 'COMPLETED', WAIT_MS, 5);
    await waitFor('a second attempt, at a heartbeat', () => uw.logs.filter((l) => /^worker registry register failed/.test(l.msg)).length >= 2, WAIT_MS, 5);
    expect(uw.logs.filter((l) => l.level === 40 && /^worker registry/.test(l.msg)), 'one warning, then debug').to.have.length(1);
    uw.store.registryError = undefined;
    await waitFor('the row, once the table is there', () => uw.store.workerRows.has(uw.worker.id), WAIT_MS, 5);
  });
});
