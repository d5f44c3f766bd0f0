// What differs between databases, as one interface each database file implements whole: how to
// open it and set up its sessions, its statement runner, its claim and the two bulk statements of
// the hot path, its migration lock, and how to read its errors. Everything else is portable SQL.
import type { Options, Transaction } from 'sequelize';
import type { Sequelize } from 'sequelize-typescript';
import type { Binds } from './binds';
import type { RawTaskRow } from './rows';
import type { SqlRunner } from './runner';
import type { TaskRecord } from '../types';

export type DialectName = 'postgres' | 'mariadb' | 'sqlite';

export interface ClaimParams {
  /** PENDING tasks, or FAILED tasks whose retry time has come. */
  from: 'PENDING' | 'FAILED';
  limit: number;
  now: number;
  workerId: string;
  leaseUntil: number;
  /** Written into max_retries for tasks that set none: the claiming worker's --retry. */
  defaultMaxRetries: number;
  /** Empty: every queue. */
  queues: readonly string[];
  /** Queues not to claim from (paused); absent or empty: none. */
  excludeQueues?: readonly string[];
  /**
   * FAILED only: claim just the retries that rank ahead of the PENDING tasks, those of a better
   * (lower) priority than the best ready PENDING task, or ready since `agedBefore` (epoch ms) or earlier.
   */
  aheadOfPending?: { agedBefore: number };
}

/** A finished task to mark COMPLETED, fenced on the worker and the attempt it ran. */
export interface Completion {
  id: string;
  attempt: number;
  result: string;
  /** When the handler really started (a prefetched task is claimed before it starts). */
  startedAt: number;
  finishedAt: number;
  duration: number;
  /** Progress reported since the last progress write (JSON text), written with the completion; absent or null: none. */
  progress?: string | null;
}

/**
 * How a failed statement should be treated. conflict: a lost race with another transaction
 * (deadlock, serialization failure, lock wait timeout), rolled back and safe to run again at once;
 * permanent: the database refused the statement or its data, and will refuse it every time;
 * transient: anything else (connection lost, server restarting), worth retrying with backoff.
 */
export type ErrorKind = 'conflict' | 'permanent' | 'transient';

/** The connection settings for `new Sequelize(url, options)`. */
export interface ConnectionSettings {
  /** The URL Sequelize is given; undefined when the options say it all (SQLite's storage). */
  url: string | undefined;
  options: Options;
}

/** One migrator at a time, whatever the database offers for it. */
export interface MigrationLock {
  /** The transaction type the migration runs in (SQLite: IMMEDIATE, which takes the write lock). */
  transactionType: Transaction.TYPES | undefined;
  acquire(sequelize: Sequelize, transaction: Transaction): Promise<void>;
  release(sequelize: Sequelize, transaction: Transaction): Promise<void>;
}

export interface Dialect {
  readonly name: DialectName;
  /** The npm package of the driver Sequelize loads (an optional peer dependency of task-worker). */
  readonly driver: 'pg' | 'mysql2' | 'sqlite3';
  /** Driver and pool settings for a database URL of this dialect. */
  connectionSettings(url: string, poolMax: number): ConnectionSettings;
  /** Installs this dialect's per-session settings on a Sequelize instance we opened. */
  setUpSessions(sequelize: Sequelize): void;
  createRunner(sequelize: Sequelize): SqlRunner;
  /** Atomically moves up to `limit` ready tasks to PROGRESS for this worker and returns them. */
  claim(runner: SqlRunner, params: ClaimParams): Promise<RawTaskRow[]>;
  /** Inserts up to INSERT_CHUNK records in one statement. */
  insert(runner: SqlRunner, records: readonly TaskRecord[], transaction?: Transaction): Promise<void>;
  /**
   * Inserts up to INSERT_CHUNK records with their unique key, schedule key and fire time; a record
   * that collides with a unique key (a task with the same unique key that is not final, or the same
   * fire time of the schedule) is skipped without error, so a caller's transaction goes on.
   * Returns the ids inserted.
   */
  insertKeyed(runner: SqlRunner, records: readonly TaskRecord[], transaction?: Transaction): Promise<string[]>;
  /** The WHERE condition for tasks that are not final and hold one of `keys` as unique key, as this database's index serves it. */
  activeUniqueKeyFilter(binds: Binds, keys: readonly string[]): string;
  /** The end of an INSERT that makes a row colliding with a unique key a no-op (`column` is any column of the table). */
  ignoreDuplicates(column: string): string;
  /** Appended to a SELECT to lock its rows, skipping rows another transaction holds ('' where one writer holds the whole file). */
  readonly skipLocked: string;
  /**
   * Statements that bound how long a transaction of ours may sit idle while holding locks (its
   * process paused or cut off): the server ends it after `seconds`, so the others go on. `end`
   * runs last inside the transaction and restores the session.
   */
  idleTransactionLimit(seconds: number): { begin: string[]; end: string[] };
  /** Marks many tasks COMPLETED in one statement; returns the ids this worker still held. */
  complete(runner: SqlRunner, workerId: string, completions: readonly Completion[]): Promise<string[]>;
  readonly migrationLock: MigrationLock;
  classifyError(error: unknown): ErrorKind;
}
