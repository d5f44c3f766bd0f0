// Request-body checks for the sample's routes. A failed check throws an error with status 400 and
// expose: true, which taskErrorHandler / koaTaskErrorHandler answer as JSON like the library's own.
export class BadRequest extends Error {
  readonly status = 400;
  readonly expose = true;
  readonly code = 'BAD_REQUEST';
}

/** A route that does not exist: 404 as JSON. */
export class NotFound extends Error {
  readonly status = 404;
  readonly expose = true;
  readonly code = 'NOT_FOUND';
}

type Body = Record<string, unknown> | undefined;

export function text(body: Body, key: string, maxLength: number): string {
  const value = body?.[key];
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new BadRequest(`"${key}" must be a string of 1 to ${maxLength} characters`);
  }
  return value;
}

export function integer(body: Body, key: string, min: number, max: number, fallback: number): number {
  const value = body?.[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new BadRequest(`"${key}" must be a whole number from ${min} to ${max}`);
  }
  return value;
}
