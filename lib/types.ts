// Plain types shared by every layer: statuses, the task record as the engine sees it,
// and the options a caller passes when creating a task.
import type { Transaction } from 'sequelize';

/** The four statuses of the seed, stored as these exact strings. */
export const TaskStatus = {
  PENDING: 'PENDING',
  PROGRESS: 'PROGRESS',
  COMPLETED: 'COMPLETED',
  FAILED: 'FAILED',
} as const;
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * A task row as the engine reads it: plain values, no ORM instance (the hot path builds none).
 * Times are epoch milliseconds; `runAt` null means the task is never claimable again.
 */
export interface TaskRecord {
  id: string;
  name: string;
  args: JsonValue[];
  kwargs: JsonObject;
  timeout: number;
  status: TaskStatus;
  result: string | null;
  error: string | null;
  retryCount: number;
  maxRetries: number | null;
  queue: string;
  priority: number;
  runAt: number | null;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  duration: number | null;
  lockedBy: string | null;
  leaseExpiresAt: number | null;
  /** At most one task that is not final has a given unique key. */
  uniqueKey: string | null;
  /** The schedule that made the task, and the fire time it was made for (unique together). */
  scheduleKey: string | null;
  scheduledFor: number | null;
  /** The latest progress reported by the handler, as JSON text ({ percent, info, at }; see lib/progress.ts). */
  progress: string | null;
  /** The stable code of the last error (TW_TIMEOUT, TW_TASK_ERROR...); null while there is none. */
  errorCode: string | null;
  /** The worker that ran the last finished attempt. */
  lastWorker: string | null;
  /** Set while a cancel of the running attempt is on its way to its worker: the error it ends with. */
  cancelRequested: string | null;
  /** The trace context (W3C, as JSON) of the span that created the task, when one was recording. */
  traceContext: string | null;
}

/** Options of createTask; every key is optional. */
export interface CreateTaskOptions {
  /** Positional arguments, a JSON array. Default []. */
  args?: unknown[];
  /** Keyword arguments, a JSON object passed as the handler's last argument when not empty. Default {}. */
  kwargs?: Record<string, unknown>;
  /** Seconds before the task is stopped and marked FAILED. Default: the handler's default, else 300. */
  timeout?: number;
  /** Queue name; workers started with --queue only take their queues. Default 'default'. */
  queue?: string;
  /** Lower runs first (like graphile-worker). Integer, default 0. */
  priority?: number;
  /** Earliest start. Exclusive with `delay`. */
  runAt?: Date;
  /** Seconds from now before the task may start. Exclusive with `runAt`. */
  delay?: number;
  /** Retries after the first attempt; default: the handler's default, else the worker's --retry. */
  maxRetries?: number;
  /**
   * At most one task with this key is waiting, running or due for a retry: while one is, creating
   * another returns it (with `deduplicated` true) instead. Once it is final, a new one is made.
   */
  uniqueKey?: string;
  /** Write the row inside the caller's Sequelize transaction; the wake-up is published after commit. */
  transaction?: Transaction;
}

/** A task to insert with createTasks. */
export interface TaskSpec extends Omit<CreateTaskOptions, 'transaction'> {
  name: string;
}

/** Per-task defaults a handler can declare at registration. */
export interface TaskDefaults {
  timeout?: number;
  maxRetries?: number;
  queue?: string;
  priority?: number;
}

/** What a pool needs to run a task: the claimed row's relevant fields. */
export interface TaskCall {
  id: string;
  name: string;
  queue: string;
  args: JsonValue[];
  kwargs: JsonObject;
  /** Seconds. */
  timeout: number;
  attempt: number;
  /** The fire time a schedule made the task for (epoch ms); null for tasks created otherwise. */
  scheduledFor: number | null;
}

/**
 * The outcome of running one task; the executor returns it and never writes the database. A failure
 * may carry its stored error `code` (default: by kind, see errorCodeOf in lib/attempts.ts) and be
 * `final`: no retry whatever the retry budget (a PermanentError, a cancel).
 */
export type TaskOutcome =
  | { ok: true; result: string }
  | { ok: false; error: string; kind: 'error' | 'timeout' | 'crash'; code?: string; final?: boolean };
