// The SQLSTATE classes PostgreSQL and MariaDB share, read the same way by both dialects.
import type { ErrorKind } from './dialect';

// Classes that describe the statement or its data, not the connection: 22 data exception (string
// too long, bad encoding), 23 integrity, 42 syntax or missing table, 54 program limit.
const PERMANENT_CLASSES = new Set(['22', '23', '42', '54']);

/** The kind of a five-character SQLSTATE, or undefined when `state` is not one. */
export function kindOfSqlState(state: unknown): ErrorKind | undefined {
  if (typeof state !== 'string' || !/^\d\d[0-9A-Z]{3}$/.test(state)) return undefined;
  // 40001 serialization failure, 40P01 deadlock: the transaction was rolled back.
  if (state.startsWith('40')) return 'conflict';
  return PERMANENT_CLASSES.has(state.slice(0, 2)) ? 'permanent' : 'transient';
}
