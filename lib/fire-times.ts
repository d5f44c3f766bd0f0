// When a schedule fires: the next fire time after a moment (cron expressions through croner, in
// the schedule's IANA zone, so daylight-saving changes are croner's well-tested rules; fixed
// intervals aligned to the Unix epoch), and which fire times that came due since the last turn to
// enqueue now, by the schedule's catch-up policy.
import { Cron } from 'croner';

/** How a schedule recurs: a cron expression read in a time zone, or a fixed interval. */
export type Recurrence = { cron: string; timezone: string } | { everyMs: number };

/**
 * What happens to fire times missed while no scheduler ran (the whole cluster down): none are run,
 * the latest one, at most `n` of the latest, or those less than `ms` old.
 */
export type CatchUp = { kind: 'none' } | { kind: 'latest' } | { kind: 'count'; n: number } | { kind: 'within'; ms: number };

/**
 * A fire time at most this late is on time and always runs, whatever the policy: a scheduler
 * that is busy, restarting or waiting for the database may be that late without anything being
 * missed. Older fire times were missed and follow the catch-up policy.
 */
export const ON_TIME_MS = 15_000;
/** The most tasks one schedule enqueues in one turn; a longer backfill goes on at the next turn. */
export const MAX_FIRES_PER_TURN = 1000;

const crons = new Map<string, Cron>();

/** The parsed expression (cached): 5 fields, or 6 with seconds first; nicknames like @hourly. Throws on a bad one. */
export function cronOf(expression: string, timezone: string): Cron {
  const cacheKey = `${timezone} ${expression}`;
  let cron = crons.get(cacheKey);
  if (!cron) {
    cron = new Cron(expression, { timezone, paused: true, mode: '5-or-6-parts' });
    if (crons.size > 1000) crons.clear();
    crons.set(cacheKey, cron);
  }
  return cron;
}

/** The first fire time strictly after `t` (epoch ms), or null when there is none. */
export function nextFireAfter(recurrence: Recurrence, t: number): number | null {
  if ('everyMs' in recurrence) return Math.floor(t / recurrence.everyMs) * recurrence.everyMs + recurrence.everyMs;
  return cronOf(recurrence.cron, recurrence.timezone).nextRun(new Date(t))?.getTime() ?? null;
}

/** Up to `n` fire times strictly before `t`, latest last. */
function firesBefore(recurrence: Recurrence, t: number, n: number): number[] {
  if ('everyMs' in recurrence) {
    const last = Math.ceil(t / recurrence.everyMs) * recurrence.everyMs - recurrence.everyMs;
    return Array.from({ length: n }, (_, i) => last - (n - 1 - i) * recurrence.everyMs);
  }
  return cronOf(recurrence.cron, recurrence.timezone).previousRuns(n, new Date(t)).map((d) => d.getTime()).reverse();
}

/** Fire times from `from` (inclusive) up to `until` (exclusive), at most `limit` of them. */
function firesBetween(recurrence: Recurrence, from: number, until: number, limit: number): number[] {
  const fires: number[] = [];
  for (let t = nextFireAfter(recurrence, from - 1); t !== null && t < until && fires.length < limit; t = nextFireAfter(recurrence, t)) {
    fires.push(t);
  }
  return fires;
}

export interface Turn {
  /** Fire times to enqueue now, oldest first. */
  fires: number[];
  /** The first fire time not handled by this turn: the schedule's new next fire time (null: never again). */
  next: number | null;
}

/**
 * The fire times due at `now` for a schedule whose first unhandled fire time is `nextFireAt`:
 * those on time (at most ON_TIME_MS late) always, and the missed ones the policy keeps. 'latest'
 * runs the most recent missed one, unless a fire time is due on time anyway.
 */
export function dueFires(recurrence: Recurrence, catchUp: CatchUp, nextFireAt: number, now: number): Turn {
  if (nextFireAt > now) return { fires: [], next: nextFireAt };
  const onTimeFrom = Math.max(nextFireAt, now - ON_TIME_MS);
  const onTime = firesBetween(recurrence, onTimeFrom, now + 1, MAX_FIRES_PER_TURN);
  let missed: number[] = [];
  if (nextFireAt < onTimeFrom) {
    const inRange = (t: number) => t >= nextFireAt;
    switch (catchUp.kind) {
      case 'none':
        break;
      case 'latest':
        if (onTime.length === 0) missed = firesBefore(recurrence, onTimeFrom, 1).filter(inRange);
        break;
      case 'count':
        missed = firesBefore(recurrence, onTimeFrom, catchUp.n).filter(inRange);
        break;
      case 'within':
        missed = firesBetween(recurrence, Math.max(nextFireAt, now - catchUp.ms), onTimeFrom, MAX_FIRES_PER_TURN);
        break;
    }
  }
  const fires = [...missed, ...onTime];
  if (fires.length > MAX_FIRES_PER_TURN) {
    const taken = fires.slice(0, MAX_FIRES_PER_TURN);
    return { fires: taken, next: nextFireAfter(recurrence, taken[taken.length - 1]) };
  }
  return { fires, next: nextFireAfter(recurrence, now) };
}
