// SQLite statements on the sqlite3 driver directly, with anonymous '?' parameters (SQLite records
// every named or numbered one in a list, which makes a 20,000-value insert quadratic): one shared
// connection outside transactions, SQLite serializes the writers. Relaxed writes (claims, lease
// renewals) use a second connection with synchronous=NORMAL: in WAL mode its commits skip the
// fsync, and the next full commit on the file makes them durable too, as on PostgreSQL.
import { Transaction } from 'sequelize';
import type { Sequelize } from 'sequelize-typescript';
import { connectionOf, toQuestionMarks, type RunOptions, type SqlRunner } from './runner';

interface SqliteDatabase {
  all(sql: string, params: unknown[], callback: (error: Error | null, rows: unknown[]) => void): void;
  run(sql: string, params: unknown[], callback: (this: { changes: number }, error: Error | null) => void): void;
  exec(sql: string, callback: (error: Error | null) => void): void;
}

/** Sequelize caches one SQLite connection per key; this key is the relaxed one's. */
const RELAXED_CONNECTION = 'tw-relaxed';

export class SqliteRunner implements SqlRunner {
  private relaxed: Promise<SqliteDatabase> | undefined;

  constructor(private readonly sequelize: Sequelize) {}

  private async connection(options?: RunOptions): Promise<SqliteDatabase> {
    if (options?.transaction) return connectionOf<SqliteDatabase>(options.transaction);
    const manager = this.sequelize.connectionManager as unknown as { getConnection(o: object): Promise<SqliteDatabase> };
    if (options?.relaxedDurability) {
      this.relaxed ??= manager.getConnection({ type: 'write', uuid: RELAXED_CONNECTION }).then((db) =>
        new Promise<SqliteDatabase>((resolve, reject) => db.exec('PRAGMA synchronous=NORMAL', (e) => (e ? reject(e) : resolve(db)))));
      return this.relaxed.catch((error: unknown) => {
        this.relaxed = undefined;
        throw error;
      });
    }
    // The default connection is cached by Sequelize and closed with it.
    return manager.getConnection({ type: 'write' });
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
