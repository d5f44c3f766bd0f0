// PostgreSQL restarted in the middle of a 2,000-task run across two real worker processes: both
// survive, reconnect with backoff, write the outcomes they could not write during the outage, and
// every task is COMPLETED exactly once (a clean restart gives no reason to rerun anything).
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import type { TaskWorker } from '../../lib/index';
import { countTasks, openSuite } from '../support/harness';
import { ensureServicesUp, startPostgres, stopPostgres } from '../support/service-control';
import { waitFor } from '../support/wait';
import { cleanupWorkers, countBy, faultDir, readRecords, WorkerProcess } from '../support/worker-process';

const TASKS = 2000;

/** A count that tolerates the test's own connections breaking while the server restarts. */
async function completed(tw: TaskWorker): Promise<number> {
  try {
    return await countTasks(tw, "status = 'COMPLETED'");
  } catch {
    return -1;
  }
}

describe('fault: PostgreSQL restarted during a 2,000-task run', function () {
  this.timeout(180_000);
  let tw: TaskWorker;

  before(async function () {
    tw = await openSuite(this, 'postgres', 'fault_pg_restart');
  });
  afterEach(async function () {
    await cleanupWorkers(this);
  });
  after(async () => {
    await ensureServicesUp();
    await tw?.close();
  });

  it('the workers survive the restart, reconnect, and complete every task exactly once', async () => {
    const dir = faultDir('pg-restart');
    const tasks = await tw.createTasks(Array.from({ length: TASKS }, () => ({ name: 'fault.work', kwargs: { ms: 20 } })));
    const common = { databaseUrl: tw.config.databaseUrl, faultDir: dir, concurrency: 4, leaseTime: 2, pollInterval: 0.2 };
    const workers = await Promise.all([1, 2].map((n) => WorkerProcess.start({ ...common, label: `pg-worker-${n}` })));
    await waitFor('300 tasks done before the restart', async () => (await completed(tw)) >= 300, 60_000);

    // A restart in two steps, to know when the server was down and when it was back.
    const restartAt = Date.now();
    await stopPostgres();
    const downAt = Date.now();
    await startPostgres();
    const upAt = Date.now();
    console.log(`      PostgreSQL stopped in ${downAt - restartAt} ms, back ${upAt - downAt} ms later`);

    await waitFor(`all ${TASKS} COMPLETED`, async () => (await completed(tw)) === TASKS, 120_000, 200);
    console.log(`      all ${TASKS} COMPLETED ${Date.now() - upAt} ms after it was back`);
    const [{ before, after }] = await tw.sequelize.query<{ before: number | string; after: number | string }>(
      `SELECT SUM(CASE WHEN finished_at < ${restartAt} THEN 1 ELSE 0 END) AS before, ` +
        `SUM(CASE WHEN started_at >= ${upAt} THEN 1 ELSE 0 END) AS after FROM tw_tasks`, { type: QueryTypes.SELECT });
    console.log(`      ${before} tasks finished before the restart, ${after} started after it`);
    expect(Number(before), 'work done before the restart').to.be.at.least(300);
    expect(Number(after), 'work left after the restart').to.be.at.least(100);

    const finishes = countBy(readRecords(dir), 'done');
    const reruns = [...finishes.values()].filter((n) => n > 1).length;
    expect(finishes.size, 'every task ran').to.equal(TASKS);
    expect(reruns, 'tasks run more than once').to.equal(0);
    for (const task of tasks.slice(0, 50)) expect((await tw.store.get(task.id))!.retryCount).to.equal(0);

    for (const worker of workers) {
      expect(worker.alive, `${worker.options.label} survived`).to.equal(true);
      expect(worker.hasLog('recovered a task from a lost worker'), 'no sweep mistook the outage for a dead worker').to.equal(false);
    }
    // Outcomes of tasks that finished while the server was down were kept and written afterwards.
    // (Whether a claim also hit the outage depends on timing: when it does, it backs off and logs.)
    const saw = (msg: string) => workers.some((w) => w.hasLog(msg));
    expect(saw('database write failed; retrying until it succeeds'), 'a result write hit the outage').to.equal(true);
    expect(saw('database write succeeded after retrying'), 'and was written afterwards').to.equal(true);
    if (saw('claim failed: database unreachable? retrying with backoff')) {
      expect(saw('database reachable again: claiming resumed'), 'claiming resumed').to.equal(true);
    }
    for (const worker of workers) expect(await worker.stop()).to.equal(0);
  });
});
