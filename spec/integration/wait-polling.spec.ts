// Idle waitForCompletion calls cost the database little: the waits of one client share one query
// per poll interval (by ids), and with Redis delivering messages they poll only every 10 s. 2,000
// waiters once cost 2,000 queries a second, with Redis or without. Counted here are the statements
// the client sends through its runner, over three poll intervals while every waited task is PENDING.
import { expect } from 'chai';
import { TaskRegistry, type TaskWorker } from '../../lib/index';
import type { SqlRunner } from '../../lib/db/runner';
import { openSuite } from '../support/harness';
import { waitFor } from '../support/wait';

const WAITERS = 2000;
const POLL_S = 0.2;

/** Counts the statements `tw` sends from now on. */
function countStatements(tw: TaskWorker): { count: number } {
  const counter = { count: 0 };
  const runner = tw.store.runner as SqlRunner;
  for (const method of ['rows', 'execute'] as const) {
    const original = runner[method].bind(runner) as (...args: unknown[]) => Promise<unknown>;
    (runner as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      counter.count++;
      return original(...args);
    };
  }
  return counter;
}

for (const withRedis of [false, true]) {
  describe(`idle waiters [postgres${withRedis ? ' + redis' : ''}]`, function () {
    let tw: TaskWorker;
    const registry = new TaskRegistry();
    registry.register('w.quick', () => 'done');

    before(async function () {
      tw = await openSuite(this, 'postgres', 'idle_waits', { registry, withRedis, pollInterval: POLL_S, concurrency: 8 });
    });
    after(async () => tw?.close());

    it(`${WAITERS} waiters on PENDING tasks share ${withRedis ? 'no' : 'one'} query per poll interval, and all end when their tasks run`, async () => {
      const tasks = await tw.createTasks(Array.from({ length: WAITERS }, () => ({ name: 'w.quick' })));
      const counter = countStatements(tw);
      const waits = tasks.map((t) => tw.waitForCompletion(t.id, { timeout: 60 }));
      await waitFor('each waiter\'s first read', () => counter.count >= WAITERS);
      const afterFirstReads = counter.count;
      // The quantity measured is the cost of waiting idle, so the window is a fixed stretch of time.
      await new Promise((resolve) => setTimeout(resolve, 3 * POLL_S * 1000));
      const idle = counter.count - afterFirstReads;
      // 2,000 ids are 4 statements of 500; a tick may fall on either side of the window's ends.
      if (withRedis) expect(idle).to.equal(0);
      else expect(idle).to.be.at.most(4 * 4);
      await tw.startWorker();
      const done = await Promise.all(waits);
      expect(done.every((t) => t?.status === 'COMPLETED')).to.equal(true);
    });
  });
}
