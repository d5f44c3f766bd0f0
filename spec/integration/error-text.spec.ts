// Every error a task throws is stored, whatever characters it holds: PostgreSQL refuses a NUL byte
// in text (22021), so NUL is stored escaped (as the six characters \u0000) on every database. The
// failure is written by the worker that ran the task, not misreported as a lost lease and left to
// the stale-lease sweep (which recorded WorkerLostError and spent a retry).
import { expect } from 'chai';
import { TaskRegistry, type TaskWorker } from '../../lib/index';
import { openSuite } from '../support/harness';
import { ALL_DIALECTS } from '../support/services';

for (const dialect of ALL_DIALECTS) {
  describe(`error text with a NUL byte [${dialect}]`, function () {
    let tw: TaskWorker;
    const registry = new TaskRegistry();
    registry.register('e.nul', () => {
      throw new Error('before\u0000after');
    });
    registry.register('e.nulRetried', (attempt: number) => {
      throw new Error(`attempt ${attempt}\u0000`);
    });

    before(async function () {
      // A 2 s lease: were the failure left to the sweep, it would show within the wait below.
      tw = await openSuite(this, dialect, 'nul_error', { registry, leaseTime: 2, pollInterval: 0.2, backoffBase: 0.05, backoffCap: 0.1 });
      await tw.startWorker();
    });
    after(async () => tw?.close());

    it('is stored escaped by the worker that ran the task, and no retry is spent', async () => {
      const task = await tw.createTask('e.nul', { maxRetries: 0 });
      const done = (await tw.waitForCompletion(task.id, { timeout: 20, attempts: true }))!;
      expect(done.status).to.equal('FAILED');
      expect(done.errorCode).to.not.equal('TW_WORKER_LOST');
      expect(done.error).to.contain('before\\u0000after');
      expect(done.error).to.not.contain('\u0000');
      expect(done.retryCount).to.equal(0);
    });

    it('each retry stores its own error (the retries are the policy\'s, not the sweep\'s)', async () => {
      const task = await tw.createTask('e.nulRetried', { args: [1], maxRetries: 1 });
      const done = (await tw.waitForCompletion(task.id, { timeout: 20 }))!;
      expect(done.status).to.equal('FAILED');
      expect(done.retryCount).to.equal(1);
      expect(done.errorCode).to.not.equal('TW_WORKER_LOST');
      expect(done.error).to.contain('attempt 1\\u0000');
    });
  });
}
