// The operator's statements on the task table (for TaskAdmin and tw-admin): list, retry (one or a
// batch), cancel, purge and the counts of stats. Each state change is one UPDATE fenced on the
// status it expects, so a worker claiming the same task at the same moment either wins outright or
// is left untouched.
import { Binds } from '../db/binds';
import { toRecord, type RawTaskRow } from '../db/rows';
import { CLAIM_ORDER } from '../db/shared-sql';
import type { SqlRunner } from '../db/runner';
import type { TaskRecord, TaskStatus } from '../types';
import type { AttemptStatements } from './attempt-statements';

export interface ListFilter {
  status?: TaskStatus;
  queue?: string;
  name?: string;
  limit?: number;
}

/** Finished tasks that purge deletes: COMPLETED, or FAILED for good. */
export type FinishedKind = 'completed' | 'failed';

/** Literal filters (not bound): they match the partial purge indexes of migration 0002. */
const FINISHED_FILTER: Record<FinishedKind, string> = {
  completed: "status = 'COMPLETED'",
  failed: "status = 'FAILED' AND run_at IS NULL",
};

/** One row of stats: a queue, a status, whether these FAILED tasks await a retry, how many, and the oldest ready run_at. */
export interface StatsRow {
  queue: string;
  status: string;
  retrying: boolean;
  count: number;
  oldestReadyRunAt: number | null;
}

export class AdminStatements {
  constructor(private readonly runner: SqlRunner, private readonly attempts: AttemptStatements) {}

  /** Newest first: ids are time-ordered, so the primary key gives the order without a sort. */
  async list(filter: ListFilter = {}): Promise<TaskRecord[]> {
    const binds = new Binds();
    const where: string[] = [];
    if (filter.status) where.push(`status = ${binds.add(filter.status)}`);
    if (filter.queue) where.push(`queue = ${binds.add(filter.queue)}`);
    if (filter.name) where.push(`name = ${binds.add(filter.name)}`);
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')} ` : '';
    const rows = await this.runner.rows<RawTaskRow>(
      `SELECT * FROM tw_tasks ${clause}ORDER BY id DESC LIMIT ${binds.add(filter.limit ?? 50)}`, binds.values);
    return rows.map(toRecord);
  }

  /**
   * A FAILED task (for good, or waiting for its retry) back to PENDING, claimable at `now`, with
   * its retry count at 0. Its last error stays until the new attempt settles. True when changed.
   */
  async retry(id: string, now: number): Promise<boolean> {
    return (await this.retryMany([id], now)) === 1;
  }

  /** retry() for each of `ids` that is still FAILED, in one statement; returns how many changed. */
  async retryMany(ids: readonly string[], now: number): Promise<number> {
    if (ids.length === 0) return 0;
    const binds = new Binds();
    return this.runner.execute(
      `UPDATE tw_tasks SET status = 'PENDING', run_at = ${binds.add(now)}, retry_count = 0, started_at = NULL, ` +
        `finished_at = NULL, duration = NULL, locked_by = NULL, lease_expires_at = NULL, cancel_requested = NULL, updated_at = ${binds.add(now)} ` +
        `WHERE id IN (${binds.list(ids)}) AND status = 'FAILED'`, binds.values);
  }

  /** A task that has not started (PENDING, or FAILED with a retry scheduled) to FAILED for good. True when changed. */
  async cancel(id: string, error: { text: string; code: string }, now: number): Promise<boolean> {
    const binds = new Binds();
    const changed = await this.runner.execute(
      `UPDATE tw_tasks SET status = 'FAILED', error = ${binds.add(error.text)}, error_code = ${binds.add(error.code)}, run_at = NULL, ` +
        `cancel_requested = NULL, finished_at = ${binds.add(now)}, ` +
        `updated_at = ${binds.add(now)} WHERE id = ${binds.add(id)} AND (status = 'PENDING' OR (status = 'FAILED' AND run_at IS NOT NULL))`,
      binds.values);
    return changed === 1;
  }

  private finishedBefore(kind: FinishedKind, cutoff: number, binds: Binds): string {
    return `${FINISHED_FILTER[kind]} AND finished_at < ${binds.add(cutoff)}`;
  }

  /** How many finished tasks of `kind` finished before `cutoff`. */
  async countFinished(kind: FinishedKind, cutoff: number): Promise<number> {
    const binds = new Binds();
    const rows = await this.runner.rows<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM tw_tasks WHERE ${this.finishedBefore(kind, cutoff, binds)}`, binds.values);
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Deletes up to `limit` finished tasks of `kind` that finished before `cutoff`, oldest first;
   * returns how many it picked (fewer than `limit`: none are left) and how many went.
   */
  async deleteFinished(kind: FinishedKind, cutoff: number, limit: number): Promise<{ picked: number; deleted: number }> {
    // Select then delete by id: MariaDB cannot DELETE ... WHERE id IN (SELECT ... LIMIT n).
    const pick = new Binds();
    const ids = (await this.runner.rows<{ id: string }>(
      `SELECT id FROM tw_tasks WHERE ${this.finishedBefore(kind, cutoff, pick)} ORDER BY finished_at LIMIT ${pick.add(limit)}`,
      pick.values)).map((r) => r.id);
    if (ids.length === 0) return { picked: 0, deleted: 0 };
    const binds = new Binds();
    // The same condition again: a task retried since the SELECT is not deleted. Its attempts go with it.
    const deleted = await this.runner.transaction(async (transaction) => {
      const count = await this.runner.execute(
        `DELETE FROM tw_tasks WHERE id IN (${binds.list(ids)}) AND ${this.finishedBefore(kind, cutoff, binds)}`, binds.values, { transaction });
      await this.attempts.deleteOrphans(ids, transaction);
      return count;
    });
    return { picked: ids.length, deleted };
  }

  /**
   * Ready PENDING tasks (run_at passed) by queue, and the oldest run_at among them: from at most
   * `cap` of them, taken in claim order along the claim index, so the cost is bounded whatever the
   * backlog (past `cap`, counts are lower bounds).
   */
  async readyByQueue(now: number, cap: number): Promise<Array<{ queue: string; count: number; oldestRunAt: number | null }>> {
    const binds = new Binds();
    const rows = await this.runner.rows<{ queue: string; n: number | string; oldest: number | string | null }>(
      'SELECT queue, COUNT(*) AS n, MIN(run_at) AS oldest FROM ' +
        `(SELECT queue, run_at FROM tw_tasks WHERE status = 'PENDING' AND run_at <= ${binds.add(now)} ${CLAIM_ORDER} LIMIT ${binds.add(cap)}) r ` +
        'GROUP BY queue', binds.values);
    return rows.map((r) => ({ queue: r.queue, count: Number(r.n), oldestRunAt: r.oldest === null || r.oldest === undefined ? null : Number(r.oldest) }));
  }

  /** Counts by queue, status and retrying, with the oldest run_at of the PENDING tasks ready at `now`. */
  async statsRows(now: number): Promise<StatsRow[]> {
    const binds = new Binds();
    const retrying = "CASE WHEN status = 'FAILED' AND run_at IS NOT NULL THEN 1 ELSE 0 END";
    const rows = await this.runner.rows<{ queue: string; status: string; retrying: number | string; n: number | string; oldest: number | string | null }>(
      `SELECT queue, status, ${retrying} AS retrying, COUNT(*) AS n, ` +
        `MIN(CASE WHEN status = 'PENDING' AND run_at <= ${binds.add(now)} THEN run_at END) AS oldest ` +
        `FROM tw_tasks GROUP BY queue, status, ${retrying}`, binds.values);
    return rows.map((r) => ({
      queue: r.queue, status: r.status, retrying: Number(r.retrying) === 1, count: Number(r.n),
      oldestReadyRunAt: r.oldest === null || r.oldest === undefined ? null : Number(r.oldest),
    }));
  }
}
