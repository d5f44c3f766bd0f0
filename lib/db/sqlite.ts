// Everything SQLite: the file from the URL, the session settings, the statement runner on the
// sqlite3 driver, the claim (a single UPDATE ... RETURNING: SQLite has one writer at a time, so the
// sub-select and the update form one atomic step, no row lock needed), the batched completion
// (one UPDATE ... FROM a VALUES list, one commit), the migration lock and the reading of its errors.
//
// Sessions use WAL (readers never block the writer), synchronous=FULL (a commit survives power
// loss, as on PostgreSQL) and a busy timeout, so several processes can share one file. Like
// PostgreSQL's, the claim commits without waiting for the disk: a claim lost to a power cut only
// runs a task again.
import { Transaction } from 'sequelize';
import type { Sequelize } from 'sequelize-typescript';
import { Binds } from './binds';
import type { Dialect } from './dialect';
import type { RawTaskRow } from './rows';
import { toQuestionMarks, type RunOptions, type SqlRunner } from './runner';
import { connectionOf, driverError, setUpEachConnection, sqliteConnection } from './sequelize-internals';
import {
  CLAIM_ORDER, claimAssignments, completionAssignments, completionFence, insertKeyedValues, insertValues, partialUniqueKeyFilter, readyFilter,
} from './shared-sql';

const BUSY_TIMEOUT_MS = 10_000;
const SESSION_SETUP = 'PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;';
/** Codes that describe the statement or its data: retrying cannot help. */
const PERMANENT_CODES = new Set(['SQLITE_TOOBIG', 'SQLITE_CONSTRAINT', 'SQLITE_MISMATCH', 'SQLITE_RANGE']);

/** 'sqlite:tasks.db', 'sqlite:/abs/tasks.db', 'sqlite::memory:' and 'sqlite://./tasks.db' all work. */
export function storageOf(url: string): string {
  const rest = url.slice('sqlite:'.length);
  return rest.startsWith('//') ? rest.slice(2) : rest;
}

/*
 * The runner, with anonymous '?' parameters (SQLite records every named or numbered one in a list,
 * which makes a 20,000-value insert quadratic): one shared connection outside transactions, SQLite
 * serializes the writers. Relaxed writes (claims, lease renewals) use a second connection with
 * synchronous=NORMAL: in WAL mode its commits skip the fsync, and the next full commit on the file
 * makes them durable too, as on PostgreSQL.
 */
interface SqliteDatabase {
  configure(option: 'busyTimeout', ms: number): void;
  all(sql: string, params: unknown[], callback: (error: Error | null, rows: unknown[]) => void): void;
  run(sql: string, params: unknown[], callback: (this: { changes: number }, error: Error | null) => void): void;
  exec(sql: string, callback: (error: Error | null) => void): void;
}

/** Sequelize caches one SQLite connection per key; this key is the relaxed one's. */
const RELAXED_CONNECTION = 'tw-relaxed';

class SqliteRunner implements SqlRunner {
  private relaxed: Promise<SqliteDatabase> | undefined;
  /** The last transaction queued: the next one starts after it. */
  private transactions: Promise<unknown> = Promise.resolve();

  constructor(private readonly sequelize: Sequelize) {}

  private async connection(options?: RunOptions): Promise<SqliteDatabase> {
    if (options?.transaction) return connectionOf<SqliteDatabase>(options.transaction);
    if (options?.relaxedDurability) {
      this.relaxed ??= sqliteConnection<SqliteDatabase>(this.sequelize, RELAXED_CONNECTION).then((db) =>
        new Promise<SqliteDatabase>((resolve, reject) => db.exec('PRAGMA synchronous=NORMAL', (e) => (e ? reject(e) : resolve(db)))));
      return this.relaxed.catch((error: unknown) => {
        this.relaxed = undefined;
        throw error;
      });
    }
    // The default connection is cached by Sequelize and closed with it.
    return sqliteConnection<SqliteDatabase>(this.sequelize);
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

  /**
   * One transaction at a time per process. SQLite has a single writer anyway, and a transaction
   * waiting for the write lock waits inside one of the few threads (libuv's, 4 by default) the
   * driver runs statements on: a burst of transactions (a batch of failures written at once) held
   * them all, the transaction holding the lock got none for its next statement, and every writer
   * waited out the busy timeout. Queued here, they wait without holding a thread.
   */
  transaction<T>(fn: (transaction: Transaction) => Promise<T>): Promise<T> {
    const run = this.transactions.then(() => this.sequelize.transaction({ type: Transaction.TYPES.IMMEDIATE }, fn));
    this.transactions = run.catch(() => undefined);
    return run;
  }
}

export const sqlite: Dialect = {
  name: 'sqlite',
  driver: 'sqlite3',

  connectionSettings: (url) => ({ url: undefined, options: { dialect: 'sqlite', logging: false, storage: storageOf(url) } }),

  setUpSessions(sequelize) {
    // Every connection (Sequelize opens one per transaction) waits on a busy file.
    setUpEachConnection<SqliteDatabase>(sequelize, async (connection) => {
      connection.configure('busyTimeout', BUSY_TIMEOUT_MS);
      await new Promise<void>((resolve, reject) => connection.exec(SESSION_SETUP, (e) => (e ? reject(e) : resolve())));
    });
  },

  createRunner: (sequelize) => new SqliteRunner(sequelize),

  async claim(runner, params) {
    const binds = new Binds();
    const set = claimAssignments(params, binds);
    const sql =
      `UPDATE tw_tasks SET ${set} WHERE id IN (SELECT id FROM tw_tasks WHERE ${readyFilter(params, binds)} ` +
      `${CLAIM_ORDER} LIMIT ${binds.add(params.limit)}) RETURNING *`;
    return runner.rows<RawTaskRow>(sql, binds.values, { prepare: true, relaxedDurability: true });
  },

  insert: insertValues,

  async insertKeyed(runner, records, transaction) {
    const binds = new Binds();
    const rows = await runner.rows<{ id: string }>(insertKeyedValues(records, binds, ' ON CONFLICT DO NOTHING RETURNING id'), binds.values,
      { transaction });
    return rows.map((r) => r.id);
  },

  activeUniqueKeyFilter: partialUniqueKeyFilter,

  ignoreDuplicates: () => ' ON CONFLICT DO NOTHING',

  // One writer at a time holds the whole file: there is no row lock to take or skip.
  skipLocked: '',

  // A paused process holding SQLite's write lock stops every writer until it resumes; SQLite has
  // no server that could end its transaction.
  idleTransactionLimit: () => ({ begin: [], end: [] }),

  async complete(runner, workerId, completions) {
    const binds = new Binds();
    const values = completions.map((c) => `(${binds.list([c.id, c.result, c.attempt, c.startedAt, c.finishedAt, c.duration, c.progress ?? null])})`).join(', ');
    const worker = binds.add(workerId);
    const rows = await runner.rows<{ id: string }>(
      `WITH v(id, result, attempt, started_at, finished_at, duration, progress) AS (VALUES ${values}) ` +
        `UPDATE tw_tasks SET ${completionAssignments(worker, (c) => c, (c) => `tw_tasks.${c}`)} FROM v ` +
        `WHERE ${completionFence((c) => `tw_tasks.${c}`, worker)} RETURNING tw_tasks.id`,
      binds.values);
    return rows.map((r) => r.id);
  },

  migrationLock: {
    // The IMMEDIATE transaction holds SQLite's single write lock: nothing more to take.
    transactionType: Transaction.TYPES.IMMEDIATE,
    async acquire() {},
    async release() {},
  },

  classifyError(error) {
    const code = driverError(error)?.code;
    return typeof code === 'string' && PERMANENT_CODES.has(code) ? 'permanent' : 'transient';
  },
};
