// Converts between raw database rows (snake_case, BIGINT may arrive as string or BigInt) and
// the engine's TaskRecord, and builds DatabaseTask instances for callers.
import { DatabaseTask } from '../model';
import type { JsonObject, JsonValue, TaskRecord, TaskStatus } from '../types';

export interface RawTaskRow {
  id: string;
  name: string;
  args: string;
  kwargs: string;
  timeout: number | string;
  status: string;
  result: string | null;
  error: string | null;
  retry_count: number | string;
  max_retries: number | string | null;
  queue: string;
  priority: number | string;
  run_at: number | string | bigint | null;
  created_at: number | string | bigint;
  updated_at: number | string | bigint;
  started_at: number | string | bigint | null;
  finished_at: number | string | bigint | null;
  duration: number | string | null;
  locked_by: string | null;
  lease_expires_at: number | string | bigint | null;
  unique_key?: string | null;
  schedule_key?: string | null;
  scheduled_for?: number | string | bigint | null;
  progress?: string | null;
  error_code?: string | null;
  last_worker?: string | null;
  cancel_requested?: string | null;
  trace_context?: string | null;
}

/**
 * The columns an insert writes: those a new task sets. The others start empty (NULL) or at their
 * default (retry_count 0) until the task is claimed, so a bulk insert sends 13 values per row, not 28.
 */
export const NEW_TASK_COLUMNS = [
  'id', 'name', 'args', 'kwargs', 'timeout', 'status', 'max_retries', 'queue', 'priority', 'run_at', 'created_at', 'updated_at',
  'trace_context',
] as const;

/** The columns of a new task with a unique key or a schedule: these three as well (see insertKeyed). */
export const KEYED_TASK_COLUMNS = [...NEW_TASK_COLUMNS, 'unique_key', 'schedule_key', 'scheduled_for'] as const;

function num(value: number | string | bigint): number {
  return typeof value === 'number' ? value : Number(value);
}

function numOrNull(value: number | string | bigint | null | undefined): number | null {
  return value === null || value === undefined ? null : num(value);
}

function json<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

export function toRecord(row: RawTaskRow): TaskRecord {
  return {
    id: row.id,
    name: row.name,
    args: json<JsonValue[]>(row.args),
    kwargs: json<JsonObject>(row.kwargs),
    timeout: num(row.timeout),
    status: row.status as TaskStatus,
    result: row.result,
    error: row.error,
    retryCount: num(row.retry_count),
    maxRetries: numOrNull(row.max_retries),
    queue: row.queue,
    priority: num(row.priority),
    runAt: numOrNull(row.run_at),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
    startedAt: numOrNull(row.started_at),
    finishedAt: numOrNull(row.finished_at),
    duration: numOrNull(row.duration),
    lockedBy: row.locked_by,
    leaseExpiresAt: numOrNull(row.lease_expires_at),
    uniqueKey: row.unique_key ?? null,
    scheduleKey: row.schedule_key ?? null,
    scheduledFor: numOrNull(row.scheduled_for),
    progress: row.progress ?? null,
    errorCode: row.error_code ?? null,
    lastWorker: row.last_worker ?? null,
    cancelRequested: row.cancel_requested ?? null,
    traceContext: row.trace_context ?? null,
  };
}

/**
 * The values of a new task in NEW_TASK_COLUMNS order (JSON fields as text). Only a task that was
 * never claimed may be inserted: its other columns must be empty, and would not be written.
 */
export function newTaskValues(record: TaskRecord): unknown[] {
  if (record.status !== 'PENDING' || record.retryCount !== 0 || record.startedAt !== null || record.lockedBy !== null) {
    throw new Error(`internal: only a new PENDING task can be inserted (task ${record.id} is ${record.status})`);
  }
  return [
    record.id, record.name, JSON.stringify(record.args), JSON.stringify(record.kwargs), record.timeout, record.status,
    record.maxRetries, record.queue, record.priority, record.runAt, record.createdAt, record.updatedAt, record.traceContext,
  ];
}

/** The values of a new task in KEYED_TASK_COLUMNS order. */
export function keyedTaskValues(record: TaskRecord): unknown[] {
  return [...newTaskValues(record), record.uniqueKey, record.scheduleKey, record.scheduledFor];
}

/** A DatabaseTask instance (not a new record) for a caller, from a record. */
export function toModel(record: TaskRecord): DatabaseTask {
  const values: Record<string, unknown> = {
    ...record,
    args: JSON.stringify(record.args),
    kwargs: JSON.stringify(record.kwargs),
  };
  return DatabaseTask.build(values, { isNewRecord: false, raw: true });
}
