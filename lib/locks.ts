// Cluster-wide single actors (the stale-lease sweep): Redlock while Redis is up, else a lease row
// in the database. Work done under the lock is fenced row by row anyway, so two holders at once
// (e.g. one side sees Redis, the other does not) cost duplicate effort, never a wrong write.
import Redlock from 'redlock';
import type { RedisConnection } from './redis';
import type { TaskStore } from './store';

export class ClusterLocks {
  private readonly redlock: Redlock | undefined;

  constructor(
    private readonly store: TaskStore,
    private readonly owner: string,
    private readonly prefix: string,
    private readonly redis: RedisConnection | undefined,
  ) {
    this.redlock = redis ? new Redlock([redis.client], { retryCount: 0 }) : undefined;
    // Redlock reports per-attempt errors as events; a held lock is normal, so they are ignored.
    this.redlock?.on('error', () => undefined);
  }

  /** Runs `fn` if this process gets the lock `name`; returns false when another holder has it. */
  async tryRun(name: string, ttlMs: number, fn: () => Promise<void>): Promise<boolean> {
    if (this.redlock && this.redis?.ready) {
      let lock;
      try {
        lock = await this.redlock.acquire([`${this.prefix}:lock:${name}`], ttlMs);
      } catch {
        return false;
      }
      try {
        await fn();
      } finally {
        await lock.release().catch(() => undefined);
      }
      return true;
    }
    if (!(await this.store.tryLock(name, this.owner, ttlMs, Date.now()))) return false;
    try {
      await fn();
    } finally {
      await this.store.unlock(name, this.owner).catch(() => undefined);
    }
    return true;
  }
}
