// The limits of the sample's task inputs, checked twice: by the typed routes (a clear 400 before
// anything is queued) and by each handler itself, since a task can also be created by name
// (POST /tasks, tw-admin, another service) with arguments no route has seen. A handler that gets
// input out of bounds fails for good with a PermanentError instead of doing the work.
import { PermanentError } from '../decorators/index';

export const LIMITS = {
  reportText: 100_000,
  reportTop: 50,
  emailAddress: 200,
  emailSubject: 200,
  emailBody: 10_000,
  thumbnailSide: { min: 16, max: 1024 },
  slowSeconds: { min: 1, max: 60 },
  sku: 64,
} as const;

/** Throws PermanentError unless `value` is a string of 1 to `max` characters. */
export function textArg(name: string, value: unknown, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new PermanentError(`${name} must be a string of 1 to ${max} characters`);
  }
  return value;
}

/** Throws PermanentError unless `value` is a whole number from `min` to `max`. */
export function integerArg(name: string, value: unknown, { min, max }: { min: number; max: number }): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new PermanentError(`${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}
