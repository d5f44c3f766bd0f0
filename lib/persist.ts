// Retries a database write until it lands: a result that could not be written (database restarting,
// connection lost) is written later, never dropped. Backoff 100 ms doubling to 5 s; a lock conflict
// (deadlock) is retried at once. Only an error that retrying cannot fix (the data itself is refused,
// e.g. too long for its column) is thrown. The dialect says which error is which.
import type { Logger } from 'pino';
import type { ErrorKind } from './db/dialect';
import { delay } from './sleeper';

/** Conflicts retried at once before they count as failures (logged, backed off). */
const MAX_QUICK_CONFLICT_RETRIES = 10;

export interface PersistOptions {
  logger: Logger;
  /** The dialect's reading of a failed statement. */
  classify: (error: unknown) => ErrorKind;
  /** Checked after each failure: true abandons the write (the worker is stopping now). */
  giveUp: () => boolean;
  /** Told about every failure, e.g. so the worker knows the database was unreachable. */
  onError?: (error: unknown) => void;
}

/**
 * Runs `write` until it succeeds. Returns undefined when abandoned because `giveUp()` said so;
 * rethrows a permanent error for the caller to turn into a task failure.
 */
export async function persistently<T>(what: string, write: () => Promise<T>, options: PersistOptions): Promise<T | undefined> {
  const { logger, classify, giveUp, onError } = options;
  let wait = 100;
  let warned = false;
  let conflicts = 0;
  for (;;) {
    try {
      const value = await write();
      if (warned) logger.info({ what }, 'database write succeeded after retrying');
      return value;
    } catch (error) {
      const kind = classify(error);
      if (kind === 'permanent') throw error;
      if (kind === 'conflict' && conflicts < MAX_QUICK_CONFLICT_RETRIES) {
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
