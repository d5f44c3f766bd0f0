// The task table's statements for producers and workers: insert, read, claim, complete, fail,
// leases, hand-back. With the operator's (admin-statements.ts), the dashboard's, the worker
// registry's, the locks' (lock-statements.ts) and the schedules' (schedule-statements.ts) it is
// every SQL statement of the engine; the per-dialect ones (claim, bulk insert, bulk completion) are
// delegated to the dialect. Each write after a claim is fenced on (locked_by, retry_count, status
// PROGRESS): a worker that lost its lease changes nothing.
import type { Transaction } from 'sequelize';
import type { Sequelize } from 'sequelize-typescript';
import { Binds } from '../db/binds';
import type { ClaimParams, Completion, Dialect, ErrorKind } from '../db/dialect';
import { dialectFor } from '../db/index';
import { toRecord, type RawTaskRow } from '../db/rows';
import { NO_CANCEL_PENDING } from '../db/shared-sql';
import type { SqlRunner } from '../db/runner';
import { TASK_ERROR_CODE } from '../task-errors';
import type { TaskRecord } from '../types';
import { AdminStatements } from './admin-statements';
import { DashboardStatements } from './dashboard-statements';
import { AttemptStatements } from './attempt-statements';
import { CancelStatements } from './cancel-statements';
import { LockStatements } from './lock-statements';
import { ProgressStatements } from './progress-statements';
import { QueueStatements } from './queue-statements';
import { ScheduleStatements } from './schedule-statements';
import { TaskTypeStatements } from './task-type-statements';
import { WorkerRegistryStatements } from './worker-registry-statements';

/** Rows per INSERT statement: far below every driver's bind-parameter limit. */
export const INSERT_CHUNK = 1000;

export type { Completion };

export interface Failure {
  id: string;
  attempt: number;
  error: string;
  /** The stored error code (TW_TIMEOUT, TW_PERMANENT...); default TW_TASK_ERROR. */
  code?: string;
  /** Progress reported since the last progress write (JSON text); absent or null: keep the stored one. */
  progress?: string | null;
  /** When the handler really started. */
  startedAt: number;
  finishedAt: number;
  duration: number;
  /** When the retry may start; null when no retry is left (FAILED for good). */
  retryAt: number | null;
}

export interface StaleTask {
  id: string;
  name: string;
  queue: string;
  lockedBy: string;
  /** The CancelledError text of a cancel requested while it ran; null when none was. */
  cancelRequested: string | null;
  attempt: number;
  /** Set by the claim; null only for rows written by hand. */
  maxRetries: number | null;
  startedAt: number | null;
}

export class TaskStore {
  private readonly dialect: Dialect;
  readonly runner: SqlRunner;
  /** The operator's statements: list, retry, cancel, purge, stats. */
  readonly admin: AdminStatements;
  /** The database-only lock, for cluster-wide single actors when Redis is absent. */
  readonly locks: LockStatements;
  /** The schedules' statements (tw_schedules). */
  readonly schedules: ScheduleStatements;
  /** The worker registry: register, heartbeat, deregister, list. */
  readonly workers: WorkerRegistryStatements;
  /** The dashboard's reads: task pages, queue counts, throughput. */
  readonly dashboard: DashboardStatements;
  /** The task types workers serve, with their handlers' defaults. */
  readonly taskTypes: TaskTypeStatements;
  /** Each task's failed attempts (tw_task_attempts). */
  readonly attempts: AttemptStatements;
  /** Progress of running tasks, batched per worker. */
  readonly progress: ProgressStatements;
  /** Cancels of running tasks: requested by operators, picked up by their workers. */
  readonly cancels: CancelStatements;
  /** Paused queues (tw_queues). */
  readonly queues: QueueStatements;

  constructor(readonly sequelize: Sequelize) {
    this.dialect = dialectFor(sequelize);
    this.runner = this.dialect.createRunner(sequelize);
    this.attempts = new AttemptStatements(this.runner);
    this.admin = new AdminStatements(this.runner, this.attempts);
    this.locks = new LockStatements(this.runner);
    this.schedules = new ScheduleStatements(this.runner, this.dialect);
    this.workers = new WorkerRegistryStatements(this.runner);
    this.dashboard = new DashboardStatements(this.runner);
    this.taskTypes = new TaskTypeStatements(this.runner);
    this.progress = new ProgressStatements(this.runner);
    this.cancels = new CancelStatements(this.runner);
    this.queues = new QueueStatements(this.runner, this.dialect);
  }

  /** How the worker should treat a failed statement: run it again at once, give up, or back off. */
  classifyError(error: unknown): ErrorKind {
    return this.dialect.classifyError(error);
  }

  private write(sql: string, binds: Binds, transaction?: Transaction, prepare = false): Promise<number> {
    return this.runner.execute(sql, binds.values, { transaction, prepare });
  }

  private select(sql: string, binds: Binds, transaction?: Transaction, prepare = false): Promise<RawTaskRow[]> {
    return this.runner.rows<RawTaskRow>(sql, binds.values, { transaction, prepare });
  }

  /** Inserts records, up to INSERT_CHUNK rows per statement; all in `transaction` when given. */
  async insert(records: readonly TaskRecord[], transaction?: Transaction): Promise<void> {
    const run = async (t?: Transaction) => {
      for (let start = 0; start < records.length; start += INSERT_CHUNK) {
        await this.dialect.insert(this.runner, records.slice(start, start + INSERT_CHUNK), t);
      }
    };
    // Several statements must land together or not at all.
    if (transaction || records.length <= INSERT_CHUNK) await run(transaction);
    else await this.runner.transaction((t) => run(t));
  }

  /**
   * Inserts records that may carry a unique key or a schedule's fire time, up to INSERT_CHUNK rows
   * per statement; a record colliding with a task that holds the same unique key (not final) or
   * the same fire time is skipped, not an error. Returns the ids inserted.
   */
  async insertKeyed(records: readonly TaskRecord[], transaction?: Transaction): Promise<Set<string>> {
    const inserted = new Set<string>();
    const run = async (t?: Transaction) => {
      for (let start = 0; start < records.length; start += INSERT_CHUNK) {
        for (const id of await this.dialect.insertKeyed(this.runner, records.slice(start, start + INSERT_CHUNK), t)) inserted.add(id);
      }
    };
    if (transaction || records.length <= INSERT_CHUNK) await run(transaction);
    else await this.runner.transaction((t) => run(t));
    return inserted;
  }

  /** The tasks that are not final and hold one of `keys` as their unique key. */
  async activeByUniqueKeys(keys: readonly string[], transaction?: Transaction): Promise<TaskRecord[]> {
    const found: TaskRecord[] = [];
    for (let start = 0; start < keys.length; start += INSERT_CHUNK) {
      const binds = new Binds();
      const rows = await this.select(
        `SELECT * FROM tw_tasks WHERE ${this.dialect.activeUniqueKeyFilter(binds, keys.slice(start, start + INSERT_CHUNK))}`, binds, transaction);
      found.push(...rows.map(toRecord));
    }
    return found;
  }

  async get(id: string, transaction?: Transaction): Promise<TaskRecord | null> {
    const binds = new Binds();
    const rows = await this.select(`SELECT * FROM tw_tasks WHERE id = ${binds.add(id)}`, binds, transaction, true);
    return rows.length > 0 ? toRecord(rows[0]) : null;
  }

  /** Of `ids`, those whose task is still to finish (PENDING, PROGRESS, or FAILED with a retry due): one query per 500 ids. */
  async unfinished(ids: readonly string[]): Promise<Set<string>> {
    const open = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      const binds = new Binds();
      const rows = await this.runner.rows<{ id: string }>(
        `SELECT id FROM tw_tasks WHERE id IN (${binds.list(ids.slice(i, i + 500))}) ` +
          `AND (status IN ('PENDING', 'PROGRESS') OR (status = 'FAILED' AND run_at IS NOT NULL))`, binds.values);
      for (const row of rows) open.add(row.id);
    }
    return open;
  }

  async claim(params: ClaimParams): Promise<TaskRecord[]> {
    const rows = await this.dialect.claim(this.runner, params);
    return rows.map(toRecord);
  }

  private fence(binds: Binds, workerId: string, id: string, attempt: number): string {
    return `id = ${binds.add(id)} AND locked_by = ${binds.add(workerId)} AND retry_count = ${binds.add(attempt)} AND status = 'PROGRESS'`;
  }

  /** Marks tasks COMPLETED; returns the ids this worker still owned (the others were not touched). */
  async complete(workerId: string, completions: readonly Completion[]): Promise<string[]> {
    if (completions.length === 0) return [];
    return this.dialect.complete(this.runner, workerId, completions);
  }

  /**
   * Marks a task FAILED, retryable at `retryAt` or for good, and records the attempt, in one
   * transaction; false when this worker no longer owned it, or (unless this is the cancel itself)
   * an operator's cancel is pending on it: nothing is written.
   */
  async fail(workerId: string, f: Failure): Promise<boolean> {
    const code = f.code ?? TASK_ERROR_CODE;
    const fence = code === 'TW_CANCELLED' ? '' : ` AND ${NO_CANCEL_PENDING()}`;
    const binds = new Binds();
    const sql =
      `UPDATE tw_tasks SET status = 'FAILED', error = ${binds.add(f.error)}, error_code = ${binds.add(code)}, ` +
      `started_at = ${binds.add(f.startedAt)}, finished_at = ${binds.add(f.finishedAt)}, ` +
      `updated_at = ${binds.add(f.finishedAt)}, duration = ${binds.add(f.duration)}, run_at = ${binds.add(f.retryAt)}, ` +
      `progress = COALESCE(${binds.add(f.progress ?? null)}, progress), last_worker = ${binds.add(workerId)}, cancel_requested = NULL, ` +
      `locked_by = NULL, lease_expires_at = NULL WHERE ${this.fence(binds, workerId, f.id, f.attempt)}${fence}`;
    return this.runner.transaction(async (transaction) => {
      if ((await this.write(sql, binds, transaction, true)) !== 1) return false;
      await this.attempts.record({
        taskId: f.id, attempt: f.attempt, errorCode: code, error: f.error, worker: workerId,
        startedAt: f.startedAt, finishedAt: f.finishedAt, duration: f.duration,
      }, transaction);
      return true;
    });
  }

  /** Extends every lease this worker holds; returns how many it still holds. */
  async renewLeases(workerId: string, leaseUntil: number, now: number): Promise<number> {
    const binds = new Binds();
    // A renewal lost in a server crash is harmless: the next heartbeat writes it again.
    return this.runner.execute(
      `UPDATE tw_tasks SET lease_expires_at = ${binds.add(leaseUntil)}, updated_at = ${binds.add(now)} ` +
        `WHERE status = 'PROGRESS' AND locked_by = ${binds.add(workerId)}`, binds.values, { prepare: true, relaxedDurability: true });
  }

  /** Every task this worker holds in PROGRESS (a bounded set: its slots, prefetch and unwritten outcomes). */
  async leasedBy(workerId: string): Promise<string[]> {
    const binds = new Binds();
    const rows = await this.runner.rows<{ id: string }>(
      `SELECT id FROM tw_tasks WHERE status = 'PROGRESS' AND locked_by = ${binds.add(workerId)}`, binds.values);
    return rows.map((r) => r.id);
  }

  /** PROGRESS tasks whose lease ran out: their worker died or stalled. */
  async findStale(now: number, limit: number): Promise<StaleTask[]> {
    const binds = new Binds();
    const rows = await this.select(
      `SELECT * FROM tw_tasks WHERE status = 'PROGRESS' AND lease_expires_at < ${binds.add(now)} ` +
        `ORDER BY lease_expires_at LIMIT ${binds.add(limit)}`, binds);
    return rows.map(toRecord).map((r) => ({
      id: r.id, name: r.name, queue: r.queue, lockedBy: r.lockedBy ?? '', cancelRequested: r.cancelRequested,
      attempt: r.retryCount, maxRetries: r.maxRetries, startedAt: r.startedAt,
    }));
  }

  /**
   * Fails a stale task on behalf of its lost worker, fenced so a renewed lease is left alone, and
   * records the attempt (worker: the lost one), in one transaction.
   */
  async failStale(task: StaleTask, now: number, error: { text: string; code: string }, retryAt: number | null): Promise<boolean> {
    const binds = new Binds();
    const duration = task.startedAt === null ? null : (now - task.startedAt) / 1000;
    const sql =
      `UPDATE tw_tasks SET status = 'FAILED', error = ${binds.add(error.text)}, error_code = ${binds.add(error.code)}, ` +
      `finished_at = ${binds.add(now)}, updated_at = ${binds.add(now)}, duration = ${binds.add(duration)}, run_at = ${binds.add(retryAt)}, ` +
      `last_worker = ${binds.add(task.lockedBy)}, cancel_requested = NULL, locked_by = NULL, lease_expires_at = NULL ` +
      `WHERE ${this.fence(binds, task.lockedBy, task.id, task.attempt)} AND lease_expires_at < ${binds.add(now)}`;
    return this.runner.transaction(async (transaction) => {
      if ((await this.write(sql, binds, transaction)) !== 1) return false;
      await this.attempts.record({
        taskId: task.id, attempt: task.attempt, errorCode: error.code, error: error.text, worker: task.lockedBy,
        startedAt: task.startedAt, finishedAt: now, duration,
      }, transaction);
      return true;
    });
  }

  /**
   * Hands tasks back unrun (shutdown): PENDING again, claimable at once. A retry that is given
   * back keeps its retry_count, so the attempt it had started still counts.
   */
  async giveBack(workerId: string, ids: readonly string[], now: number): Promise<number> {
    if (ids.length === 0) return 0;
    const binds = new Binds();
    return this.write(
      `UPDATE tw_tasks SET status = 'PENDING', started_at = NULL, locked_by = NULL, lease_expires_at = NULL, ` +
        `run_at = COALESCE(run_at, ${binds.add(now)}), updated_at = ${binds.add(now)} ` +
        `WHERE status = 'PROGRESS' AND locked_by = ${binds.add(workerId)} AND id IN (${binds.list(ids)})`, binds);
  }

  /**
   * Opens the connections of the hot path ahead of time: the claim connection and two for the
   * completion writes, so that a worker's first claim does not wait for connecting.
   */
  async warmUp(): Promise<void> {
    await Promise.all([
      this.runner.rows('SELECT 1', [], { relaxedDurability: true }), this.runner.rows('SELECT 1', []), this.runner.rows('SELECT 1', []),
    ]);
  }

  /** Gives back connections the store kept aside; call before closing Sequelize. */
  async close(): Promise<void> {
    await this.runner.close?.();
  }
}
