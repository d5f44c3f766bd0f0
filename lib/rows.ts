// Converts between raw database rows (snake_case, BIGINT may arrive as string or BigInt) and
// the engine's TaskRecord, and builds DatabaseTask instances for callers.
import { DatabaseTask } from './model';
import type { JsonObject, JsonValue, TaskRecord, TaskStatus } from './types';

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
}

/** Column order used by inserts. */
export const TASK_COLUMNS = [
  'id', 'name', 'args', 'kwargs', 'timeout', 'status', 'result', 'error', 'retry_count', 'max_retries',
  'queue', 'priority', 'run_at', 'created_at', 'updated_at', 'started_at', 'finished_at', 'duration',
  'locked_by', 'lease_expires_at',
] as const;

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
  };
}

/** The values of a record in TASK_COLUMNS order (JSON fields as text). */
export function toColumnValues(record: TaskRecord): unknown[] {
  return [
    record.id, record.name, JSON.stringify(record.args), JSON.stringify(record.kwargs), record.timeout, record.status,
    record.result, record.error, record.retryCount, record.maxRetries, record.queue, record.priority, record.runAt,
    record.createdAt, record.updatedAt, record.startedAt, record.finishedAt, record.duration, record.lockedBy,
    record.leaseExpiresAt,
  ];
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
