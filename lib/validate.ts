// Checks of task options, shared by the client and by handler registration. Each error names
// the option and says what a valid value looks like.
import { QUEUE_NAME_PATTERN } from './config';
import { ValidationError } from './errors';
import type { TaskDefaults } from './types';

/** Longest accepted timeout: 30 days, in seconds. */
export const MAX_TIMEOUT_SECONDS = 30 * 86_400;
const INT32_MAX = 2_147_483_647;

/**
 * Where a value came from, for the error message: a string, or a function that makes it, so that
 * a bulk create does not format a label per task that only an error would show.
 */
export type Where = string | (() => string);

export function label(where: Where): string {
  return typeof where === 'string' ? where : where();
}

export function checkTimeout(where: Where, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMEOUT_SECONDS) {
    throw new ValidationError(`${label(where)}: timeout must be a number of seconds above 0 and at most ${MAX_TIMEOUT_SECONDS}; got ${String(value)}`);
  }
  return value;
}

export function checkMaxRetries(where: Where, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 1000) {
    throw new ValidationError(`${label(where)}: maxRetries must be a whole number from 0 to 1000; got ${String(value)}`);
  }
  return value;
}

export function checkQueue(where: Where, value: unknown): string {
  if (typeof value !== 'string' || !QUEUE_NAME_PATTERN.test(value)) {
    throw new ValidationError(`${label(where)}: queue must be 1-64 of A-Z a-z 0-9 _ . : -; got ${JSON.stringify(value)}`);
  }
  return value;
}

export function checkPriority(where: Where, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > INT32_MAX) {
    throw new ValidationError(`${label(where)}: priority must be a whole number (lower runs first); got ${String(value)}`);
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
