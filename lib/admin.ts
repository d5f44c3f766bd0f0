// Operator actions on the task table, for tw-admin, the dashboard and apps: list, show, retry (one,
// or every failed task of a filter), cancel (running tasks too), purge, stats, queues (pause,
// resume) and schedules. The statements are the store's (store/admin-statements.ts and its
// neighbours); here are the checks, the refusals that say why, and the wake-ups that tell workers
// and waiters.
import { taskWithAttempts } from './attempts';
import { QUEUE_NAME_PATTERN, type ResolvedConfig } from './config';
import { toModel } from './db/rows';
import { MAX_PURGE_AGE_MS } from './duration';
import { TaskWorkerError, ValidationError } from './errors';
import { CancelledError } from './task-errors';
import type { DatabaseTask } from './model';
import type { Notifier, TaskChannel, TaskEvent } from './notifier/notifier';
import type { ScheduleInfo, Schedules } from './schedules';
import type { FinishedKind, ListFilter } from './store/admin-statements';
import type { TaskFilter } from './store/dashboard-statements';
import type { TaskStore } from './store/task-store';
import { TaskStatus } from './types';

export type { ListFilter };

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

/** Which FAILED tasks a bulk retry takes; every key narrows it. */
export interface RetryFailedFilter {
  queue?: string;
  name?: string;
  /** 'FAILED' (default): every failed task; 'FAILED_FINAL': failed for good; 'RETRYING': waiting for a retry. */
  status?: 'FAILED' | 'FAILED_FINAL' | 'RETRYING';
  /** Created at or after. */
  createdFrom?: Date;
  /** Created before. */
  createdTo?: Date;
}

export interface RetryFailedOptions {
  /** Count what would be retried, change nothing. Default false. */
  dryRun?: boolean;
  /** Tasks per UPDATE. Default 1000. */
  batchSize?: number;
}

export interface RetryFailedResult {
  /** Tasks made PENDING (with dryRun: that would be). */
  retried: number;
  dryRun: boolean;
}

const RETRY_STATUSES = new Set(['FAILED', 'FAILED_FINAL', 'RETRYING']);

export interface TaskStats {
  queues: Record<string, QueueStats>;
  total: QueueStats;
}

/** Whether a queue is paused (workers claim none of its tasks) and since when. */
export interface QueueState {
  name: string;
  paused: boolean;
  pausedAt: Date | null;
}

/** A queue with tasks or a pause on record: its state and its counts. */
export interface QueueInfo extends QueueState {
  stats: QueueStats;
}

/** Longest cancel reason kept in the task's error. */
const MAX_REASON_CHARS = 1000;
/** Rounds of cancel before giving up on a task that keeps changing state under it. */
const CANCEL_ROUNDS = 3;

const FINISHED_KINDS: readonly FinishedKind[] = ['completed', 'failed'];

function emptyStats(): QueueStats {
  return { PENDING: 0, PROGRESS: 0, COMPLETED: 0, FAILED: 0, retrying: 0, oldestReadyAgeSeconds: null };
}

/** How long a cross-process wake-up may take to be confirmed before relying on the workers' polling. */
const DELIVERY_WAIT_MS = 1500;

export class TaskAdmin {
  constructor(
    private readonly store: TaskStore,
    private readonly notifier: Notifier,
    private readonly config: ResolvedConfig,
    private readonly scheduleApi?: Schedules,
  ) {}

  private get scheduleStore(): Schedules {
    if (!this.scheduleApi) throw new TaskWorkerError('TW_BAD_CONFIG', 'this TaskAdmin has no schedules: use tw.admin of a TaskWorker');
    return this.scheduleApi;
  }

  /** Every schedule: expression, zone, next fire, last fire and its task's status, paused. */
  schedules(): Promise<ScheduleInfo[]> {
    return this.scheduleStore.list();
  }

  /** Stops a schedule from firing until resumed (it survives restarts and syncs). */
  pauseSchedule(key: string): Promise<ScheduleInfo> {
    return this.scheduleStore.pause(key);
  }

  /** Fires again from now on; fire times passed while paused are skipped. */
  resumeSchedule(key: string): Promise<ScheduleInfo> {
    return this.scheduleStore.resume(key);
  }

  /** Makes a task of the schedule now, out of turn; its fire times are unchanged. */
  runScheduleNow(key: string): Promise<DatabaseTask> {
    return this.scheduleStore.runNow(key);
  }

  /** Newest first. */
  async list(filter: ListFilter = {}): Promise<DatabaseTask[]> {
    if (filter.status !== undefined && !Object.values(TaskStatus).includes(filter.status)) {
      throw new ValidationError(`status must be one of ${Object.values(TaskStatus).join(', ')}; got ${String(filter.status)}`);
    }
    const limit = filter.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new ValidationError(`limit must be a whole number from 1 to 100000; got ${String(limit)}`);
    return (await this.store.admin.list({ ...filter, limit })).map(toModel);
  }

  /** One task, with its attempts loaded (`task.attempts`). */
  async show(id: string): Promise<DatabaseTask> {
    const record = await this.store.get(id);
    if (!record) throw new TaskWorkerError('TW_NOT_FOUND', `no task with id ${id}`);
    return taskWithAttempts(this.store, record);
  }

  private async current(id: string): Promise<DatabaseTask> {
    const record = await this.store.get(id);
    if (!record) throw new TaskWorkerError('TW_NOT_FOUND', `no task with id ${id}`);
    return toModel(record);
  }

  /** Throws the error that explains why a fenced update changed nothing. */
  private async refuse(id: string, action: string, allowed: string): Promise<never> {
    const task = await this.current(id);
    throw new TaskStateError(id, task.status, `cannot ${action} task ${id}: it is ${task.status}${task.status === 'FAILED' && !task.isFinal ? ' (retry scheduled)' : ''}; only ${allowed} tasks can be ${action === 'retry' ? 'retried' : 'cancelled'}`);
  }

  /**
   * Makes a FAILED task (failed for good, or waiting for its retry) PENDING and claimable now, with
   * its retry count back at 0, so it gets its whole retry budget again. Its last error stays until
   * the new attempt settles.
   */
  async retry(id: string): Promise<DatabaseTask> {
    const now = Date.now();
    let changed: boolean;
    try {
      changed = await this.store.admin.retry(id, now);
    } catch (error) {
      // The unique index refused: another task holding this one's uniqueKey is not final yet.
      const task = await this.current(id);
      const holder = task.uniqueKey ? (await this.store.activeByUniqueKeys([task.uniqueKey]))[0] : undefined;
      if (holder) {
        throw new TaskStateError(id, task.status, `cannot retry task ${id}: task ${holder.id} holds its uniqueKey ` +
          `${JSON.stringify(task.uniqueKey)} and is ${holder.status}; retry this one once that one is final, or cancel that one`);
      }
      throw error;
    }
    if (!changed) return this.refuse(id, 'retry', 'FAILED');
    const task = await this.current(id);
    await this.deliver('created', { id, queue: task.queue, runAt: now });
    return task;
  }

  /**
   * retry() for every FAILED task that matches the filter, in batches of short statements (oldest
   * first); tasks that stopped being FAILED meanwhile are left alone. Workers are woken once.
   */
  async retryFailed(filter: RetryFailedFilter = {}, options: RetryFailedOptions = {}): Promise<RetryFailedResult> {
    const where = this.failedFilter(filter);
    const batchSize = options.batchSize ?? 1000;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new ValidationError(`retryFailed: batchSize must be 1 to 10000; got ${String(batchSize)}`);
    if (options.dryRun) return { retried: await this.store.dashboard.count(where), dryRun: true };
    const now = Date.now();
    let retried = 0;
    let first: string | undefined;
    let after: string | undefined;
    for (;;) {
      const ids = await this.store.dashboard.failedIds(where, after, batchSize);
      if (ids.length === 0) break;
      retried += await this.store.admin.retryMany(ids, now);
      first ??= ids[0];
      after = ids[ids.length - 1];
      if (ids.length < batchSize) break;
    }
    // One wake-up with no queue wakes every idle worker.
    if (retried > 0 && first !== undefined) await this.deliver('created', { id: first, runAt: now });
    return { retried, dryRun: false };
  }

  private failedFilter(filter: RetryFailedFilter): TaskFilter {
    const status = filter.status ?? 'FAILED';
    if (!RETRY_STATUSES.has(status)) throw new ValidationError(`retryFailed: status must be FAILED, FAILED_FINAL or RETRYING; got ${String(status)}`);
    for (const key of ['queue', 'name'] as const) {
      const value = filter[key];
      if (value !== undefined && (typeof value !== 'string' || value.length === 0 || value.length > 200)) {
        throw new ValidationError(`retryFailed: ${key} must be a non-empty string; got ${JSON.stringify(value)}`);
      }
    }
    const time = (key: 'createdFrom' | 'createdTo'): number | undefined => {
      const value = filter[key];
      if (value === undefined) return undefined;
      if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new ValidationError(`retryFailed: ${key} must be a valid Date`);
      return value.getTime();
    };
    return { status, queue: filter.queue, name: filter.name, createdFrom: time('createdFrom'), createdTo: time('createdTo') };
  }

  /**
   * Cancels a task. One that has not started (PENDING, or FAILED with a retry scheduled) becomes
   * FAILED for good with a CancelledError at once, and whoever waits for it is told. A running one
   * (PROGRESS) is returned still running with `cancelRequested` set: its worker aborts its signal
   * (at once with Redis, else within a heartbeat, a third of the lease time), ends its run after a
   * short grace if the handler does not return, and writes FAILED for good with the CancelledError;
   * a result the run returns late is never written. `waitForCompletion` tells when it has ended.
   */
  async cancel(id: string, reason?: string): Promise<DatabaseTask> {
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_REASON_CHARS)) {
      throw new ValidationError(`cancel: reason must be a string of at most ${MAX_REASON_CHARS} characters`);
    }
    const error = new CancelledError(reason).storedText;
    for (let round = 0; round < CANCEL_ROUNDS; round++) {
      const now = Date.now();
      if (await this.store.admin.cancel(id, { text: error, code: 'TW_CANCELLED' }, now)) {
        const task = await this.current(id);
        await this.deliver('failed', { id, queue: task.queue });
        return task;
      }
      if (await this.store.cancels.request(id, error, now)) {
        const task = await this.current(id);
        await this.deliver('cancel', { id, queue: task.queue });
        return task;
      }
      // Neither: it may have moved between the two statements (claimed, or failed for a retry). Look again.
      if ((await this.current(id)).isFinal) break;
    }
    return this.refuse(id, 'cancel', 'PENDING, PROGRESS (or FAILED with a retry scheduled)');
  }

  /** Every queue that has tasks or was ever paused: paused or not, and its counts. */
  async queues(): Promise<QueueInfo[]> {
    const [stats, records] = await Promise.all([this.stats(), this.store.queues.list()]);
    const states = new Map(records.map((r) => [r.name, r]));
    const names = [...new Set([...Object.keys(stats.queues), ...states.keys()])].sort();
    return names.map((name) => {
      const pausedAt = states.get(name)?.pausedAt ?? null;
      return { name, paused: pausedAt !== null, pausedAt: pausedAt === null ? null : new Date(pausedAt), stats: stats.queues[name] ?? emptyStats() };
    });
  }

  private checkQueueName(action: string, name: string): void {
    if (typeof name !== 'string' || !QUEUE_NAME_PATTERN.test(name)) {
      throw new ValidationError(`${action}: "${String(name)}" is not a queue name (1-64 of A-Z a-z 0-9 _ . : -)`);
    }
  }

  private async queueState(name: string): Promise<QueueState> {
    const record = (await this.store.queues.list()).find((r) => r.name === name);
    const pausedAt = record?.pausedAt ?? null;
    return { name, paused: pausedAt !== null, pausedAt: pausedAt === null ? null : new Date(pausedAt) };
  }

  /**
   * Pauses a queue in the whole cluster, durably (it survives restarts): workers stop claiming its
   * tasks, at once with Redis, else within a poll interval. Tasks already running finish; tasks can
   * still be created in it. Pausing a paused queue changes nothing.
   */
  async pauseQueue(name: string): Promise<QueueState> {
    this.checkQueueName('pauseQueue', name);
    await this.store.queues.pause(name, Date.now());
    await this.deliver('queues', { id: name, queue: name });
    return this.queueState(name);
  }

  /** Lets workers claim a paused queue's tasks again; refuses a queue that is not paused. */
  async resumeQueue(name: string): Promise<QueueState> {
    this.checkQueueName('resumeQueue', name);
    if (!(await this.store.queues.resume(name, Date.now()))) {
      const paused = (await this.store.queues.paused()).sort();
      throw new TaskWorkerError('TW_NOT_PAUSED', `queue ${name} is not paused; paused queues: ${paused.join(', ') || 'none'}`);
    }
    await this.deliver('queues', { id: name, queue: name });
    return this.queueState(name);
  }

  /**
   * Deletes finished tasks (COMPLETED, or FAILED for good) that finished more than `olderThanMs`
   * ago, in batches of short statements; tasks still waiting, running or due for a retry stay.
   */
  async purge(olderThanMs: number, options: PurgeOptions = {}): Promise<PurgeResult> {
    if (typeof olderThanMs !== 'number' || !Number.isFinite(olderThanMs) || olderThanMs < 0 || olderThanMs > MAX_PURGE_AGE_MS) {
      throw new ValidationError(`purge: the age must be 0 to ${MAX_PURGE_AGE_MS} milliseconds (100 years); got ${String(olderThanMs)}`);
    }
    const batchSize = options.batchSize ?? 1000;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new ValidationError(`purge: batchSize must be 1 to 10000; got ${String(batchSize)}`);
    const cutoff = Date.now() - olderThanMs;
    const result: PurgeResult = { cutoff: new Date(cutoff), completed: 0, failed: 0, dryRun: options.dryRun === true };
    for (const kind of FINISHED_KINDS) {
      if (options.dryRun) {
        result[kind] = await this.store.admin.countFinished(kind, cutoff);
        continue;
      }
      for (;;) {
        const { picked, deleted } = await this.store.admin.deleteFinished(kind, cutoff, batchSize);
        if (picked === 0) break;
        result[kind] += deleted;
        options.onBatch?.(deleted);
        if (picked < batchSize) break;
      }
    }
    return result;
  }

  /** Counts by queue and status, and how long the oldest ready task has waited. */
  async stats(): Promise<TaskStats> {
    const now = Date.now();
    const rows = await this.store.admin.statsRows(now);
    const stats: TaskStats = { queues: {}, total: emptyStats() };
    let oldestOverall: number | null = null;
    for (const row of rows) {
      const queue = (stats.queues[row.queue] ??= emptyStats());
      const n = row.count;
      const key: keyof QueueStats = row.retrying ? 'retrying' : (row.status as TaskStatus);
      if (!(key in queue)) continue; // a status this version does not know: not counted
      (queue[key] as number) += n;
      (stats.total[key] as number) += n;
      if (row.oldestReadyRunAt !== null) {
        const oldest = row.oldestReadyRunAt;
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
    const { notifier, config } = this;
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
