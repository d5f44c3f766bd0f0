// A schedule as callers declare it (in code, in configuration or at run time) and as the engine
// keeps it: the checks that turn any of the three into one normalized definition, with errors that
// name the schedule and say what a valid value looks like. Nothing is stored unless all of it passes.
import { ScheduleError } from './errors';
import { DURATION_HINT, formatDuration, parseDuration } from './duration';
import { cronOf, MAX_FIRES_PER_TURN, nextFireAfter, type CatchUp, type Recurrence } from './fire-times';
import { findNonJson, isPlainObject } from './json';
import type { JsonObject, JsonValue } from './types';
import { checkMaxRetries, checkPriority, checkQueue, checkTimeout, MAX_ARGUMENT_DEPTH } from './validate';

/** When and how a schedule's task runs; every key but `cron`/`every` is optional. */
export interface ScheduleOptions {
  /** Cron expression: 5 fields, or 6 with seconds first, or a nickname (@hourly, @daily, @weekly...). Exclusive with `every`. */
  cron?: string;
  /** A fixed interval: a duration like '30s', '5m', '1h', or a number of seconds. Fire times are multiples of it since the Unix epoch. */
  every?: string | number;
  /** IANA time zone the cron expression is read in, e.g. 'Europe/Berlin'. Default 'UTC'. Not with `every`. */
  timezone?: string;
  /** Positional arguments of each run (JSON). Default []. */
  args?: unknown[];
  /** Keyword arguments of each run (JSON object). Default {}. */
  kwargs?: Record<string, unknown>;
  /** The task's queue; default: the handler's, else 'default'. */
  queue?: string;
  /** Default: the handler's, else 0. */
  priority?: number;
  /** Default: the handler's, else the worker's --retry. */
  maxRetries?: number;
  /** Seconds; default: the handler's, else defaultTimeout. */
  timeout?: number;
  /**
   * Fire times missed while no worker ran: 'none' skips them, 'latest' (default) runs the most
   * recent one once, a number N runs at most the N latest, a duration ('6h') runs those less than
   * that old; missed ones run oldest first.
   */
  catchUp?: 'none' | 'latest' | number | string;
}

/** A schedule of the configuration (`schedules`) or of `tw.schedules.upsert`: it names its task. */
export interface ScheduleSpec extends ScheduleOptions {
  /** The registered task name, e.g. 'app.tasks.report'. */
  task: string;
}

/** A schedule a task declares for itself (@Schedule, registerTask's `schedule` option). */
export interface TaskScheduleOptions extends ScheduleOptions {
  /** The schedule's key. Default: the task name (give one when a task has several schedules). */
  key?: string;
}

/** Who declared a schedule: code and config schedules are synced at worker start, run-time ones never are. */
export type ScheduleSource = 'code' | 'config' | 'runtime';

/** A schedule after the checks: what is stored. */
export interface ScheduleDefinition {
  key: string;
  task: string;
  cron: string | null;
  everyMs: number | null;
  timezone: string;
  args: JsonValue[];
  kwargs: JsonObject;
  queue: string | null;
  priority: number | null;
  maxRetries: number | null;
  timeout: number | null;
  catchUp: CatchUp;
}

export const SCHEDULE_KEY_PATTERN = /^[A-Za-z0-9_.:/-]{1,200}$/;
const OPTION_KEYS = ['cron', 'every', 'timezone', 'args', 'kwargs', 'queue', 'priority', 'maxRetries', 'timeout', 'catchUp'];
const MIN_EVERY_MS = 1000;
const MAX_EVERY_MS = 366 * 86_400_000;

export function checkScheduleKey(key: unknown): string {
  if (typeof key !== 'string' || !SCHEDULE_KEY_PATTERN.test(key)) {
    throw new ScheduleError(String(key), 'the key must be 1-200 of A-Z a-z 0-9 _ . : / -');
  }
  return key;
}

/** True when `zone` is an IANA time zone this Node.js knows. */
function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function everyMs(key: string, every: unknown): number {
  const ms = typeof every === 'number' ? every * 1000 : typeof every === 'string' ? parseDuration(every) : null;
  if (ms === null || !Number.isFinite(ms) || ms < MIN_EVERY_MS || ms > MAX_EVERY_MS || !Number.isInteger(ms)) {
    throw new ScheduleError(key, `every must be an interval from 1s to 366d: ${DURATION_HINT}, or a number of seconds; got ${JSON.stringify(every)}`);
  }
  return ms;
}

export function parseCatchUp(key: string, value: unknown): CatchUp {
  if (value === undefined || value === 'latest') return { kind: 'latest' };
  if (value === 'none') return { kind: 'none' };
  const count = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : null;
  if (count !== null) {
    if (!Number.isInteger(count) || count < 1 || count > MAX_FIRES_PER_TURN) {
      throw new ScheduleError(key, `catchUp as a number runs at most that many missed fire times: 1 to ${MAX_FIRES_PER_TURN} (or 'none'); got ${count}`);
    }
    return { kind: 'count', n: count };
  }
  const ms = typeof value === 'string' ? parseDuration(value) : null;
  if (ms === null || ms <= 0) {
    throw new ScheduleError(key, `catchUp must be 'none', 'latest', a number of fire times, or a duration (${DURATION_HINT}); got ${JSON.stringify(value)}`);
  }
  return { kind: 'within', ms };
}

/** The stored text of a policy; parseCatchUp reads it back. */
export function catchUpText(catchUp: CatchUp): string {
  switch (catchUp.kind) {
    case 'count':
      return String(catchUp.n);
    case 'within':
      return formatDuration(catchUp.ms);
    default:
      return catchUp.kind;
  }
}

export function recurrenceOf(definition: Pick<ScheduleDefinition, 'cron' | 'everyMs' | 'timezone'>): Recurrence {
  return definition.everyMs !== null ? { everyMs: definition.everyMs } : { cron: definition.cron!, timezone: definition.timezone };
}

/** Same fire times: a change of anything else keeps the schedule's place in time. */
export function sameRecurrence(a: ScheduleDefinition, b: ScheduleDefinition): boolean {
  return a.cron === b.cron && a.everyMs === b.everyMs && a.timezone === b.timezone;
}

/**
 * Checks a declaration in full and returns its definition; throws ScheduleError naming the key and
 * the problem. `where` says where it was declared, for the message ('config', '@Schedule'...).
 */
export function normalizeSchedule(key: string, input: unknown, where: string): ScheduleDefinition {
  checkScheduleKey(key);
  const fail = (problem: string): never => {
    throw new ScheduleError(key, `${problem} (${where})`);
  };
  if (!isPlainObject(input)) fail("give an object like { cron: '*/5 * * * *', task: 'app.tasks.report' }");
  const spec = input as Partial<ScheduleSpec>;
  for (const option of Object.keys(spec)) {
    if (option !== 'task' && !OPTION_KEYS.includes(option)) fail(`unknown option "${option}"; use ${OPTION_KEYS.join(', ')}`);
  }
  if (typeof spec.task !== 'string' || spec.task === '') fail('name the task to run, e.g. task: "app.tasks.report"');
  if ((spec.cron === undefined) === (spec.every === undefined)) fail("give either cron (e.g. '0 3 * * *') or every (e.g. '30s'), not both");
  let cron: string | null = null;
  let every: number | null = null;
  let timezone = 'UTC';
  if (spec.every !== undefined) {
    if (spec.timezone !== undefined) fail('timezone applies to cron expressions; an every interval is the same in every zone');
    every = everyMs(key, spec.every);
  } else {
    if (typeof spec.cron !== 'string' || spec.cron.trim() === '') fail(`cron must be a cron expression string; got ${JSON.stringify(spec.cron)}`);
    cron = spec.cron!.trim().replace(/\s+/g, ' ');
    if (spec.timezone !== undefined) {
      if (typeof spec.timezone !== 'string' || !isTimeZone(spec.timezone)) {
        fail(`unknown time zone ${JSON.stringify(spec.timezone)}: use an IANA name like 'Europe/Berlin', 'America/New_York' or 'UTC'`);
      }
      timezone = spec.timezone!;
    }
    try {
      cronOf(cron, timezone);
    } catch (error) {
      fail(`"${cron}" is not a cron expression (${(error as Error).message.replace(/^CronPattern: /, '')}); ` +
        'use 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or @hourly, @daily, @weekly, @monthly, @yearly');
    }
    if (nextFireAfter({ cron, timezone }, Date.now()) === null) fail(`"${cron}" never fires again`);
  }
  const args = spec.args ?? [];
  if (!Array.isArray(args)) fail('args must be an array (positional arguments)');
  const kwargs = spec.kwargs ?? {};
  if (!isPlainObject(kwargs)) fail('kwargs must be a plain object');
  const problem = findNonJson(args, 'args', MAX_ARGUMENT_DEPTH) ?? findNonJson(kwargs, 'kwargs', MAX_ARGUMENT_DEPTH);
  if (problem) fail(`arguments must be plain JSON; ${problem}`);
  const label = `schedule "${key}"`;
  return {
    key,
    task: spec.task!,
    cron,
    everyMs: every,
    timezone,
    args: args as JsonValue[],
    kwargs: kwargs as JsonObject,
    queue: spec.queue === undefined ? null : checkQueue(label, spec.queue),
    priority: spec.priority === undefined ? null : checkPriority(label, spec.priority),
    maxRetries: spec.maxRetries === undefined ? null : checkMaxRetries(label, spec.maxRetries),
    timeout: spec.timeout === undefined ? null : checkTimeout(label, spec.timeout),
    catchUp: parseCatchUp(key, spec.catchUp),
  };
}

/**
 * The schedules a task declares for itself (a cron string, options, or a list of either), keyed
 * by their `key` or else the task name.
 */
export function taskSchedules(task: string, declared: unknown, where: string): ScheduleDefinition[] {
  if (declared === undefined) return [];
  const list = Array.isArray(declared) ? declared : [declared];
  return list.map((item: unknown) => {
    const options = typeof item === 'string' ? { cron: item } : item;
    if (!isPlainObject(options)) throw new ScheduleError(task, `a schedule is a cron string or an options object (${where})`);
    const { key, ...rest } = options as TaskScheduleOptions;
    return normalizeSchedule(key ?? task, { ...rest, task }, where);
  });
}
