// Schedules on every database: the run-time API (upsert, list, pause, resume, remove, run now), the
// sync of code and config schedules at worker start, each catch-up policy after a simulated outage,
// DST both ways, and exactly one task per fire time when schedulers race or one acts on a stale
// read after the task was purged. The clock is injected: no test waits for a fire time but the last,
// which runs a real in-process worker and reads currentTask().scheduledFor.
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import {
  currentTask, ScheduleError, Scheduler, Schedules, TaskRegistry, TaskWorker, TaskWorkerError, UnknownTaskError,
} from '../../lib/index';
import { normalizeSchedule } from '../../lib/schedule-spec';
import { openSuite } from '../support/harness';
import { ALL_DIALECTS } from '../support/services';
import { waitFor } from '../support/wait';

const at = (iso: string) => new Date(iso).getTime();
const HOUR = 3_600_000;

for (const dialect of ALL_DIALECTS) {
  describe(`schedules [${dialect}]`, function () {
    this.timeout(60_000);
    let tw: TaskWorker;
    let registry: TaskRegistry;
    let clockNow = Date.now();
    const clock = () => clockNow;
    let schedules: Schedules;
    let scheduler: Scheduler;

    before(async function () {
      registry = new TaskRegistry();
      registry.register('sched.job', (n: unknown) => n);
      registry.register('sched.when', () => currentTask().scheduledFor?.toISOString() ?? null);
      tw = await openSuite(this, dialect, 'schedules', { registry });
      schedules = new Schedules(tw.store, tw.client, registry, tw.config, tw.logger, clock);
      scheduler = new Scheduler({ store: tw.store, client: tw.client, config: tw.config, logger: tw.logger, clock });
    });
    beforeEach(async () => {
      await tw.sequelize.query('DELETE FROM tw_schedules');
      await tw.sequelize.query('DELETE FROM tw_tasks');
    });
    after(async () => tw?.close());

    /** Fire times (ISO) of the tasks of a schedule, in order. */
    async function fired(key: string): Promise<string[]> {
      const rows = await tw.sequelize.query<{ scheduled_for: string | number }>(
        'SELECT scheduled_for FROM tw_tasks WHERE schedule_key = $1 ORDER BY scheduled_for', { bind: [key], type: QueryTypes.SELECT });
      return rows.map((r) => new Date(Number(r.scheduled_for)).toISOString());
    }

    it('upsert, list, pause, resume, run now and remove a run-time schedule', async () => {
      clockNow = at('2025-06-01T10:00:30Z');
      const info = await schedules.upsert('report', { cron: '*/5 * * * *', task: 'sched.job', args: [7], timezone: 'Europe/Berlin', queue: 'reports' });
      expect(info).to.include({ key: 'report', task: 'sched.job', cron: '*/5 * * * *', timezone: 'Europe/Berlin', source: 'runtime', paused: false, catchUp: 'latest' });
      expect(info.nextFireAt!.toISOString()).to.equal('2025-06-01T10:05:00.000Z');
      // A change of options keeps the next fire time; a change of expression restarts from now.
      clockNow = at('2025-06-01T10:01:00Z');
      expect((await schedules.upsert('report', { cron: '*/5 * * * *', task: 'sched.job', args: [8], timezone: 'Europe/Berlin' })).nextFireAt!.toISOString())
        .to.equal('2025-06-01T10:05:00.000Z');
      expect((await schedules.upsert('report', { cron: '*/2 * * * *', task: 'sched.job', args: [8] })).nextFireAt!.toISOString())
        .to.equal('2025-06-01T10:02:00.000Z');

      expect((await schedules.pause('report')).paused).to.equal(true);
      clockNow = at('2025-06-01T11:00:30Z');
      expect(await scheduler.turn()).to.deep.equal([]);
      const resumed = await schedules.resume('report');
      expect(resumed.nextFireAt!.toISOString(), 'fire times passed while paused are skipped').to.equal('2025-06-01T11:02:00.000Z');

      const task = await schedules.runNow('report');
      expect(task).to.include({ name: 'sched.job', scheduleKey: 'report' });
      expect(task.scheduledFor!.getTime()).to.equal(clockNow);
      expect(task.args).to.deep.equal([8]);
      const [listed] = await schedules.list();
      expect(listed).to.include({ lastTaskId: task.id, lastTaskStatus: 'PENDING' });
      expect(listed.nextFireAt!.toISOString(), 'run now does not move the fire times').to.equal('2025-06-01T11:02:00.000Z');

      expect(await schedules.remove('report')).to.equal(true);
      expect(await schedules.remove('report')).to.equal(false);
      expect(await schedules.list()).to.deep.equal([]);
      await schedules.pause('report').then(() => expect.fail('paused a missing schedule'),
        (e: TaskWorkerError) => expect(e.code).to.equal('TW_NOT_FOUND'));
    });

    it('refuses a bad declaration or an unknown task, and stores nothing', async () => {
      await schedules.upsert('bad', { cron: '0 3 * * 9', task: 'sched.job' }).then(() => expect.fail('stored'), (e) => expect(e).to.be.instanceOf(ScheduleError));
      await schedules.upsert('bad', { cron: '0 3 * * *', timezone: 'Nowhere/City', task: 'sched.job' })
        .then(() => expect.fail('stored'), (e: Error) => expect(e.message).to.match(/unknown time zone/));
      await schedules.upsert('bad', { every: '1m', task: 'sched.missing' })
        .then(() => expect.fail('stored'), (e) => expect(e).to.be.instanceOf(UnknownTaskError));
      expect(await schedules.list()).to.deep.equal([]);
    });

    it('each catch-up policy after the whole cluster was down 10:00-15:05 (hourly)', async () => {
      clockNow = at('2025-01-01T09:30:00Z');
      const policies = { none: 'none', latest: 'latest', three: 3, twoHours: '2h' } as const;
      for (const [key, catchUp] of Object.entries(policies)) await schedules.upsert(key, { cron: '0 * * * *', task: 'sched.job', catchUp });
      clockNow = at('2025-01-01T15:05:00Z'); // nobody ran a scheduler in between
      const made = await scheduler.turn();
      expect(made).to.have.length(6);
      expect(await fired('none')).to.deep.equal([]);
      expect(await fired('latest')).to.deep.equal(['2025-01-01T15:00:00.000Z']);
      expect(await fired('three')).to.deep.equal(['2025-01-01T13:00:00.000Z', '2025-01-01T14:00:00.000Z', '2025-01-01T15:00:00.000Z']);
      expect(await fired('twoHours')).to.deep.equal(['2025-01-01T14:00:00.000Z', '2025-01-01T15:00:00.000Z']);
      // Backfilled tasks are claimable in fire-time order: run_at is the fire time.
      const three = (await tw.store.claim({ from: 'PENDING', limit: 10, now: clockNow, workerId: 'w', leaseUntil: clockNow + HOUR,
        defaultMaxRetries: 0, queues: [] })).filter((t) => t.scheduleKey === 'three');
      expect(three.map((t) => t.runAt)).to.deep.equal(three.map((t) => t.scheduledFor));
      for (const s of await schedules.list()) expect(s.nextFireAt!.toISOString()).to.equal('2025-01-01T16:00:00.000Z');
    });

    it('a 02:30 Europe/Berlin daily run fires once on the spring-forward day and once on the fall-back day', async () => {
      for (const [from, until, expected] of [
        ['2025-03-29T12:00:00Z', '2025-03-31T12:00:00Z', ['2025-03-30T01:00:00.000Z', '2025-03-31T00:30:00.000Z']],
        ['2025-10-25T12:00:00Z', '2025-10-27T12:00:00Z', ['2025-10-26T00:30:00.000Z', '2025-10-27T01:30:00.000Z']],
      ] as const) {
        await tw.sequelize.query('DELETE FROM tw_schedules');
        clockNow = at(from);
        await schedules.upsert('berlin', { cron: '30 2 * * *', timezone: 'Europe/Berlin', task: 'sched.job' });
        for (clockNow = at(from); clockNow <= at(until); clockNow += 10 * 60_000) await scheduler.turn();
        expect(await fired('berlin')).to.deep.equal([...expected]);
        await tw.sequelize.query('DELETE FROM tw_tasks');
      }
    });

    it('two schedulers turning at the same moments make one task per fire time', async () => {
      const other = new TaskWorker({ databaseUrl: tw.config.databaseUrl, redisUrl: null, logLevel: 'silent', registry });
      try {
        const rival = new Scheduler({ store: other.store, client: other.client, config: other.config, logger: other.logger, clock });
        clockNow = at('2025-01-01T00:00:00.500Z');
        await schedules.upsert('tick', { every: '1s', task: 'sched.job' });
        for (let i = 0; i < 20; i++) {
          clockNow += 1000;
          await Promise.all([scheduler.turn(), rival.turn()]);
        }
        const times = await fired('tick');
        expect(times).to.have.length(20);
        expect(new Set(times).size).to.equal(20);
        expect(times[0]).to.equal('2025-01-01T00:00:01.000Z');
        expect(times[19]).to.equal('2025-01-01T00:00:20.000Z');
      } finally {
        await other.close();
      }
    });

    it('a scheduler acting on a stale read fires nothing, even after the task of that fire time was purged', async () => {
      clockNow = at('2025-01-01T00:00:00Z');
      await schedules.upsert('stale', { cron: '0 * * * *', task: 'sched.job' });
      clockNow = at('2025-01-01T01:00:01Z');
      const [due] = await tw.store.schedules.due(clockNow, 10);
      expect(await scheduler.fire(due.key, due.nextFireAt, clockNow)).to.have.length(1);
      await tw.sequelize.query('DELETE FROM tw_tasks'); // purged
      // A paused scheduler wakes up with what it read before the fire: the fire time is not made again.
      expect(await scheduler.fire(due.key, due.nextFireAt, clockNow + 2000)).to.deep.equal([]);
      expect(await fired('stale')).to.deep.equal([]);
    });

    it('sync at worker start: code and config schedules stored, changed and removed; run-time ones left alone', async () => {
      clockNow = at('2025-01-01T00:00:00Z');
      const code = (key: string, cron: string, task = 'sched.job') => normalizeSchedule(key, { cron, task }, 'test');
      await schedules.upsert('adhoc', { every: '1h', task: 'sched.job' });
      const first = schedules.plan({ code: [code('c1', '@hourly'), code('c2', '@daily')], tasks: ['sched.job', 'sched.when'] },
        [normalizeSchedule('f1', { cron: '@weekly', task: 'sched.when' }, 'test')]);
      expect(await schedules.sync(first)).to.deep.equal({ added: ['c1', 'c2', 'f1'], changed: [], removed: [] });
      expect(await schedules.sync(first), 'a second worker starting: nothing to do').to.deep.equal({ added: [], changed: [], removed: [] });
      // Another worker registers other tasks: it leaves c1/c2 alone and has no config key: f1 stays.
      expect(await schedules.sync(schedules.plan({ code: [], tasks: ['other.task'] }, undefined))).to.deep.equal({ added: [], changed: [], removed: [] });
      // New code: c2 is gone, c1 changed its expression; the config no longer has f1.
      const next = schedules.plan({ code: [code('c1', '*/30 * * * *')], tasks: ['sched.job', 'sched.when'] }, []);
      expect(await schedules.sync(next)).to.deep.equal({ added: [], changed: ['c1'], removed: ['c2', 'f1'] });
      expect((await schedules.list()).map((s) => [s.key, s.source, s.cron ?? s.every])).to.deep.equal([['adhoc', 'runtime', '1h'], ['c1', 'code', '*/30 * * * *']]);
      await schedules.upsert('c1', { every: '1m', task: 'sched.job' }).then(() => expect.fail('changed a code schedule'),
        (e: Error) => expect(e.message).to.match(/declared in code.*change it there/));
      expect(() => schedules.plan({ code: [], tasks: ['sched.job'] }, [normalizeSchedule('f2', { cron: '@daily', task: 'sched.nope' }, 'test')]))
        .to.throw(UnknownTaskError, /schedule "f2" runs it/);
    });

    it('a worker started here fires its schedule, and the handler reads currentTask().scheduledFor (stored on the row too)', async () => {
      await tw.schedules.upsert('live', { every: '1s', task: 'sched.when' });
      const worker = await tw.startWorker();
      try {
        const done = await waitFor('a scheduled task to complete', async () => {
          const [row] = await tw.sequelize.query<{ id: string }>(
            "SELECT id FROM tw_tasks WHERE schedule_key = 'live' AND status = 'COMPLETED'", { type: QueryTypes.SELECT });
          return row ? tw.getTask(row.id) : null;
        }, 10_000);
        expect(done!.resultValue).to.equal(done!.scheduledFor!.toISOString());
        expect(done!.scheduledFor!.getTime() % 1000).to.equal(0);
      } finally {
        await worker.stop();
      }
    });
  });
}
