// Exactly one task per fire time, whatever the cluster does: three real tw-worker processes share a
// 1-second schedule declared in their configuration (each syncs it at start, all at once) and fire
// it together. Checked by fire time: no gaps, no duplicates, every task run with its fire time as
// currentTask().scheduledFor in a pool thread. Then the same while Redis is stopped (MariaDB) and
// while one worker is SIGSTOPped (PostgreSQL). Windows are a few seconds each so the file runs in
// about a minute; the guarantee rests on the database (unique fire times, a compare-and-set), not
// on how long the run is. tw-admin schedules pauses the schedule at the end of each run.
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import type { TaskWorker } from '../../lib/index';
import { openSuite } from '../support/harness';
import { REDIS_URL, uniquePrefix, type TestDialect } from '../support/services';
import { ensureServicesUp, startRedis, stopRedis } from '../support/service-control';
import { twAdmin } from '../support/tw-admin-process';
import { waitFor } from '../support/wait';
import { cleanupWorkers, faultDir, WorkerProcess } from '../support/worker-process';

type Fault = 'none' | 'redis-stopped' | 'sigstop';

const CASES: Array<{ dialect: TestDialect; fault: Fault; seconds: number }> = [
  { dialect: 'sqlite', fault: 'none', seconds: 6 },
  { dialect: 'postgres', fault: 'none', seconds: 6 },
  { dialect: 'mariadb', fault: 'none', seconds: 6 },
  { dialect: 'mariadb', fault: 'redis-stopped', seconds: 10 },
  { dialect: 'postgres', fault: 'sigstop', seconds: 10 },
];

for (const { dialect, fault, seconds } of CASES) {
  const redis = fault !== 'none' || dialect === 'postgres';
  describe(`schedules: three workers, a 1-second schedule [${dialect}${redis ? ' + Redis' : ''}${fault === 'none' ? '' : `, ${fault}`}]`, function () {
    this.timeout(120_000);
    let tw: TaskWorker;
    const channelPrefix = uniquePrefix('sched-cluster');

    before(async function () {
      tw = await openSuite(this, dialect, `sched_${fault}`.replace('-', '_'), { withRedis: redis, channelPrefix });
    });
    afterEach(async function () {
      await cleanupWorkers(this);
    });
    after(async () => {
      if (fault === 'redis-stopped') await ensureServicesUp();
      await tw?.close();
    });

    async function fireTimes(): Promise<Array<{ id: string; at: number; status: string; result: string | null }>> {
      const rows = await tw.sequelize.query<{ id: string; scheduled_for: string | number; status: string; result: string | null }>(
        "SELECT id, scheduled_for, status, result FROM tw_tasks WHERE schedule_key = 'tick' ORDER BY scheduled_for, id", { type: QueryTypes.SELECT });
      return rows.map((r) => ({ id: r.id, at: Number(r.scheduled_for), status: r.status, result: r.result }));
    }

    it(`${seconds} s of fire times: exactly one task each, no gaps, each run with its fire time`, async () => {
      const dir = faultDir('sched-cluster');
      const schedules = { tick: { every: '1s', task: 'fault.tick' } };
      const common = { databaseUrl: tw.config.databaseUrl, faultDir: dir, concurrency: 2, pollInterval: 0.2,
        redisUrl: redis ? REDIS_URL : undefined, config: { channelPrefix, schedules } };
      const workers = await Promise.all([1, 2, 3].map((n) => WorkerProcess.start({ ...common, label: `sched-${dialect}-${n}` })));
      const first = await waitFor('the first fire', async () => (await fireTimes())[0]?.at, 15_000, 100);
      const reach = (s: number) => waitFor(`fire time +${s}s`, async () => (await fireTimes()).some((f) => f.at >= first + s * 1000), 30_000, 100);

      const half = Math.floor(seconds / 2);
      await reach(half);
      if (fault === 'redis-stopped') {
        await stopRedis();
        await reach(half + 4);
        await startRedis();
      } else if (fault === 'sigstop') {
        workers[0].signal('SIGSTOP');
        await reach(half + 4);
        workers[0].signal('SIGCONT');
      }
      await reach(seconds);

      const url = tw.config.databaseUrl;
      const paused = await twAdmin(['--database-url', url, 'schedules', 'pause', 'tick', '--json']);
      expect(paused.code, paused.stderr).to.equal(0);
      expect(JSON.parse(paused.stdout)).to.include({ key: 'tick', paused: true, source: 'config', every: '1s' });
      // A fire already under way when the pause landed may still commit: wait until every task has run.
      const all = await waitFor('every task to complete', async () => {
        const rows = await fireTimes();
        return rows.every((r) => r.status === 'COMPLETED') ? rows : null;
      }, 30_000, 200);

      const times = all.map((r) => r.at);
      expect(new Set(times).size, 'one task per fire time').to.equal(times.length);
      const gaps = times.slice(1).filter((t, i) => t - times[i] !== 1000).map((t) => new Date(t).toISOString());
      expect(gaps, 'fire times after a gap').to.deep.equal([]);
      expect(times.length).to.be.at.least(seconds + 1);
      for (const r of all) expect(JSON.parse(r.result!), `task ${r.id}`).to.equal(new Date(r.at).toISOString());
      expect(workers.some((w) => w.hasLog('schedules synced')), 'a worker stored the config schedule').to.equal(true);
      console.log(`      ${times.length} fire times, ${new Date(times[0]).toISOString()} .. ${new Date(times[times.length - 1]).toISOString()}`);

      const listed = await twAdmin(['--database-url', url, 'schedules']);
      expect(listed.code, listed.stderr).to.equal(0);
      expect(listed.stdout).to.match(/^KEY\s+TASK\s+WHEN\s+ZONE\s+NEXT FIRE \(UTC\)\s+LAST FIRE \(UTC\)\s+LAST TASK\s+PAUSED\s+SOURCE/);
      expect(listed.stdout).to.match(/tick\s+fault\.tick\s+every 1s\s+-\s+-\s+\S+ \S+\s+COMPLETED\s+yes\s+config/);
      for (const worker of workers) expect(await worker.stop()).to.equal(0);
    });
  });
}

describe('tw-admin schedules: resume, run-now and refusals [sqlite]', function () {
  this.timeout(60_000);
  let tw: TaskWorker;

  before(async function () {
    tw = await openSuite(this, 'sqlite', 'sched_admin');
  });
  after(async () => tw?.close());

  it('resume restarts from now, run-now makes one task at once, an unknown key exits 1', async () => {
    const url = tw.config.databaseUrl;
    await tw.schedules.upsert('nightly', { cron: '0 3 * * *', timezone: 'Europe/Berlin', task: 'fault.tick' });
    await tw.schedules.pause('nightly');
    const resumed = await twAdmin(['--database-url', url, 'schedules', 'resume', 'nightly']);
    expect(resumed.code, resumed.stderr).to.equal(0);
    expect(resumed.stdout).to.match(/^resumed schedule nightly \(fault\.tick\): next fire \d{4}-\d\d-\d\d 0[12]:00:00 UTC/);
    const ran = await twAdmin(['--database-url', url, 'schedules', 'run-now', 'nightly', '--json']);
    expect(ran.code, ran.stderr).to.equal(0);
    const task = JSON.parse(ran.stdout) as { id: string; scheduleKey: string; scheduledFor: string; status: string };
    expect(task).to.include({ scheduleKey: 'nightly', status: 'PENDING' });
    expect((await tw.getTask(task.id))!.scheduledFor!.toISOString()).to.equal(task.scheduledFor);
    const [listed] = JSON.parse((await twAdmin(['--database-url', url, 'schedules', '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(listed).to.include({ key: 'nightly', cron: '0 3 * * *', timezone: 'Europe/Berlin', paused: false, lastTaskId: task.id, lastTaskStatus: 'PENDING' });
    const missing = await twAdmin(['--database-url', url, 'schedules', 'pause', 'nope']);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/no schedule with key "nope"/);
  });
});
