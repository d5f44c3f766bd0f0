// PostgreSQL statements on pg clients borrowed from Sequelize's pool; fixed-shape statements are
// prepared once per connection (named), so the server plans them once.
import { createHash } from 'node:crypto';
import { Transaction } from 'sequelize';
import type { Sequelize } from 'sequelize-typescript';
import { connectionOf, type RunOptions, type SqlRunner } from './runner';

interface PgClient {
  query(config: { text: string; values: unknown[]; name?: string }): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

interface Pool {
  getConnection(options: object): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void> | void;
}

export class PostgresRunner implements SqlRunner {
  private readonly names = new Map<string, string>();

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
    if (options?.transaction) return connectionOf<PgClient>(options.transaction).query(query);
    const pool = this.sequelize.connectionManager as unknown as Pool;
    const client = (await pool.getConnection({ type: 'write' })) as PgClient;
    try {
      return await client.query(query);
    } finally {
      await pool.releaseConnection(client);
    }
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
