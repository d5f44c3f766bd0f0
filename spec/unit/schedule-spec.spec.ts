// Declaring schedules: the three forms (@Schedule, registerTask's schedule option, a spec object)
// end in the same definition, and every bad declaration is refused at once with an error that
// names the schedule and says what a valid value looks like.
import { expect } from 'chai';
import { Schedule, Task } from '../../decorators/index';
import { ScheduleError, TaskRegistry, TaskWorker, ValidationError } from '../../lib/index';
import { normalizeSchedule } from '../../lib/schedule-spec';

function refused(fn: () => unknown, pattern: RegExp, type: new (...args: never[]) => Error = ScheduleError): void {
  expect(fn).to.throw(type, pattern);
}

describe('schedule declarations', () => {
  it('normalizes a cron schedule with its options, and an every schedule', () => {
    const d = normalizeSchedule('nightly', { cron: '0  3 * * *', task: 'app.report', timezone: 'Europe/Berlin', args: [1], queue: 'reports', catchUp: 3 }, 'test');
    expect(d).to.include({ key: 'nightly', task: 'app.report', cron: '0 3 * * *', everyMs: null, timezone: 'Europe/Berlin', queue: 'reports' });
    expect(d.catchUp).to.deep.equal({ kind: 'count', n: 3 });
    expect(normalizeSchedule('tick', { every: '30s', task: 'app.tick' }, 'test')).to.include({ everyMs: 30_000, timezone: 'UTC', cron: null });
    expect(normalizeSchedule('tick', { every: 90, task: 'app.tick', catchUp: '6h' }, 'test').catchUp).to.deep.equal({ kind: 'within', ms: 21_600_000 });
  });

  it('refuses bad expressions, zones, intervals, policies and options, naming the schedule', () => {
    const task = 'app.report';
    refused(() => normalizeSchedule('k', { cron: '61 * * * *', task }, 'test'), /schedule "k": "61 \* \* \* \*" is not a cron expression.*5 fields/);
    refused(() => normalizeSchedule('k', { cron: 'every day', task }, 'test'), /not a cron expression/);
    refused(() => normalizeSchedule('k', { cron: '0 3 * * *', timezone: 'Mars/Olympus', task }, 'test'), /unknown time zone "Mars\/Olympus".*IANA/);
    refused(() => normalizeSchedule('k', { every: '10 minutes', task }, 'test'), /every must be an interval/);
    refused(() => normalizeSchedule('k', { every: '500ms', task }, 'test'), /from 1s/);
    refused(() => normalizeSchedule('k', { every: '1m', timezone: 'UTC', task }, 'test'), /timezone applies to cron/);
    refused(() => normalizeSchedule('k', { cron: '* * * * *', every: '1m', task }, 'test'), /either cron .* or every/);
    refused(() => normalizeSchedule('k', { task }, 'test'), /either cron/);
    refused(() => normalizeSchedule('k', { cron: '* * * * *' }, 'test'), /name the task/);
    refused(() => normalizeSchedule('k', { cron: '* * * * *', task, catchUp: 'all' }, 'test'), /catchUp must be 'none', 'latest'/);
    refused(() => normalizeSchedule('k', { cron: '* * * * *', task, catchUp: 0 }, 'test'), /1 to 1000/);
    refused(() => normalizeSchedule('k', { cron: '* * * * *', task, when: 'now' }, 'test'), /unknown option "when"/);
    refused(() => normalizeSchedule('k', { cron: '* * * * *', task, args: [new Date()] }, 'test'), /plain JSON; args\[0\]/);
    refused(() => normalizeSchedule('bad key!', { cron: '* * * * *', task }, 'test'), /the key must be/);
    refused(() => normalizeSchedule('k', { cron: '* * * * *', task, queue: 'no spaces' }, 'test'), /queue must be/, ValidationError);
  });

  it('registerTask takes the same schedule, keyed by the task name unless it gives a key', () => {
    const registry = new TaskRegistry();
    registry.register('app.cleanup', () => 'ok', { timeout: 5, schedule: '0 4 * * *' });
    registry.register('app.sync', () => 'ok', { schedule: [{ every: '5m', key: 'sync-5m' }, { cron: '@daily', key: 'sync-daily', args: [true] }] });
    expect(registry.declaredSchedules().map((s) => [s.key, s.task, s.cron ?? s.everyMs])).to.deep.equal([
      ['app.cleanup', 'app.cleanup', '0 4 * * *'], ['sync-5m', 'app.sync', 300_000], ['sync-daily', 'app.sync', '@daily'],
    ]);
    expect(registry.get('app.cleanup')!.defaults).to.deep.equal({ timeout: 5 });
  });

  it('a bad or duplicate schedule fails the registration, and the task is not registered', () => {
    const registry = new TaskRegistry();
    refused(() => registry.register('app.x', () => 1, { schedule: '0 25 * * *' }), /schedule "app.x".*not a cron expression.*declared by task "app.x"/);
    expect(registry.get('app.x')).to.equal(undefined);
    registry.register('app.a', () => 1, { schedule: { cron: '@hourly', key: 'shared' } });
    refused(() => registry.register('app.b', () => 1, { schedule: { cron: '@daily', key: 'shared' } }), /"shared": declared twice/);
    refused(() => registry.register('app.c', () => 1, { schedule: ['@hourly', '@daily'] }), /"app.c": declared twice/);
  });

  it('@Schedule on a @Task method declares the same, in the order written', () => {
    const registry = new TaskRegistry();
    @Task('deco', { registry, queue: 'q' })
    class Jobs {
      @Schedule('30 2 * * *', { timezone: 'Europe/Berlin', kwargs: { full: true } })
      nightly() {
        return 1;
      }

      @Schedule({ every: '30s', key: 'poll-fast' })
      @Schedule({ every: '1h', key: 'poll-slow', catchUp: 'none' })
      poll() {
        return 2;
      }

      plain() {
        return 3;
      }
    }
    expect(Jobs).to.be.a('function');
    expect(registry.declaredSchedules().map((s) => ({ key: s.key, task: s.task, cron: s.cron, everyMs: s.everyMs, timezone: s.timezone })))
      .to.deep.equal([
        { key: 'deco.nightly', task: 'deco.nightly', cron: '30 2 * * *', everyMs: null, timezone: 'Europe/Berlin' },
        { key: 'poll-fast', task: 'deco.poll', cron: null, everyMs: 30_000, timezone: 'UTC' },
        { key: 'poll-slow', task: 'deco.poll', cron: null, everyMs: 3_600_000, timezone: 'UTC' },
      ]);
    expect(registry.get('deco.plain')!.schedules).to.deep.equal([]);
  });

  it('a bad @Schedule fails when the class loads', () => {
    const registry = new TaskRegistry();
    expect(() => {
      @Task('broken', { registry })
      class Broken {
        @Schedule('0 3 * * *', { timezone: 'Europe/Atlantis' })
        run() {
          return 1;
        }
      }
      return Broken;
    }).to.throw(ScheduleError, /schedule "broken.run": unknown time zone "Europe\/Atlantis"/);
  });

  it('a bad schedule in the configuration fails new TaskWorker, naming it', () => {
    const make = (schedules: unknown) => new TaskWorker({ databaseUrl: 'sqlite::memory:', redisUrl: null, logLevel: 'silent',
      registry: new TaskRegistry(), schedules: schedules as Record<string, never> });
    expect(() => make({ nightly: { cron: '0 3 * * 8', task: 'app.report' } })).to.throw(ScheduleError, /schedule "nightly".*configuration key "schedules"/);
    expect(() => make([{ cron: '* * * * *' }])).to.throw(/schedules must be an object of schedules by key/);
  });
});
