// Checks of task options, shared by the client and by handler registration. Each error names
// the option and says what a valid value looks like.
import { QUEUE_NAME_PATTERN } from './config';
import { ValidationError } from './errors';
import type { TaskDefaults } from './types';

/** Longest accepted timeout: 30 days, in seconds. */
export const MAX_TIMEOUT_SECONDS = 30 * 86_400;
const INT32_MAX = 2_147_483_647;
/**
 * The latest time a task may be set to run: 9999-12-31T23:59:59.999Z. Every database stores it (the
 * columns are BIGINT milliseconds; MariaDB's DATETIME and most tools end there too) and a JS Date
 * holds it, so no row can make `tw-admin list` or the dashboard fail to print a date.
 */
export const MAX_RUN_AT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** Deepest nesting of arrays and objects in a task's args or kwargs (args itself is level 1). */
export const MAX_ARGUMENT_DEPTH = 64;

/**
 * Where a value came from, for the error message: a string, or a function that makes it, so that
 * a bulk create does not format a label per task that only an error would show.
 */
export type Where = string | (() => string);

export function label(where: Where): string {
  return typeof where === 'string' ? where : where();
}

/**
 * A short, safe description of any value for an error message: a client may send an object (even
 * one nested thousands deep, or with no prototype) where a string belongs, which neither String()
 * nor JSON.stringify can be trusted to print.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (value === null || typeof value !== 'object') return typeof value === 'function' ? 'a function' : typeof value === 'symbol' ? 'a symbol' : String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

export function checkTimeout(where: Where, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMEOUT_SECONDS) {
    throw new ValidationError(`${label(where)}: timeout must be a number of seconds above 0 and at most ${MAX_TIMEOUT_SECONDS}; got ${describeValue(value)}`);
  }
  return value;
}

/** The run time of `runAt` (a Date) or `delay` (seconds from `now`): from 1970 to MAX_RUN_AT_MS. */
export function checkRunAt(where: Where, runAt: unknown, delay: unknown, now: number): number {
  if (runAt !== undefined && delay !== undefined) throw new ValidationError(`${label(where)}: give runAt or delay, not both`);
  const latest = new Date(MAX_RUN_AT_MS).toISOString();
  if (runAt !== undefined) {
    const time = runAt instanceof Date ? runAt.getTime() : NaN;
    if (!(time >= 0 && time <= MAX_RUN_AT_MS)) {
      throw new ValidationError(`${label(where)}: runAt must be a valid Date from 1970 to ${latest}; got ${runAt instanceof Date ? String(time) : typeof runAt}`);
    }
    return time;
  }
  if (delay === undefined) return now;
  if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0 || now + Math.round(delay * 1000) > MAX_RUN_AT_MS) {
    throw new ValidationError(`${label(where)}: delay must be a number of seconds, 0 or more, that ends by ${latest}; got ${describeValue(delay)}`);
  }
  return now + Math.round(delay * 1000);
}

export function checkMaxRetries(where: Where, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 1000) {
    throw new ValidationError(`${label(where)}: maxRetries must be a whole number from 0 to 1000; got ${describeValue(value)}`);
  }
  return value;
}

export function checkQueue(where: Where, value: unknown): string {
  if (typeof value !== 'string' || !QUEUE_NAME_PATTERN.test(value)) {
    throw new ValidationError(`${label(where)}: queue must be 1-64 of A-Z a-z 0-9 _ . : -; got ${describeValue(value)}`);
  }
  return value;
}

export function checkPriority(where: Where, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > INT32_MAX) {
    throw new ValidationError(`${label(where)}: priority must be a whole number (lower runs first); got ${describeValue(value)}`);
  }
  return value;
}

export function checkDefaults(where: string, defaults: TaskDefaults): TaskDefaults {
  const known = new Set(['timeout', 'maxRetries', 'queue', 'priority']);
  for (const key of Object.keys(defaults)) {
    if (!known.has(key)) throw new ValidationError(`${label(where)}: unknown option "${key}"; use timeout, maxRetries, queue or priority`);
  }
  if (defaults.timeout !== undefined) checkTimeout(where, defaults.timeout);
  if (defaults.maxRetries !== undefined) checkMaxRetries(where, defaults.maxRetries);
  if (defaults.queue !== undefined) checkQueue(where, defaults.queue);
  if (defaults.priority !== undefined) checkPriority(where, defaults.priority);
  return defaults;
}
