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
import type { SqlRunner } from '../db/runner';
import type { TaskRecord } from '../types';
import { AdminStatements } from './admin-statements';
import { DashboardStatements } from './dashboard-statements';
import { LockStatements } from './lock-statements';
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
  /** When the handler really started. */
  startedAt: number;
  finishedAt: number;
  duration: number;
  /** When the retry may start; null when no retry is left (FAILED for good). */
  retryAt: number | null;
}

export interface StaleTask {
  id: string;
  lockedBy: string;
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

  constructor(readonly sequelize: Sequelize) {
    this.dialect = dialectFor(sequelize);
    this.runner = this.dialect.createRunner(sequelize);
    this.admin = new AdminStatements(this.runner);
    this.locks = new LockStatements(this.runner);
    this.schedules = new ScheduleStatements(this.runner, this.dialect);
    this.workers = new WorkerRegistryStatements(this.runner);
    this.dashboard = new DashboardStatements(this.runner);
    this.taskTypes = new TaskTypeStatements(this.runner);
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

  /** Marks a task FAILED, retryable at `retryAt` or for good; false when this worker no longer owned it. */
  async fail(workerId: string, f: Failure): Promise<boolean> {
    const binds = new Binds();
    const sql =
      `UPDATE tw_tasks SET status = 'FAILED', error = ${binds.add(f.error)}, started_at = ${binds.add(f.startedAt)}, ` +
      `finished_at = ${binds.add(f.finishedAt)}, ` +
      `updated_at = ${binds.add(f.finishedAt)}, duration = ${binds.add(f.duration)}, run_at = ${binds.add(f.retryAt)}, ` +
      `locked_by = NULL, lease_expires_at = NULL WHERE ${this.fence(binds, workerId, f.id, f.attempt)}`;
    return (await this.write(sql, binds, undefined, true)) === 1;
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
      id: r.id, lockedBy: r.lockedBy ?? '', attempt: r.retryCount, maxRetries: r.maxRetries, startedAt: r.startedAt,
    }));
  }

  /** Fails a stale task on behalf of its lost worker, fenced so a renewed lease is left alone. */
  async failStale(task: StaleTask, now: number, error: string, retryAt: number | null): Promise<boolean> {
    const binds = new Binds();
    const duration = task.startedAt === null ? null : (now - task.startedAt) / 1000;
    const sql =
      `UPDATE tw_tasks SET status = 'FAILED', error = ${binds.add(error)}, finished_at = ${binds.add(now)}, ` +
      `updated_at = ${binds.add(now)}, duration = ${binds.add(duration)}, run_at = ${binds.add(retryAt)}, ` +
      `locked_by = NULL, lease_expires_at = NULL WHERE ${this.fence(binds, task.lockedBy, task.id, task.attempt)} ` +
      `AND lease_expires_at < ${binds.add(now)}`;
    return (await this.write(sql, binds)) === 1;
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
