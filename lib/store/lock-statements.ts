// The database-only lock for cluster-wide single actors when Redis is absent: one lease row per
// lock name in tw_locks, taken when free or expired, released by its owner only.
import { Binds } from '../db/binds';
import type { SqlRunner } from '../db/runner';

export class LockStatements {
  constructor(private readonly runner: SqlRunner) {}

  /** True when `owner` now holds `name` for `ttlMs` (it was free, expired, or already its own). */
  async tryLock(name: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    const binds = new Binds();
    const owned = binds.add(owner);
    const taken = await this.runner.execute(
      `UPDATE tw_locks SET owner = ${owned}, expires_at = ${binds.add(now + ttlMs)} ` +
        `WHERE name = ${binds.add(name)} AND (expires_at < ${binds.add(now)} OR owner = ${owned})`, binds.values);
    if (taken === 1) return true;
    try {
      const insert = new Binds();
      await this.runner.execute(`INSERT INTO tw_locks (name, owner, expires_at) VALUES (${insert.list([name, owner, now + ttlMs])})`, insert.values);
      return true;
    } catch {
      return false; // someone else holds it (duplicate key)
    }
  }

  async unlock(name: string, owner: string): Promise<void> {
    const binds = new Binds();
    await this.runner.execute(`DELETE FROM tw_locks WHERE name = ${binds.add(name)} AND owner = ${binds.add(owner)}`, binds.values);
  }
}
