// Prefetch: a worker keeps leased tasks ready in memory. Each task still records when it really
// started, and a stopping worker hands back the prefetched tasks it never started.
import { expect } from 'chai';
import { TaskRegistry, type TaskWorker } from '../../lib/index';
import { ALL_DIALECTS } from '../support/services';
import { clearTasks, openSuite, statusCounts } from '../support/harness';
import { waitFor } from '../support/wait';

for (const dialect of ALL_DIALECTS) {
  describe(`prefetch [${dialect}]`, function () {
    let tw: TaskWorker;
    const registry = new TaskRegistry();
    let release: () => void = () => undefined;
    let gate = Promise.resolve();
    let gatedStarted: () => void = () => undefined;
    registry.register('p.step', () => new Promise((resolve) => setTimeout(resolve, 5)));
    registry.register('p.gated', () => {
      gatedStarted();
      return gate;
    });

    before(async function () {
      tw = await openSuite(this, dialect, 'prefetch', { registry, concurrency: 1, prefetch: 5, pollInterval: 0.1 });
    });
    after(async () => tw?.close());
    beforeEach(async () => clearTasks(tw));

    it('runs prefetched tasks one after another and stores when each really started', async () => {
      const tasks = await tw.createTasks(Array.from({ length: 8 }, () => ({ name: 'p.step' })));
      const worker = await tw.startWorker();
      try {
        const done = [];
        for (const task of tasks) done.push((await tw.waitForCompletion(task.id, { timeout: 10 }))!);
        for (let i = 1; i < done.length; i++) {
          // Concurrency 1: a task starts only after the one before it finished, whenever it was claimed.
          expect(done[i].startedAt!.getTime()).to.be.at.least(done[i - 1].finishedAt!.getTime());
          expect(done[i].startedAt!.getTime()).to.be.at.least(done[i].createdAt.getTime());
        }
      } finally {
        await worker.stop();
      }
    });

    it('hands back the prefetched tasks it never started when it stops', async () => {
      gate = new Promise<void>((resolve) => (release = resolve));
      const started = new Promise<void>((resolve) => (gatedStarted = resolve));
      const tasks = await tw.createTasks(Array.from({ length: 6 }, () => ({ name: 'p.gated' })));
      const worker = await tw.startWorker();
      // Wait for the handler, not for the rows: the claim is visible as PROGRESS before its reply
      // reaches the worker, and a worker stopped in between rightly hands back all six, none started.
      await started;
      expect((await statusCounts(tw)).PROGRESS).to.equal(6);
      const stopped = worker.stop();
      await waitFor('the prefetched tasks to be handed back', async () => (await statusCounts(tw)).PENDING === 5);
      release();
      await stopped;
      expect(await statusCounts(tw)).to.deep.equal({ COMPLETED: 1, PENDING: 5 });
      expect((await tw.getTask(tasks[0].id))!.status).to.equal('COMPLETED');
    });
  });
}
