// SQLite under a burst of writes: 200 tasks failing at once, each failure a transaction (the fenced
// failure and its attempt record). SQLite has one writer, and a statement waiting for the lock
// waits inside one of the driver's few threads; more waiting transactions than threads once held
// them all, the transaction holding the lock got none for its next statement, and every writer
// waited out the 10 s busy timeout (SQLITE_BUSY). The store queues its transactions instead.
import { expect } from 'chai';
import { TaskRegistry, type TaskWorker, type Worker } from '../../lib/index';
import { countTasks, openSuite } from '../support/harness';
import { waitFor } from '../support/wait';

/** Well under the 10 s busy timeout: a writer that waited it out cannot finish in time. */
const WITHIN_MS = 8000;

describe('SQLite: a burst of failures written at once', function () {
  let tw: TaskWorker;
  let worker: Worker | undefined;

  before(async function () {
    const registry = new TaskRegistry();
    registry.register('burst.fail', () => {
      throw new Error('failing on purpose');
    });
    tw = await openSuite(this, 'sqlite', 'write_burst', { registry, concurrency: 4 });
  });
  after(async () => {
    await worker?.stop();
    await tw?.close();
  });

  it('writes every failure (200 at concurrency 4) without a writer waiting out the busy timeout', async () => {
    await tw.createTasks(Array.from({ length: 200 }, () => ({ name: 'burst.fail', maxRetries: 0 })));
    worker = await tw.startWorker();
    await waitFor('every task FAILED', async () => (await countTasks(tw, "status = 'FAILED'")) === 200, WITHIN_MS);
    const [rows] = await tw.sequelize.query('SELECT COUNT(*) AS n FROM tw_task_attempts');
    expect(Number((rows as Array<{ n: number }>)[0].n)).to.equal(200);
  });
});
