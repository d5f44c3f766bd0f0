// Cluster-wide single actors (the stale-lease sweep): Redlock while Redis is up, else a lease row
// in the database. Work done under the lock is fenced row by row anyway, so two holders at once
// (e.g. one side sees Redis, the other does not) cost duplicate effort, never a wrong write.
import Redlock, { ExecutionError, ResourceLockedError, type Lock } from 'redlock';
import type { RedisConnection } from './redis';
import type { LockStatements } from './store/lock-statements';

export class ClusterLocks {
  private readonly redlock: Redlock | undefined;

  constructor(
    private readonly store: Pick<LockStatements, 'tryLock' | 'unlock'>,
    private readonly owner: string,
    private readonly prefix: string,
    private readonly redis: RedisConnection | undefined,
  ) {
    this.redlock = redis ? new Redlock([redis.client], { retryCount: 0 }) : undefined;
    // Redlock reports per-attempt errors as events; a held lock is normal, so they are ignored.
    this.redlock?.on('error', () => undefined);
  }

  /**
   * Runs `fn` if this process gets the lock `name`; returns false when another holder has it.
   * `ttlMs` bounds how long a crashed holder blocks the others. Throws when neither Redis nor the
   * database could be asked.
   */
  async tryRun(name: string, ttlMs: number, fn: () => Promise<void>): Promise<boolean> {
    if (this.redlock && this.redis?.ready) {
      const lock = await this.tryRedlock(name, ttlMs);
      if (lock === 'held') return false;
      if (lock !== 'unavailable') {
        try {
          await fn();
        } finally {
          await lock.release().catch(() => undefined);
        }
        return true;
      }
      // Redis answered with errors (connection dropped, read-only, out of memory): the sweep must
      // not stop cluster-wide because of that, so the database lock decides instead.
    }
    if (!(await this.store.tryLock(name, this.owner, ttlMs, Date.now()))) return false;
    try {
      await fn();
    } finally {
      await this.store.unlock(name, this.owner).catch(() => undefined);
    }
    return true;
  }

  private async tryRedlock(name: string, ttlMs: number): Promise<Lock | 'held' | 'unavailable'> {
    try {
      return await this.redlock!.acquire([`${this.prefix}:lock:${name}`], Math.ceil(ttlMs));
    } catch (error) {
      if (!(error instanceof ExecutionError)) return 'unavailable';
      const attempts = await Promise.all(error.attempts);
      const reasons = attempts.flatMap((a) => [...a.votesAgainst.values()]);
      return reasons.length > 0 && reasons.every((r) => r instanceof ResourceLockedError) ? 'held' : 'unavailable';
    }
  }
}
