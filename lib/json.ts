// Strict JSON checks for task arguments and results: a value is accepted only if JSON.parse
// of its JSON text gives the same value back, so a handler sees exactly what the caller passed.

/**
 * Returns null when `value` is plain JSON, else a path and reason such as "args[1]: a function".
 * `maxDepth` bounds the nesting (`value` itself is level 1), so input nested thousands deep is
 * refused here rather than overflowing the stack of whatever serialises it next.
 */
export function findNonJson(value: unknown, path: string, maxDepth = Infinity, seen: Set<object> = new Set(), depth = 1): string | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : `${path}: ${value} is not a finite number (JSON has no NaN or Infinity)`;
    case 'undefined':
      return `${path}: undefined (use null, or leave the key out)`;
    case 'function':
      return `${path}: a function`;
    case 'bigint':
      return `${path}: a BigInt (pass it as a string)`;
    case 'symbol':
      return `${path}: a symbol`;
  }
  if (value === null) return null;
  const object = value as object;
  if (seen.has(object)) return `${path}: a circular reference`;
  if (depth > maxDepth) return `${path}: nested deeper than ${maxDepth} levels of arrays and objects`;
  if (Array.isArray(object)) {
    seen.add(object);
    for (let i = 0; i < object.length; i++) {
      const problem = findNonJson(object[i], `${path}[${i}]`, maxDepth, seen, depth + 1);
      if (problem) return problem;
    }
    seen.delete(object);
    return null;
  }
  const proto = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) {
    const kind = object.constructor?.name ?? 'object';
    const hint = object instanceof Date ? ' (pass date.toISOString())' : ' (pass a plain object)';
    return `${path}: a ${kind}${hint}`;
  }
  seen.add(object);
  for (const [key, child] of Object.entries(object)) {
    const problem = findNonJson(child, `${path}.${key}`, maxDepth, seen, depth + 1);
    if (problem) return problem;
  }
  seen.delete(object);
  return null;
}

/** True for `{}`-style objects (not arrays, not class instances). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
