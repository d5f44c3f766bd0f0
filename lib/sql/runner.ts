// A thin statement runner over each driver's own connection, used by the store's hot path: no ORM
// instances, positional parameters (SQLite's named-parameter lookup is quadratic in their
// number), prepared statements where the driver keeps them. Statements are written with $1..$n.
import type { Transaction } from 'sequelize';
import type { Sequelize } from 'sequelize-typescript';

export interface RunOptions {
  transaction?: Transaction;
  /** Fixed-shape statement worth preparing once per connection (PostgreSQL names it). */
  prepare?: boolean;
  /**
   * The write may be lost in a server crash without harm (a claim, a lease renewal): PostgreSQL
   * commits it without waiting for the WAL flush. Ignored inside a caller's transaction.
   */
  relaxedDurability?: boolean;
}

export interface SqlRunner {
  /** Rows of a SELECT or of a statement with RETURNING. */
  rows<T>(sql: string, params: readonly unknown[], options?: RunOptions): Promise<T[]>;
  /** Number of rows an INSERT/UPDATE/DELETE changed. */
  execute(sql: string, params: readonly unknown[], options?: RunOptions): Promise<number>;
  /** Runs `fn` in a READ COMMITTED transaction on one connection. */
  transaction<T>(fn: (transaction: Transaction) => Promise<T>): Promise<T>;
  /** Gives back connections the runner kept aside; call before closing Sequelize. */
  close?(): Promise<void>;
}

/** The driver connection Sequelize holds for a transaction. */
export function connectionOf<C>(transaction: Transaction): C {
  return (transaction as unknown as { connection: C }).connection;
}

/** Sequelize's connection pool, as the runners borrow from it. */
export interface ConnectionPool {
  getConnection(options: object): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void> | void;
}

export function poolOf(sequelize: Sequelize): ConnectionPool {
  return sequelize.connectionManager as unknown as ConnectionPool;
}

/** Runs `fn` on the transaction's connection, or on one borrowed from the pool and given back after. */
export async function onConnection<C, T>(sequelize: Sequelize, transaction: Transaction | undefined, fn: (connection: C) => Promise<T>): Promise<T> {
  if (transaction) return fn(connectionOf<C>(transaction));
  const pool = poolOf(sequelize);
  const connection = (await pool.getConnection({ type: 'write' })) as C;
  try {
    return await fn(connection);
  } finally {
    await pool.releaseConnection(connection);
  }
}

/** $n placeholders to '?' with the values reordered by occurrence (a $n may repeat). */
export function toQuestionMarks(sql: string, params: readonly unknown[]): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const text = sql.replace(/\$(\d+)/g, (_, n: string) => {
    values.push(params[Number(n) - 1]);
    return '?';
  });
  return { text, values };
}
