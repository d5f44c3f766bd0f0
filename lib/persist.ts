// Retries a database write until it lands: a result that could not be written (database restarting,
// connection lost) is written later, never dropped. Backoff 100 ms doubling to 5 s; a lock conflict
// (deadlock) is retried at once. Only an error that retrying cannot fix (the data itself is refused,
// e.g. too long for its column) is thrown.
import type { Logger } from 'pino';
import { delay } from './sleeper';

/** Conflicts retried at once before they count as failures (logged, backed off). */
const MAX_QUICK_CONFLICT_RETRIES = 10;

export interface PersistOptions {
  logger: Logger;
  /** Checked after each failure: true abandons the write (the worker is stopping now). */
  giveUp: () => boolean;
  /** Told about every failure, e.g. so the worker knows the database was unreachable. */
  onError?: (error: unknown) => void;
}

// SQLSTATE classes that describe the statement or its data, not the connection: 22 data exception
// (string too long, bad encoding), 23 integrity, 42 syntax or missing table, 54 program limit.
const PERMANENT_SQLSTATE_CLASSES = new Set(['22', '23', '42', '54']);
const PERMANENT_SQLITE_CODES = new Set(['SQLITE_TOOBIG', 'SQLITE_CONSTRAINT', 'SQLITE_MISMATCH', 'SQLITE_RANGE']);

/**
 * True for a lost race with another transaction (deadlock, serialization failure, lock wait
 * timeout): the statement was rolled back and can run again at once; the database is fine.
 */
export function isConflictError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const outer = error as { parent?: unknown; original?: unknown };
  const cause = (outer.parent ?? outer.original ?? error) as { code?: unknown; sqlState?: unknown; errno?: unknown };
  const state = typeof cause.sqlState === 'string' ? cause.sqlState : typeof cause.code === 'string' ? cause.code : '';
  // 40001 serialization failure, 40P01 deadlock; MySQL/MariaDB 1213 deadlock, 1205 lock wait timeout.
  return /^40[0-9A-Z]{3}$/.test(state) || cause.errno === 1213 || cause.errno === 1205;
}

/**
 * True when the database refused the write itself, so the same write will fail every time.
 * Unknown errors count as passing (connection lost, server restarting, lock timeouts): retried.
 */
export function isPermanentWriteError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const outer = error as { parent?: unknown; original?: unknown };
  const cause = (outer.parent ?? outer.original ?? error) as { code?: unknown; sqlState?: unknown; errno?: unknown };
  // A statement over max_allowed_packet: the server also drops the connection (SQLSTATE 08S01).
  if (cause.errno === 1153) return true;
  // PostgreSQL puts the SQLSTATE in `code`; mysql2 in `sqlState` (its `code` is a name like ER_DATA_TOO_LONG).
  const state = typeof cause.sqlState === 'string' ? cause.sqlState : typeof cause.code === 'string' ? cause.code : '';
  if (/^\d\d[0-9A-Z]{3}$/.test(state)) return PERMANENT_SQLSTATE_CLASSES.has(state.slice(0, 2));
  return typeof cause.code === 'string' && PERMANENT_SQLITE_CODES.has(cause.code);
}

/**
 * Runs `write` until it succeeds. Returns undefined when abandoned because `giveUp()` said so;
 * rethrows a permanent error (isPermanentWriteError) for the caller to turn into a task failure.
 */
export async function persistently<T>(what: string, write: () => Promise<T>, options: PersistOptions): Promise<T | undefined> {
  const { logger, giveUp, onError } = options;
  let wait = 100;
  let warned = false;
  let conflicts = 0;
  for (;;) {
    try {
      const value = await write();
      if (warned) logger.info({ what }, 'database write succeeded after retrying');
      return value;
    } catch (error) {
      if (isPermanentWriteError(error)) throw error;
      if (isConflictError(error) && conflicts < MAX_QUICK_CONFLICT_RETRIES) {
        // Not an outage: run it again after a few random ms, so the two sides do not collide again.
        conflicts++;
        logger.debug({ what, err: (error as Error).message }, 'database write lost a lock conflict; retrying');
        await delay(Math.random() * 20);
        continue;
      }
      onError?.(error);
      if (giveUp()) {
        logger.error({ what, err: (error as Error).message }, 'database write abandoned: the worker is stopping now');
        return undefined;
      }
      if (!warned) logger.warn({ what, err: (error as Error).message }, 'database write failed; retrying until it succeeds');
      warned = true;
      await delay(wait);
      wait = Math.min(wait * 2, 5000);
    }
  }
}
