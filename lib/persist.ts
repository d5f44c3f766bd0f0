// Retries a database write until it lands: a result that could not be written (database restarting,
// connection lost) is written later, never dropped. Backoff 100 ms doubling to 5 s.
import type { Logger } from 'pino';
import { delay } from './sleeper';

export async function persistently<T>(what: string, logger: Logger, write: () => Promise<T>, giveUp: () => boolean): Promise<T | undefined> {
  let wait = 100;
  let warned = false;
  for (;;) {
    try {
      const value = await write();
      if (warned) logger.info({ what }, 'database write succeeded after retrying');
      return value;
    } catch (error) {
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
