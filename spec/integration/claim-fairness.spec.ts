// No ready task starves behind a steady stream of PENDING tasks. Among equally urgent ready tasks
// the original's order holds (PENDING first, then retries, fault-order.spec.ts); but a retry of a
// better priority is claimed ahead of them (within a second), and a retry or a task recovered
// from a dead worker (a real lease that ran out) is claimed ahead once it has been ready for 10 s.
import { expect } from 'chai';
import { TaskRegistry, type TaskWorker } from '../../lib/index';
import { countTasks, openSuite } from '../support/harness';
import { ALL_DIALECTS } from '../support/services';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const dialect of ALL_DIALECTS) {
  describe(`claim fairness under a steady backlog [${dialect}]`, function () {
    let tw: TaskWorker;
    const registry = new TaskRegistry();
    registry.register('f.backlog', () => sleep(40));
    const failedOnce = new Set<string>();
    registry.register('f.flaky', (key: string) => {
      if (!failedOnce.has(key)) {
        failedOnce.add(key);
        throw new Error('first attempt fails');
      }
      return 'ok';
    });
    registry.register('f.recovered', () => 'ok');

    before(async function () {
      tw = await openSuite(this, dialect, 'fairness', { registry, concurrency: 2, pollInterval: 0.2, backoffBase: 0.05, backoffCap: 0.1 });
    });
    after(async () => tw?.close());

    it('an urgent retry runs within a second; recovered tasks within 10 s of their recovery; the backlog is still there', async function () {
      this.timeout(90_000);
      // About 24 s of work for two slots: far longer than any bound below.
      await tw.createTasks(Array.from({ length: 1200 }, () => ({ name: 'f.backlog' })));
      const urgent = await tw.createTask('f.flaky', { args: ['urgent'], priority: -100, maxRetries: 1 });
      // Two tasks whose worker died mid-run: PROGRESS, held by a worker that is gone, lease run out.
      const lost = await tw.createTasks([{ name: 'f.recovered', maxRetries: 1 }, { name: 'f.recovered', maxRetries: 1 }]);
      await tw.sequelize.query(`UPDATE tw_tasks SET status = 'PROGRESS', locked_by = 'dead-worker', started_at = 1, ` +
        `lease_expires_at = ${Date.now() - 1000} WHERE id IN ('${lost[0].id}', '${lost[1].id}')`);
      await tw.startWorker();

      const retried = (await tw.waitForCompletion(urgent.id, { timeout: 30 }))!;
      expect(retried.status).to.equal('COMPLETED');
      expect(retried.retryCount).to.equal(1);
      // The urgent retry did not wait for the backlog of a worse priority.
      expect(await countTasks(tw, "name = 'f.backlog' AND status = 'PENDING'")).to.be.greaterThan(600);

      for (const task of lost) {
        const done = (await tw.waitForCompletion(task.id, { timeout: 40 }))!;
        expect(done.status).to.equal('COMPLETED');
        expect(done.retryCount).to.equal(1); // the lost run counted as an attempt
      }
      // Recovered at once (their lease had run out), run within the 10 s bound, long before the backlog drained.
      expect(await countTasks(tw, "name = 'f.backlog' AND status = 'PENDING'")).to.be.greaterThan(200);
    });
  });
}
