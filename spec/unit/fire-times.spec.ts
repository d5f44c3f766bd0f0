// Fire times without a database: cron in IANA zones across both daylight-saving changes (Berlin
// and New York), fixed intervals, and which missed fire times each catch-up policy runs after an
// outage. The clock is a parameter: a scheduler turning every few minutes through a DST day is
// simulated, not waited for.
import { expect } from 'chai';
import { dueFires, MAX_FIRES_PER_TURN, nextFireAfter, ON_TIME_MS, type CatchUp, type Recurrence } from '../../lib/fire-times';

const at = (iso: string) => new Date(iso).getTime();
const iso = (ms: number) => new Date(ms).toISOString();

/** Every fire a scheduler turning every `stepMs` makes between `from` and `until` (catch-up 'latest'). */
function simulate(recurrence: Recurrence, from: number, until: number, stepMs: number): number[] {
  let next = nextFireAfter(recurrence, from)!;
  const fired: number[] = [];
  for (let now = from; now <= until; now += stepMs) {
    const turn = dueFires(recurrence, { kind: 'latest' }, next, now);
    fired.push(...turn.fires);
    next = turn.next!;
  }
  return fired;
}

/** The local calendar date of `ms` in `zone`. */
function localDate(ms: number, zone: string): string {
  return new Date(ms).toLocaleDateString('sv', { timeZone: zone });
}

describe('fire times: cron across daylight-saving changes (scheduler turning every 5 minutes)', () => {
  const STEP = 5 * 60_000;

  it('Europe/Berlin spring forward (02:00 -> 03:00): a 02:30 daily run runs once that day, at 03:00 CEST', () => {
    const berlin = { cron: '30 2 * * *', timezone: 'Europe/Berlin' };
    const fired = simulate(berlin, at('2025-03-28T12:00:00Z'), at('2025-04-01T12:00:00Z'), STEP);
    expect(fired.map(iso)).to.deep.equal([
      '2025-03-29T01:30:00.000Z', // 02:30 CET
      '2025-03-30T01:00:00.000Z', // 02:30 does not exist: the first time after the gap, 03:00 CEST
      '2025-03-31T00:30:00.000Z', // 02:30 CEST
      '2025-04-01T00:30:00.000Z',
    ]);
    expect(new Set(fired.map((t) => localDate(t, 'Europe/Berlin'))).size, 'one run per local day').to.equal(4);
  });

  it('Europe/Berlin fall back (03:00 -> 02:00): a 02:30 daily run runs once, not on both 02:30s', () => {
    const fired = simulate({ cron: '30 2 * * *', timezone: 'Europe/Berlin' }, at('2025-10-25T12:00:00Z'), at('2025-10-27T12:00:00Z'), STEP);
    expect(fired.map(iso)).to.deep.equal(['2025-10-26T00:30:00.000Z', '2025-10-27T01:30:00.000Z']);
  });

  it('America/New_York spring forward and fall back: 02:30 once on 9 March, 01:30 once on 2 November', () => {
    const spring = simulate({ cron: '30 2 * * *', timezone: 'America/New_York' }, at('2025-03-08T12:00:00Z'), at('2025-03-10T12:00:00Z'), STEP);
    expect(spring.map(iso)).to.deep.equal(['2025-03-09T07:00:00.000Z', '2025-03-10T06:30:00.000Z']);
    const fall = simulate({ cron: '30 1 * * *', timezone: 'America/New_York' }, at('2025-11-01T12:00:00Z'), at('2025-11-03T12:00:00Z'), STEP);
    expect(fall.map(iso), 'the first 01:30 (EDT) only').to.deep.equal(['2025-11-02T05:30:00.000Z', '2025-11-03T06:30:00.000Z']);
  });

  it('an interval-like cron (*/30) keeps its real intervals: both 02:00-03:00 hours on the fall-back day, none in the gap', () => {
    const zone = 'Europe/Berlin';
    const fall = simulate({ cron: '*/30 * * * *', timezone: zone }, at('2025-10-25T20:00:00Z'), at('2025-10-27T01:00:00Z'), STEP)
      .filter((t) => localDate(t, zone) === '2025-10-26');
    expect(fall).to.have.length(50); // a 25-hour day
    const spring = simulate({ cron: '*/30 * * * *', timezone: zone }, at('2025-03-29T20:00:00Z'), at('2025-03-31T01:00:00Z'), STEP)
      .filter((t) => localDate(t, zone) === '2025-03-30');
    expect(spring).to.have.length(46); // a 23-hour day
  });

  it('reads seconds (6 fields) and nicknames, in UTC by default', () => {
    expect(iso(nextFireAfter({ cron: '*/5 * * * * *', timezone: 'UTC' }, at('2025-01-01T00:00:07Z'))!)).to.equal('2025-01-01T00:00:10.000Z');
    expect(iso(nextFireAfter({ cron: '@hourly', timezone: 'UTC' }, at('2025-01-01T10:20:00Z'))!)).to.equal('2025-01-01T11:00:00.000Z');
    expect(iso(nextFireAfter({ cron: '@daily', timezone: 'Asia/Tokyo' }, at('2025-01-01T10:20:00Z'))!)).to.equal('2025-01-01T15:00:00.000Z');
  });

  it('fixed intervals are multiples of the interval since the Unix epoch, whatever the zone or the start', () => {
    expect(iso(nextFireAfter({ everyMs: 30_000 }, at('2025-01-01T00:00:29.999Z'))!)).to.equal('2025-01-01T00:00:30.000Z');
    expect(iso(nextFireAfter({ everyMs: 30_000 }, at('2025-01-01T00:00:30Z'))!)).to.equal('2025-01-01T00:01:00.000Z');
  });
});

describe('fire times: catch-up after the whole cluster was down 10:00-15:05 (hourly schedule)', () => {
  const hourly: Recurrence = { cron: '0 * * * *', timezone: 'UTC' };
  const first = at('2025-01-01T10:00:00Z');
  const now = at('2025-01-01T15:05:00Z');
  const run = (catchUp: CatchUp, when = now) => dueFires(hourly, catchUp, first, when);

  it("'none' skips every missed fire time", () => {
    expect(run({ kind: 'none' })).to.deep.equal({ fires: [], next: at('2025-01-01T16:00:00Z') });
  });

  it("'latest' runs the most recent one once", () => {
    expect(run({ kind: 'latest' })).to.deep.equal({ fires: [at('2025-01-01T15:00:00Z')], next: at('2025-01-01T16:00:00Z') });
  });

  it('a count runs at most that many of the latest, oldest first', () => {
    expect(run({ kind: 'count', n: 3 }).fires.map(iso)).to.deep.equal(
      ['2025-01-01T13:00:00.000Z', '2025-01-01T14:00:00.000Z', '2025-01-01T15:00:00.000Z']);
    expect(run({ kind: 'count', n: 100 }).fires).to.have.length(6);
  });

  it('a duration runs those less than that old, oldest first', () => {
    expect(run({ kind: 'within', ms: 2 * 3_600_000 }).fires.map(iso)).to.deep.equal(['2025-01-01T14:00:00.000Z', '2025-01-01T15:00:00.000Z']);
  });

  it(`a fire time at most ${ON_TIME_MS / 1000} s late is on time: it runs under every policy, and 'latest' adds nothing to it`, () => {
    const late = at('2025-01-01T15:00:05Z');
    expect(run({ kind: 'none' }, late).fires.map(iso)).to.deep.equal(['2025-01-01T15:00:00.000Z']);
    expect(run({ kind: 'latest' }, late).fires.map(iso)).to.deep.equal(['2025-01-01T15:00:00.000Z']);
    // A count (or a duration) backfills missed ones besides the run that is on time.
    expect(run({ kind: 'count', n: 2 }, late).fires.map(iso)).to.deep.equal(
      ['2025-01-01T13:00:00.000Z', '2025-01-01T14:00:00.000Z', '2025-01-01T15:00:00.000Z']);
  });

  it(`a long backfill is made ${MAX_FIRES_PER_TURN} at a time, and the next turn goes on from there`, () => {
    const second: Recurrence = { everyMs: 1000 };
    const start = at('2025-01-01T00:00:00Z');
    const later = start + 3_600_000;
    const turn = dueFires(second, { kind: 'within', ms: 86_400_000 }, start, later);
    expect(turn.fires).to.have.length(MAX_FIRES_PER_TURN);
    expect(turn.fires[0]).to.equal(start);
    expect(turn.next).to.equal(start + MAX_FIRES_PER_TURN * 1000);
    expect(dueFires(second, { kind: 'within', ms: 86_400_000 }, turn.next!, later).fires[0]).to.equal(turn.next);
  });

  it('nothing is due before the next fire time', () => {
    expect(run({ kind: 'latest' }, first - 1)).to.deep.equal({ fires: [], next: first });
  });
});
