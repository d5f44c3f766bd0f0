// SQLite statements on the sqlite3 driver directly, with anonymous '?' parameters (SQLite records
// every named or numbered one in a list, which makes a 20,000-value insert quadratic): one shared
// connection outside transactions, SQLite serializes the writers.
import { Transaction } from 'sequelize';
import type { Sequelize } from 'sequelize-typescript';
import { connectionOf, toQuestionMarks, type RunOptions, type SqlRunner } from './runner';

interface SqliteDatabase {
  all(sql: string, params: unknown[], callback: (error: Error | null, rows: unknown[]) => void): void;
  run(sql: string, params: unknown[], callback: (this: { changes: number }, error: Error | null) => void): void;
}


export class SqliteRunner implements SqlRunner {
  constructor(private readonly sequelize: Sequelize) {}

  private async connection(options?: RunOptions): Promise<SqliteDatabase> {
    if (options?.transaction) return connectionOf<SqliteDatabase>(options.transaction);
    // The default connection is cached by Sequelize and never released.
    return (await this.sequelize.connectionManager.getConnection({ type: 'write' })) as unknown as SqliteDatabase;
  }

  async rows<T>(sql: string, params: readonly unknown[], options?: RunOptions): Promise<T[]> {
    const db = await this.connection(options);
    const { text, values } = toQuestionMarks(sql, params);
    return new Promise((resolve, reject) => db.all(text, values, (error, rows) => (error ? reject(error) : resolve(rows as T[]))));
  }

  async execute(sql: string, params: readonly unknown[], options?: RunOptions): Promise<number> {
    const db = await this.connection(options);
    const { text, values } = toQuestionMarks(sql, params);
    return new Promise((resolve, reject) =>
      db.run(text, values, function (error) {
        if (error) reject(error);
        else resolve(this.changes);
      }));
  }

  transaction<T>(fn: (transaction: Transaction) => Promise<T>): Promise<T> {
    return this.sequelize.transaction({ type: Transaction.TYPES.IMMEDIATE }, fn);
  }
}
