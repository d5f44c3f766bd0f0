// Crash recovery and fencing with real processes: a worker killed with SIGKILL mid-task has its
// tasks recovered by another worker once the lease runs out; a worker paused (SIGSTOP) past its
// lease finishes its task after SIGCONT but cannot overwrite the result of the worker that took over.
import { expect } from 'chai';
import type { TaskWorker } from '../../lib/index';
import { openSuite } from '../support/harness';
import { REDIS_URL, uniquePrefix, type TestDialect } from '../support/services';
import { waitFor } from '../support/wait';
import { cleanupWorkers, countBy, faultDir, readRecords, WorkerProcess } from '../support/worker-process';

const LEASE_S = 2;

// Each database once; with Redis the sweep lock is Redlock, without it the database lock row.
const KILL_CASES: Array<{ dialect: TestDialect; redis: boolean }> = [
  { dialect: 'postgres', redis: true }, { dialect: 'mariadb', redis: false }, { dialect: 'sqlite', redis: false },
];

for (const { dialect, redis } of KILL_CASES) {
  describe(`fault: kill -9 [${dialect}${redis ? ' + Redis' : ''}]`, function () {
    let tw: TaskWorker;
    const channelPrefix = uniquePrefix('kill');

    before(async function () {
      tw = await openSuite(this, dialect, 'fault_kill', { withRedis: redis, channelPrefix });
    });
    afterEach(async function () {
      await cleanupWorkers(this);
    });
    after(async () => tw?.close());

    it('a second worker recovers the 4 PROGRESS tasks of a SIGKILLed worker within the lease; each completes once', async () => {
      const dir = faultDir('kill');
      const common = { databaseUrl: tw.config.databaseUrl, faultDir: dir, concurrency: 4, retry: 1, leaseTime: LEASE_S,
        pollInterval: 0.2, redisUrl: redis ? REDIS_URL : undefined, config: { channelPrefix } };
      // The first attempt would take a minute: it is still running when the worker is killed.
      const tasks = await tw.createTasks(Array.from({ length: 4 }, () => ({ name: 'fault.work', kwargs: { firstMs: 60_000, ms: 20 } })));
      const ids = tasks.map((t) => t.id);
      const victim = await WorkerProcess.start({ ...common, label: 'victim' });
      await waitFor('4 tasks started by the victim', () => countBy(readRecords(dir), 'start').size === 4);
      const rescuer = await WorkerProcess.start({ ...common, label: 'rescuer' });

      const leases = await Promise.all(ids.map((id) => tw.store.get(id)));
      expect(leases.map((t) => t!.status)).to.deep.equal(['PROGRESS', 'PROGRESS', 'PROGRESS', 'PROGRESS']);
      const killedAt = Date.now();
      victim.signal('SIGKILL');
      expect((await victim.exited).signal).to.equal('SIGKILL');
      const lastLease = Math.max(...(await Promise.all(ids.map((id) => tw.store.get(id)))).map((t) => t!.leaseExpiresAt!));

      const done = await waitFor('all 4 recovered and COMPLETED', async () => {
        const rows = await Promise.all(ids.map((id) => tw.store.get(id)));
        return rows.every((t) => t!.status === 'COMPLETED') ? rows.map((t) => t!) : undefined;
      }, 20_000);
      const retriedAt = Math.max(...done.map((t) => t.startedAt!));
      console.log(`      killed -> all 4 restarted elsewhere in ${retriedAt - killedAt} ms ` +
        `(${retriedAt - lastLease} ms after the last lease expired; lease ${LEASE_S} s)`);
      // The lease had to run out first; then one sweep interval (lease/2) plus scheduling slack.
      expect(retriedAt).to.be.at.least(lastLease);
      expect(retriedAt - lastLease).to.be.below(LEASE_S * 1000);

      const records = readRecords(dir);
      const starts = countBy(records, 'start');
      const finishes = countBy(records, 'done');
      for (const task of done) {
        expect(task.retryCount, 'one retry: the killed attempt').to.equal(1);
        expect(JSON.parse(task.result!)).to.deep.equal({ pid: rescuer.pid, attempt: 1 });
        expect(starts.get(task.id), 'started by the victim, then by the rescuer').to.equal(2);
        expect(finishes.get(task.id), 'finished exactly once').to.equal(1);
      }
      expect(records.filter((r) => r.pid === victim.pid && r.event === 'done')).to.have.length(0);
      expect(rescuer.logs().filter((l) => l.msg === 'recovered a task from a lost worker')).to.have.length(4);
      expect(await rescuer.stop()).to.equal(0);
    });
  });
}

const PAUSE_CASES: Array<{ dialect: TestDialect; redis: boolean }> = [{ dialect: 'postgres', redis: false }, { dialect: 'mariadb', redis: true }];

for (const { dialect, redis } of PAUSE_CASES) {
  describe(`fault: SIGSTOP past the lease [${dialect}${redis ? ' + Redis' : ''}]`, function () {
    let tw: TaskWorker;
    const channelPrefix = uniquePrefix('pause');

    before(async function () {
      tw = await openSuite(this, dialect, 'fault_pause', { withRedis: redis, channelPrefix });
    });
    afterEach(async function () {
      await cleanupWorkers(this);
    });
    after(async () => tw?.close());

    it("a paused worker cannot overwrite the new owner's result (fenced write)", async () => {
      const dir = faultDir('pause');
      const common = { databaseUrl: tw.config.databaseUrl, faultDir: dir, concurrency: 1, retry: 1, leaseTime: 1,
        pollInterval: 0.2, redisUrl: redis ? REDIS_URL : undefined, config: { channelPrefix } };
      const task = await tw.createTask('fault.work', { kwargs: { firstMs: 2500, ms: 10 } });
      const paused = await WorkerProcess.start({ ...common, label: 'paused' });
      await waitFor('the first attempt to start', () => countBy(readRecords(dir), 'start').get(task.id) === 1);
      paused.signal('SIGSTOP');
      const owner = await WorkerProcess.start({ ...common, label: 'new-owner' });

      const taken = await waitFor('the new owner to complete the task', async () => {
        const row = await tw.store.get(task.id);
        return row?.status === 'COMPLETED' ? row : undefined;
      }, 20_000);
      expect(JSON.parse(taken.result!)).to.deep.equal({ pid: owner.pid, attempt: 1 });

      paused.signal('SIGCONT');
      // The paused attempt runs to its end and tries to write its own result...
      await waitFor('the paused attempt to finish', () =>
        readRecords(dir).some((r) => r.pid === paused.pid && r.event === 'done' && r.id === task.id));
      await paused.waitForLog('outcome not written: this worker no longer held the task (its lease expired and it was taken over)');
      // ...which the fence refused: the row is still the new owner's.
      const after = (await tw.store.get(task.id))!;
      expect(after.status).to.equal('COMPLETED');
      expect(after.retryCount).to.equal(1);
      expect(after.result).to.equal(taken.result);
      expect(after.finishedAt).to.equal(taken.finishedAt);
      expect(await paused.stop()).to.equal(0);
      expect(await owner.stop()).to.equal(0);
    });
  });
}
