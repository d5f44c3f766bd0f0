// DatabaseTask, the task row (sequelize-typescript). Column names are the seed's; attributes are
// camelCase. Times are stored as epoch milliseconds (BIGINT, identical on every dialect and
// cheap to compare in the claim) and read back as Date; JSON fields are stored as text.
import { Column, DataType, Model, PrimaryKey, Table } from 'sequelize-typescript';
import type { TaskAttempt } from './attempts';
import { parseProgress, type TaskProgress } from './progress';
import type { JsonObject, JsonValue, TaskStatus } from './types';

export const TASK_TABLE = 'tw_tasks';

function millisToDate(value: unknown): Date | null {
  return value === null || value === undefined ? null : new Date(Number(value));
}

function parseJsonText<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined) return fallback;
  return typeof value === 'string' ? (JSON.parse(value) as T) : (value as T);
}

@Table({ tableName: TASK_TABLE, timestamps: false, underscored: true })
export class DatabaseTask extends Model {
  @PrimaryKey
  @Column(DataType.STRING(22))
  declare id: string;

  @Column({ type: DataType.STRING(200), allowNull: false })
  declare name: string;

  @Column({
    type: DataType.TEXT,
    allowNull: false,
    get(this: DatabaseTask) { return parseJsonText<JsonValue[]>(this.getDataValue('args'), []); },
  })
  declare args: JsonValue[];

  @Column({
    type: DataType.TEXT,
    allowNull: false,
    get(this: DatabaseTask) { return parseJsonText<JsonObject>(this.getDataValue('kwargs'), {}); },
  })
  declare kwargs: JsonObject;

  /** Seconds before the running task is stopped. */
  @Column({ type: DataType.DOUBLE, allowNull: false, get(this: DatabaseTask) { return Number(this.getDataValue('timeout')); } })
  declare timeout: number;

  @Column({ type: DataType.STRING(16), allowNull: false })
  declare status: TaskStatus;

  /** The handler's return value as JSON text (JSON.parse it, or use `resultValue`). */
  @Column(DataType.TEXT)
  declare result: string | null;

  /** The error message and stack of the last failed attempt. */
  @Column(DataType.TEXT)
  declare error: string | null;

  /**
   * The stable code of `error`, to tell failures apart: TW_TASK_ERROR (the handler threw),
   * TW_PERMANENT, TW_TIMEOUT, TW_WORKER_LOST, TW_CANCELLED, TW_RESULT, TW_THREAD_CRASH, TW_WORKER_STOPPED.
   */
  @Column({ type: DataType.STRING(32), field: 'error_code' })
  declare errorCode: string | null;

  /** The latest progress the handler reported (`currentTask().progress(...)`); null when none. */
  @Column({ type: DataType.TEXT, get(this: DatabaseTask) { return parseProgress(this.getDataValue('progress')); } })
  declare progress: TaskProgress | null;

  /** Retries made so far (0 for the first attempt). */
  @Column({ type: DataType.INTEGER, allowNull: false, field: 'retry_count' })
  declare retryCount: number;

  /** Retries allowed after the first attempt; null until claimed means "the worker's --retry". */
  @Column({ type: DataType.INTEGER, field: 'max_retries' })
  declare maxRetries: number | null;

  @Column({ type: DataType.STRING(64), allowNull: false })
  declare queue: string;

  @Column({ type: DataType.INTEGER, allowNull: false })
  declare priority: number;

  /** Earliest start (also the next retry time); null once the task can never be claimed again. */
  @Column({ type: DataType.BIGINT, field: 'run_at', get(this: DatabaseTask) { return millisToDate(this.getDataValue('runAt')); } })
  declare runAt: Date | null;

  @Column({ type: DataType.BIGINT, allowNull: false, field: 'created_at', get(this: DatabaseTask) { return millisToDate(this.getDataValue('createdAt')); } })
  declare createdAt: Date;

  @Column({ type: DataType.BIGINT, allowNull: false, field: 'updated_at', get(this: DatabaseTask) { return millisToDate(this.getDataValue('updatedAt')); } })
  declare updatedAt: Date;

  @Column({ type: DataType.BIGINT, field: 'started_at', get(this: DatabaseTask) { return millisToDate(this.getDataValue('startedAt')); } })
  declare startedAt: Date | null;

  @Column({ type: DataType.BIGINT, field: 'finished_at', get(this: DatabaseTask) { return millisToDate(this.getDataValue('finishedAt')); } })
  declare finishedAt: Date | null;

  /** Seconds spent running the last attempt. */
  @Column({ type: DataType.DOUBLE, get(this: DatabaseTask) { const v = this.getDataValue('duration'); return v === null || v === undefined ? null : Number(v); } })
  declare duration: number | null;

  /** The worker holding the task while it is PROGRESS. */
  @Column({ type: DataType.STRING(100), field: 'locked_by' })
  declare lockedBy: string | null;

  @Column({ type: DataType.BIGINT, field: 'lease_expires_at', get(this: DatabaseTask) { return millisToDate(this.getDataValue('leaseExpiresAt')); } })
  declare leaseExpiresAt: Date | null;

  /** At most one task that is not final has a given unique key (createTask's `uniqueKey`). */
  @Column({ type: DataType.STRING(255), field: 'unique_key' })
  declare uniqueKey: string | null;

  /** The schedule that made this task (tw.schedules, @Schedule, the `schedules` configuration). */
  @Column({ type: DataType.STRING(200), field: 'schedule_key' })
  declare scheduleKey: string | null;

  /** The fire time this task was made for; with scheduleKey, unique. */
  @Column({ type: DataType.BIGINT, field: 'scheduled_for', get(this: DatabaseTask) { return millisToDate(this.getDataValue('scheduledFor')); } })
  declare scheduledFor: Date | null;

  /** The worker that ran the last finished attempt. */
  @Column({ type: DataType.STRING(100), field: 'last_worker' })
  declare lastWorker: string | null;

  /**
   * Set while an operator's cancel of the running attempt is on its way to its worker: the
   * CancelledError text the task ends with. Null otherwise.
   */
  @Column({ type: DataType.TEXT, field: 'cancel_requested' })
  declare cancelRequested: string | null;

  /** The trace context (W3C traceparent, as JSON) of the span that created the task, if one was recording. */
  @Column({ type: DataType.STRING(1024), field: 'trace_context' })
  declare traceContext: string | null;

  /**
   * Every attempt, oldest first: the failed ones kept (the last 20), then the one that succeeded or
   * runs now. Not a column: loaded only on request (`getTask(id, { attempts: true })`, `tw.admin.show`),
   * undefined otherwise.
   */
  attempts: TaskAttempt[] | undefined = undefined;

  /**
   * True when createTask / createTasks found a task with the same `uniqueKey` that was not final
   * and returned it instead of creating a new one. Not a column: false on tasks read back later.
   */
  deduplicated = false;

  /** The result parsed from its JSON text (undefined while there is none). */
  get resultValue(): JsonValue | undefined {
    const text = this.result;
    return text === null || text === undefined ? undefined : (JSON.parse(text) as JsonValue);
  }

  /** True once the task is COMPLETED, or FAILED with no retry left. */
  get isFinal(): boolean {
    return this.status === 'COMPLETED' || (this.status === 'FAILED' && this.runAt === null);
  }

  override toString(): string {
    return `Task ${this.id}: ${this.name} (${this.status})`;
  }
}
