// Operator actions on the task table, for tw-admin and for apps: list, show, retry, cancel, purge
// and stats. Bind parameters only; each state change is one UPDATE fenced on the status it expects,
// so a worker claiming the same task at the same moment either wins outright or is left untouched.
import { TaskWorkerError, ValidationError } from './errors';
import type { DatabaseTask } from './model';
import type { TaskChannel, TaskEvent } from './notifier/notifier';
import { Binds } from './binds';
import { toModel } from './rows';
import type { ListFilter } from './store';
import type { TaskWorker } from './task-worker';
import { TaskStatus } from './types';

/** An operator action refused because the task is not in a state it applies to. */
export class TaskStateError extends TaskWorkerError {
  constructor(readonly taskId: string, readonly status: TaskStatus, message: string) {
    super('TW_WRONG_STATUS', message);
  }
}

export interface PurgeOptions {
  /** Rows deleted per statement: small batches keep each lock short, so workers never wait long. Default 1000. */
  batchSize?: number;
  /** Count what would go, delete nothing. Default false. */
  dryRun?: boolean;
  /** Called after each batch (progress on long purges). */
  onBatch?: (deleted: number) => void;
}

export interface PurgeResult {
  cutoff: Date;
  completed: number;
  failed: number;
  dryRun: boolean;
}

/** Counts for one queue. FAILED counts tasks failed for good; retrying, FAILED tasks whose retry is scheduled. */
export interface QueueStats {
  PENDING: number;
  PROGRESS: number;
  COMPLETED: number;
  FAILED: number;
  retrying: number;
  /** Seconds the oldest ready PENDING task has waited to start (queue lag); null when none waits. */
  oldestReadyAgeSeconds: number | null;
}

export interface TaskStats {
  queues: Record<string, QueueStats>;
  total: QueueStats;
}

/** Literal filters (not bound): they match the partial purge indexes of migration 0002. */
const FINISHED = [
  { filter: "status = 'COMPLETED'", key: 'completed' as const },
  { filter: "status = 'FAILED' AND run_at IS NULL", key: 'failed' as const },
];

function emptyStats(): QueueStats {
  return { PENDING: 0, PROGRESS: 0, COMPLETED: 0, FAILED: 0, retrying: 0, oldestReadyAgeSeconds: null };
}

/** How long a cross-process wake-up may take to be confirmed before relying on the workers' polling. */
const DELIVERY_WAIT_MS = 1500;

export class TaskAdmin {
  constructor(private readonly tw: TaskWorker) {}

  private get runner() {
    return this.tw.store.runner;
  }

  /** Newest first. */
  async list(filter: ListFilter = {}): Promise<DatabaseTask[]> {
    if (filter.status !== undefined && !Object.values(TaskStatus).includes(filter.status)) {
      throw new ValidationError(`status must be one of ${Object.values(TaskStatus).join(', ')}; got ${String(filter.status)}`);
    }
    const limit = filter.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new ValidationError(`limit must be a whole number from 1 to 100000; got ${String(limit)}`);
    return (await this.tw.store.list({ ...filter, limit })).map(toModel);
  }

  async show(id: string): Promise<DatabaseTask> {
    const task = await this.tw.getTask(id);
    if (!task) throw new TaskWorkerError('TW_NOT_FOUND', `no task with id ${id}`);
    return task;
  }

  /** Throws the error that explains why a fenced update changed nothing. */
  private async refuse(id: string, action: string, allowed: string): Promise<never> {
    const task = await this.show(id);
    throw new TaskStateError(id, task.status, `cannot ${action} task ${id}: it is ${task.status}${task.status === 'FAILED' && !task.isFinal ? ' (retry scheduled)' : ''}; only ${allowed} tasks can be ${action === 'retry' ? 'retried' : 'cancelled'}`);
  }

  /**
   * Makes a FAILED task (failed for good, or waiting for its retry) PENDING and claimable now, with
   * its retry count back at 0, so it gets its whole retry budget again. Its last error stays until
   * the new attempt settles.
   */
  async retry(id: string): Promise<DatabaseTask> {
    const now = Date.now();
    const binds = new Binds();
    const changed = await this.runner.execute(
      `UPDATE tw_tasks SET status = 'PENDING', run_at = ${binds.add(now)}, retry_count = 0, started_at = NULL, ` +
        `finished_at = NULL, duration = NULL, locked_by = NULL, lease_expires_at = NULL, updated_at = ${binds.add(now)} ` +
        `WHERE id = ${binds.add(id)} AND status = 'FAILED'`, binds.values);
    if (changed !== 1) return this.refuse(id, 'retry', 'FAILED');
    const task = await this.show(id);
    await this.deliver('created', { id, queue: task.queue, runAt: now });
    return task;
  }

  /**
   * Stops a task that has not started: PENDING, or FAILED with a retry scheduled. It becomes FAILED
   * for good with a CancelledError, and whoever waits for it is told. A running task is not touched.
   */
  async cancel(id: string, reason?: string): Promise<DatabaseTask> {
    const now = Date.now();
    const binds = new Binds();
    const error = `CancelledError: cancelled by an operator${reason ? `: ${reason}` : ''}`;
    const changed = await this.runner.execute(
      `UPDATE tw_tasks SET status = 'FAILED', error = ${binds.add(error)}, run_at = NULL, finished_at = ${binds.add(now)}, ` +
        `updated_at = ${binds.add(now)} WHERE id = ${binds.add(id)} AND (status = 'PENDING' OR (status = 'FAILED' AND run_at IS NOT NULL))`,
      binds.values);
    if (changed !== 1) return this.refuse(id, 'cancel', 'PENDING (or FAILED with a retry scheduled)');
    const task = await this.show(id);
    await this.deliver('failed', { id, queue: task.queue });
    return task;
  }

  /**
   * Deletes finished tasks (COMPLETED, or FAILED for good) that finished more than `olderThanMs`
   * ago, in batches of short statements; tasks still waiting, running or due for a retry stay.
   */
  async purge(olderThanMs: number, options: PurgeOptions = {}): Promise<PurgeResult> {
    if (!Number.isFinite(olderThanMs) || olderThanMs < 0) throw new ValidationError(`purge: the age must be 0 or more milliseconds; got ${String(olderThanMs)}`);
    const batchSize = options.batchSize ?? 1000;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new ValidationError(`purge: batchSize must be 1 to 10000; got ${String(batchSize)}`);
    const cutoff = Date.now() - olderThanMs;
    const result: PurgeResult = { cutoff: new Date(cutoff), completed: 0, failed: 0, dryRun: options.dryRun === true };
    for (const { filter, key } of FINISHED) {
      const where = (binds: Binds) => `${filter} AND finished_at < ${binds.add(cutoff)}`;
      if (options.dryRun) {
        const binds = new Binds();
        const rows = await this.runner.rows<{ n: number | string }>(`SELECT COUNT(*) AS n FROM tw_tasks WHERE ${where(binds)}`, binds.values);
        result[key] = Number(rows[0]?.n ?? 0);
        continue;
      }
      for (;;) {
        // Select then delete by id: MariaDB cannot DELETE ... WHERE id IN (SELECT ... LIMIT n).
        const pick = new Binds();
        const ids = (await this.runner.rows<{ id: string }>(
          `SELECT id FROM tw_tasks WHERE ${where(pick)} ORDER BY finished_at LIMIT ${pick.add(batchSize)}`, pick.values)).map((r) => r.id);
        if (ids.length === 0) break;
        const binds = new Binds();
        // The same condition again: a task retried since the SELECT is not deleted.
        const deleted = await this.runner.execute(`DELETE FROM tw_tasks WHERE id IN (${binds.list(ids)}) AND ${where(binds)}`, binds.values);
        result[key] += deleted;
        options.onBatch?.(deleted);
        if (ids.length < batchSize) break;
      }
    }
    return result;
  }

  /** Counts by queue and status, and how long the oldest ready task has waited. */
  async stats(): Promise<TaskStats> {
    const now = Date.now();
    const binds = new Binds();
    const retrying = "CASE WHEN status = 'FAILED' AND run_at IS NOT NULL THEN 1 ELSE 0 END";
    const rows = await this.runner.rows<{ queue: string; status: string; retrying: number | string; n: number | string; oldest: number | string | null }>(
      `SELECT queue, status, ${retrying} AS retrying, COUNT(*) AS n, ` +
        `MIN(CASE WHEN status = 'PENDING' AND run_at <= ${binds.add(now)} THEN run_at END) AS oldest ` +
        `FROM tw_tasks GROUP BY queue, status, ${retrying}`, binds.values);
    const stats: TaskStats = { queues: {}, total: emptyStats() };
    let oldestOverall: number | null = null;
    for (const row of rows) {
      const queue = (stats.queues[row.queue] ??= emptyStats());
      const n = Number(row.n);
      const key: keyof QueueStats = Number(row.retrying) === 1 ? 'retrying' : (row.status as TaskStatus);
      if (!(key in queue)) continue; // a status this version does not know: not counted
      (queue[key] as number) += n;
      (stats.total[key] as number) += n;
      if (row.oldest !== null && row.oldest !== undefined) {
        const oldest = Number(row.oldest);
        const age = Math.max(0, (now - oldest) / 1000);
        queue.oldestReadyAgeSeconds = Math.max(queue.oldestReadyAgeSeconds ?? 0, age);
        oldestOverall = Math.min(oldestOverall ?? oldest, oldest);
      }
    }
    if (oldestOverall !== null) stats.total.oldestReadyAgeSeconds = Math.max(0, (now - oldestOverall) / 1000);
    return stats;
  }

  /**
   * Publishes a wake-up and, with Redis, repeats it until it is heard back (at most ~1.5 s): a
   * short-lived process must not exit before its message left. Without Redis, workers in other
   * processes see the change at their next poll.
   */
  private async deliver(channel: TaskChannel, event: TaskEvent): Promise<void> {
    const { notifier, config } = this.tw;
    if (config.redisUrl === null) {
      notifier.publish(channel, event);
      return;
    }
    // The in-process notifier hears every publish too (in a microtask): only more receipts than
    // publishes prove that one came back through Redis.
    let received = 0;
    let published = 0;
    const unsubscribe = await notifier.subscribe(channel, (e) => {
      if (e.id === event.id) received++;
    });
    try {
      const deadline = Date.now() + DELIVERY_WAIT_MS;
      while (received <= published && Date.now() < deadline) {
        notifier.publish(channel, event);
        published++;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      unsubscribe();
    }
  }
}
