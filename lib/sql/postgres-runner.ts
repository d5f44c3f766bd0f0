// PostgreSQL statements on pg clients borrowed from Sequelize's pool; fixed-shape statements are
// prepared once per connection (named), so the server plans them once.
import { createHash } from 'node:crypto';
import { Transaction } from 'sequelize';
import type { Sequelize } from 'sequelize-typescript';
import { onConnection, poolOf, type RunOptions, type SqlRunner } from './runner';

interface PgClient {
  query(config: { text: string; values: unknown[]; name?: string }): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/**
 * The session of the kept-aside connection, which runs the claims and lease renewals. Commits do
 * not wait for the WAL flush; and the planner may not answer a claim with a bitmap scan and a sort
 * of the whole backlog, which it picks when the statistics are stale (a freshly loaded backlog,
 * before autovacuum analyzes it: 28 ms instead of 6 ms per claim of 200 over 20,000 tasks). The
 * claim's ORDER BY matches the claim indexes, so an ordered index scan is always right.
 */
const RELAXED_SESSION = ['SET synchronous_commit TO OFF', 'SET enable_bitmapscan TO OFF', 'SET enable_sort TO OFF'];
/** Undoes RELAXED_SESSION only: the session's other settings (plan_cache_mode, see db.ts) stay. */
const RELAXED_SESSION_UNDO = 'RESET synchronous_commit; RESET enable_bitmapscan; RESET enable_sort';

export class PostgresRunner implements SqlRunner {
  private readonly names = new Map<string, string>();
  /** One pooled connection kept aside with synchronous_commit off, for relaxed writes. */
  private relaxed: Promise<PgClient> | undefined;
  /** Relaxed statements run one after another on that connection (pg wants no overlap). */
  private relaxedTail: Promise<unknown> = Promise.resolve();

  constructor(private readonly sequelize: Sequelize) {}

  private nameOf(sql: string): string {
    let name = this.names.get(sql);
    if (!name) {
      name = `tw_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
      this.names.set(sql, name);
    }
    return name;
  }

  private async run(sql: string, params: readonly unknown[], options?: RunOptions) {
    const query = { text: sql, values: [...params], ...(options?.prepare ? { name: this.nameOf(sql) } : {}) };
    if (options?.relaxedDurability && !options.transaction) return this.runRelaxed(query);
    return onConnection(this.sequelize, options?.transaction, (client: PgClient) => client.query(query));
  }

  /**
   * Relaxed writes share one connection whose session commits without waiting for the WAL flush:
   * one round trip per statement instead of BEGIN/SET LOCAL/COMMIT around it. A broken
   * connection is dropped and replaced on the next call.
   */
  private async runRelaxed(query: { text: string; values: unknown[]; name?: string }) {
    const pool = poolOf(this.sequelize);
    this.relaxed ??= (async () => {
      const client = (await pool.getConnection({ type: 'write' })) as PgClient;
      for (const text of RELAXED_SESSION) await client.query({ text, values: [] });
      return client;
    })();
    const pending = this.relaxed;
    let client: PgClient;
    try {
      client = await pending;
    } catch (error) {
      if (this.relaxed === pending) this.relaxed = undefined;
      throw error;
    }
    const result = this.relaxedTail.then(() => client.query(query));
    this.relaxedTail = result.catch(() => undefined);
    try {
      return await result;
    } catch (error) {
      // Start afresh on the next call. The connection goes back to the pool only with the default
      // durability and planner settings restored; if even that fails it is broken, and the pool
      // drops it on validation.
      if (this.relaxed === pending) {
        this.relaxed = undefined;
        await client.query({ text: RELAXED_SESSION_UNDO, values: [] }).catch(() => undefined);
        await Promise.resolve(pool.releaseConnection(client)).catch(() => undefined);
      }
      throw error;
    }
  }

  /** Returns the relaxed connection to the pool (before the pool closes). */
  async close(): Promise<void> {
    const pending = this.relaxed;
    this.relaxed = undefined;
    if (!pending) return;
    const client = await pending.catch(() => undefined);
    if (!client) return;
    await client.query({ text: RELAXED_SESSION_UNDO, values: [] }).catch(() => undefined);
    await Promise.resolve(poolOf(this.sequelize).releaseConnection(client)).catch(() => undefined);
  }

  async rows<T>(sql: string, params: readonly unknown[], options?: RunOptions): Promise<T[]> {
    return (await this.run(sql, params, options)).rows as T[];
  }

  async execute(sql: string, params: readonly unknown[], options?: RunOptions): Promise<number> {
    return (await this.run(sql, params, options)).rowCount ?? 0;
  }

  transaction<T>(fn: (transaction: Transaction) => Promise<T>): Promise<T> {
    return this.sequelize.transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.READ_COMMITTED }, fn);
  }
}
