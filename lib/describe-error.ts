// The stored text of anything a handler throws. It never throws itself: a value whose getters,
// traps or toString throw (a Proxy, an error whose `message` getter throws, a revoked Proxy) is
// described as far as it can be read, so a run always settles with an outcome.
import { inspect } from 'node:util';

/** `get()` as a string; `fallback` when it is undefined or reading or converting it throws. */
function read<T extends string | undefined>(get: () => unknown, fallback: T): string | T {
  try {
    const value = get();
    return value === undefined ? fallback : String(value);
  } catch {
    return fallback;
  }
}

function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false; // a Proxy whose getPrototypeOf trap throws
  }
}

function describeNonError(value: unknown): string {
  try {
    return inspect(value, { depth: 3, breakLength: Infinity });
  } catch {
    // inspect reads the value's properties; a Proxy's traps may throw there.
    return `a ${typeof value} that could not be inspected`;
  }
}

/** The stored text of an error: name, message and stack (the stack already starts with both). */
export function describeError(error: unknown): string {
  try {
    if (isError(error)) {
      const head = `${read(() => error.name, 'Error')}: ${read(() => error.message, '(its message could not be read)')}`;
      const stack = read(() => error.stack, undefined);
      return stack !== undefined && stack.startsWith(head) ? stack : `${head}\n${stack ?? ''}`.trimEnd();
    }
    return `Non-Error thrown: ${describeNonError(error)}`;
  } catch {
    return 'Non-Error thrown: a value that could not be described';
  }
}
