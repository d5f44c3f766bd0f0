// The statement runner every dialect implements over its driver's own connection: no ORM
// instances, positional parameters (SQLite's named-parameter lookup is quadratic in their
// number), prepared statements where the driver keeps them. Statements are written with $1..$n.
import type { Transaction } from 'sequelize';

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

/** $n placeholders to '?' with the values reordered by occurrence (a $n may repeat). */
export function toQuestionMarks(sql: string, params: readonly unknown[]): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const text = sql.replace(/\$(\d+)/g, (_, n: string) => {
    values.push(params[Number(n) - 1]);
    return '?';
  });
  return { text, values };
}
