// The dashboard's reads of the task table: a page of tasks (filters, keyset on the time-ordered id,
// newest first), the counts of each queue (the busy states, cheap through their partial indexes;
// the finished history, a scan the caller caches), the finishes of the last hour per minute, the
// tasks held by workers, and the ids a bulk retry walks. Statuses are literals, as everywhere.
import { Binds } from '../db/binds';
import type { SqlRunner } from '../db/runner';
import { idAt } from '../ids';

/** The list's status filter: the four statuses, and FAILED split into for good and retry scheduled. */
export const STATUS_FILTERS = ['PENDING', 'PROGRESS', 'COMPLETED', 'FAILED', 'FAILED_FINAL', 'RETRYING'] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];

/**
 * Literal conditions, never bound, so partial indexes match. FAILED is written as its two halves
 * so that PostgreSQL can join the partial indexes of each (migrations 0002 and 0005).
 */
const STATUS_SQL: Record<StatusFilter, string> = {
  PENDING: "status = 'PENDING'",
  PROGRESS: "status = 'PROGRESS'",
  COMPLETED: "status = 'COMPLETED'",
  FAILED: "((status = 'FAILED' AND run_at IS NULL) OR (status = 'FAILED' AND run_at IS NOT NULL))",
  FAILED_FINAL: "status = 'FAILED' AND run_at IS NULL",
  RETRYING: "status = 'FAILED' AND run_at IS NOT NULL",
};

export interface TaskFilter {
  status?: StatusFilter;
  queue?: string;
  name?: string;
  /** Created at or after, epoch ms (as an id bound: the primary key serves it). */
  createdFrom?: number;
  /** Created before, epoch ms. */
  createdTo?: number;
}

export interface PageRequest {
  /** Older than this id (the next page). */
  before?: string;
  /** Newer than this id (the previous page). */
  after?: string;
  limit: number;
}

/** A task as a list shows it: no arguments, result or full error, only their first characters. */
export interface TaskSummaryRow {
  id: string;
  name: string;
  status: string;
  queue: string;
  priority: number;
  retryCount: number;
  maxRetries: number | null;
  runAt: number | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  duration: number | null;
  lockedBy: string | null;
  errorHead: string | null;
  argsHead: string;
}

/** Count of one queue in one state; `oldestReady` and `later` only for PENDING. */
export interface CountRow {
  queue: string;
  kind: 'PENDING' | 'PROGRESS' | 'RETRYING' | 'COMPLETED' | 'FAILED';
  count: number;
  oldestReady: number | null;
  later: number;
}

/** Tasks of a queue that finished in one minute (its start, epoch ms), COMPLETED or FAILED. */
export interface MinuteRow {
  queue: string;
  kind: 'COMPLETED' | 'FAILED';
  minute: number;
  count: number;
}

export interface HeldTaskRow {
  id: string;
  name: string;
  queue: string;
  lockedBy: string;
  startedAt: number | null;
}

/**
 * A LIMIT written as a literal, after checking it is a small whole number (never input text). Bound,
 * it would leave PostgreSQL's generic plans (postgres.ts) guessing a tenth of the table: at a million
 * rows the page's join then became a hash join over every row (460 ms instead of 0.2 ms).
 */
function limit(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new Error(`internal: a LIMIT must be 1 to 10000; got ${String(n)}`);
  return String(n);
}

type Num = number | string | bigint;
const num = (v: Num): number => Number(v);
const numOrNull = (v: Num | null | undefined): number | null => (v === null || v === undefined ? null : Number(v));

const SUMMARY_COLUMNS = 't.id, t.name, t.status, t.queue, t.priority, t.retry_count, t.max_retries, t.run_at, t.created_at, ' +
  't.started_at, t.finished_at, t.duration, t.locked_by, SUBSTR(t.error, 1, 400) AS error_head, SUBSTR(t.args, 1, 200) AS args_head';

export class DashboardStatements {
  constructor(private readonly runner: SqlRunner) {}

  /** The creation-time range becomes an id range: ids start with their creation millisecond. */
  private where(filter: TaskFilter, binds: Binds): string[] {
    const where: string[] = [];
    if (filter.status) where.push(STATUS_SQL[filter.status]);
    if (filter.queue !== undefined) where.push(`queue = ${binds.add(filter.queue)}`);
    if (filter.name !== undefined) where.push(`name = ${binds.add(filter.name)}`);
    if (filter.createdFrom !== undefined) where.push(`id >= ${binds.add(idAt(filter.createdFrom))}`);
    if (filter.createdTo !== undefined) where.push(`id < ${binds.add(idAt(filter.createdTo))}`);
    return where;
  }

  /**
   * The ids of up to `n` matching tasks beyond the cursor, in id order. FAILED (any) is the merge of
   * its two halves, each read in order from its own index (0005's for failed for good, 0002's for
   * retrying), so that a queue or name filter on it stays an index scan: PostgreSQL's generic plans
   * cannot see that a bound queue is rare, and otherwise walk the whole primary key.
   */
  private idsQuery(filter: TaskFilter, cursor: { before?: string; after?: string }, order: 'ASC' | 'DESC', n: number, binds: Binds): string {
    const part = (status: StatusFilter | undefined) => {
      const where = this.where({ ...filter, status }, binds);
      if (cursor.before !== undefined) where.push(`id < ${binds.add(cursor.before)}`);
      if (cursor.after !== undefined) where.push(`id > ${binds.add(cursor.after)}`);
      return `SELECT id FROM tw_tasks ${where.length > 0 ? `WHERE ${where.join(' AND ')} ` : ''}ORDER BY id ${order} LIMIT ${limit(n)}`;
    };
    if (filter.status !== 'FAILED') return part(filter.status);
    return `SELECT id FROM (SELECT id FROM (${part('FAILED_FINAL')}) AS f UNION ALL SELECT id FROM (${part('RETRYING')}) AS r) AS u ` +
      `ORDER BY id ${order} LIMIT ${limit(n)}`;
  }

  /**
   * A page of tasks, newest first. The ids are picked first (an ordered scan of the primary key or
   * of a partial index, often without reading a row) and only the page's rows are then read.
   */
  async page(filter: TaskFilter, page: PageRequest): Promise<TaskSummaryRow[]> {
    const binds = new Binds();
    const ids = this.idsQuery(filter, page, page.after !== undefined ? 'ASC' : 'DESC', page.limit, binds);
    const rows = await this.runner.rows<Record<string, unknown>>(
      `SELECT ${SUMMARY_COLUMNS} FROM (${ids}) AS p JOIN tw_tasks t ON t.id = p.id ORDER BY t.id DESC`, binds.values);
    return rows.map((r) => ({
      id: r.id as string, name: r.name as string, status: r.status as string, queue: r.queue as string, priority: num(r.priority as Num),
      retryCount: num(r.retry_count as Num), maxRetries: numOrNull(r.max_retries as Num | null), runAt: numOrNull(r.run_at as Num | null),
      createdAt: num(r.created_at as Num), startedAt: numOrNull(r.started_at as Num | null), finishedAt: numOrNull(r.finished_at as Num | null),
      duration: numOrNull(r.duration as Num | null), lockedBy: (r.locked_by as string | null) ?? null,
      errorHead: (r.error_head as string | null) ?? null, argsHead: (r.args_head as string | null) ?? '',
    }));
  }

  /** Ids of FAILED tasks (any, for good, or retrying) matching the filter, after `afterId`, oldest first: a bulk retry's batch. */
  async failedIds(filter: TaskFilter, afterId: string | undefined, batch: number): Promise<string[]> {
    const binds = new Binds();
    const sql = this.idsQuery({ ...filter, status: filter.status ?? 'FAILED' }, { after: afterId }, 'ASC', batch, binds);
    return (await this.runner.rows<{ id: string }>(sql, binds.values)).map((r) => r.id);
  }

  /** How many tasks match (a bulk action's confirmation). */
  async count(filter: TaskFilter): Promise<number> {
    const binds = new Binds();
    const where = this.where(filter, binds);
    const rows = await this.runner.rows<{ n: Num }>(
      `SELECT COUNT(*) AS n FROM tw_tasks${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}`, binds.values);
    return num(rows[0]?.n ?? 0);
  }

  /**
   * Counts of the busy states per queue: PENDING (with the oldest run_at ready at `now`, and how
   * many wait for a later run_at), PROGRESS, FAILED with a retry scheduled. Each part is read from
   * its partial index (PostgreSQL, SQLite), so the cost follows the backlog, not the history.
   */
  async activeCounts(now: number): Promise<CountRow[]> {
    const binds = new Binds();
    const at = binds.add(now);
    const rows = await this.runner.rows<{ queue: string; kind: CountRow['kind']; n: Num; oldest: Num | null; later: Num | null }>(
      `SELECT queue, 'PENDING' AS kind, COUNT(*) AS n, MIN(CASE WHEN run_at <= ${at} THEN run_at END) AS oldest, ` +
        `SUM(CASE WHEN run_at > ${at} THEN 1 ELSE 0 END) AS later FROM tw_tasks WHERE status = 'PENDING' GROUP BY queue ` +
        "UNION ALL SELECT queue, 'PROGRESS', COUNT(*), NULL, 0 FROM tw_tasks WHERE status = 'PROGRESS' GROUP BY queue " +
        "UNION ALL SELECT queue, 'RETRYING', COUNT(*), NULL, 0 FROM tw_tasks WHERE status = 'FAILED' AND run_at IS NOT NULL GROUP BY queue",
      binds.values);
    return rows.map((r) => ({ queue: r.queue, kind: r.kind, count: num(r.n), oldestReady: numOrNull(r.oldest), later: num(r.later ?? 0) }));
  }

  /** Counts of the finished history per queue: COMPLETED, and FAILED for good. A scan of every finished row. */
  async finishedCounts(): Promise<CountRow[]> {
    const rows = await this.runner.rows<{ queue: string; kind: CountRow['kind']; n: Num }>(
      "SELECT queue, 'COMPLETED' AS kind, COUNT(*) AS n FROM tw_tasks WHERE status = 'COMPLETED' GROUP BY queue " +
        "UNION ALL SELECT queue, 'FAILED', COUNT(*) FROM tw_tasks WHERE status = 'FAILED' AND run_at IS NULL GROUP BY queue", []);
    return rows.map((r) => ({ queue: r.queue, kind: r.kind, count: num(r.n), oldestReady: null, later: 0 }));
  }

  /**
   * Tasks finished since `since`, per queue, outcome and minute. A task counts once, by its last
   * outcome: a failure later retried and completed counts as completed.
   */
  async finishedPerMinute(since: number): Promise<MinuteRow[]> {
    const binds = new Binds();
    const from = binds.add(since);
    const minute = 'finished_at - (finished_at % 60000)';
    const part = (kind: string, status: string) =>
      `SELECT queue, '${kind}' AS kind, ${minute} AS minute, COUNT(*) AS n FROM tw_tasks WHERE ${status} AND finished_at >= ${from} ` +
      `GROUP BY queue, ${minute}`;
    const rows = await this.runner.rows<{ queue: string; kind: MinuteRow['kind']; minute: Num; n: Num }>(
      [part('COMPLETED', STATUS_SQL.COMPLETED), part('FAILED', STATUS_SQL.FAILED_FINAL), part('FAILED', STATUS_SQL.RETRYING)].join(' UNION ALL '),
      binds.values);
    return rows.map((r) => ({ queue: r.queue, kind: r.kind, minute: num(r.minute), count: num(r.n) }));
  }

  /** Tasks in PROGRESS (held by a worker: running, or prefetched), longest-running first. */
  async heldTasks(most: number): Promise<HeldTaskRow[]> {
    const rows = await this.runner.rows<{ id: string; name: string; queue: string; locked_by: string | null; started_at: Num | null }>(
      `SELECT id, name, queue, locked_by, started_at FROM tw_tasks WHERE status = 'PROGRESS' ORDER BY started_at LIMIT ${limit(most)}`, []);
    return rows.map((r) => ({ id: r.id, name: r.name, queue: r.queue, lockedBy: r.locked_by ?? '', startedAt: numOrNull(r.started_at) }));
  }
}
