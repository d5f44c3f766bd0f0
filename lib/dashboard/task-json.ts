// Task rows as the dashboard's JSON: the state a person sees (FAILED for good, or RETRYING), the
// first line of an error for lists, and JSON fields as text, pretty-printed, cut when very large.
import type { TaskAttempt } from '../attempts';
import { parseProgress } from '../progress';
import type { TaskSummaryRow } from '../store/dashboard-statements';
import type { TaskRecord } from '../types';
import type { AttemptJson, JsonText, TaskDetailJson, TaskState, TaskSummaryJson } from './client/api-types';

/** Longest JSON text or error sent to the page (characters); the rest stays in the database. */
export const MAX_TEXT = 256 * 1024;

export function stateOf(status: string, runAt: number | null): TaskState {
  if (status === 'FAILED' && runAt !== null) return 'RETRYING';
  return status as TaskState;
}

function cut(text: string): JsonText {
  return text.length > MAX_TEXT ? { text: text.slice(0, MAX_TEXT), truncated: true } : { text, truncated: false };
}

function pretty(value: unknown): JsonText {
  const compact = JSON.stringify(value);
  if (compact === undefined) return { text: 'undefined', truncated: false };
  return compact.length > MAX_TEXT ? cut(compact) : { text: JSON.stringify(value, null, 2), truncated: false };
}

/** A stored JSON text (the result), pretty-printed when it parses and is not huge. */
function prettyText(text: string): JsonText {
  if (text.length > MAX_TEXT) return cut(text);
  try {
    return { text: JSON.stringify(JSON.parse(text), null, 2), truncated: false };
  } catch {
    return { text, truncated: false };
  }
}

export function summaryJson(row: TaskSummaryRow): TaskSummaryJson {
  const errorLine = row.errorHead === null ? null : row.errorHead.split('\n', 1)[0];
  return {
    id: row.id, name: row.name, state: stateOf(row.status, row.runAt), queue: row.queue, priority: row.priority,
    retryCount: row.retryCount, maxRetries: row.maxRetries, runAt: row.runAt, createdAt: row.createdAt, startedAt: row.startedAt,
    finishedAt: row.finishedAt, duration: row.duration, lockedBy: row.lockedBy, errorLine, argsPreview: row.argsHead,
  };
}

function attemptJson(a: TaskAttempt): AttemptJson {
  return {
    attempt: a.attempt, outcome: a.outcome, errorCode: a.errorCode, error: a.error === null ? null : cut(a.error), worker: a.worker,
    startedAt: a.startedAt?.getTime() ?? null, finishedAt: a.finishedAt?.getTime() ?? null, duration: a.duration,
  };
}

/** A task for its page, with its attempts (lib/attempts.ts's attemptsOf). */
export function detailJson(record: TaskRecord, readOnly: boolean, attempts: readonly TaskAttempt[] = []): TaskDetailJson {
  const state = stateOf(record.status, record.runAt);
  const progress = parseProgress(record.progress);
  return {
    id: record.id, name: record.name, state, status: record.status,
    final: record.status === 'COMPLETED' || (record.status === 'FAILED' && record.runAt === null),
    queue: record.queue, priority: record.priority,
    args: pretty(record.args), kwargs: pretty(record.kwargs),
    result: record.result === null ? null : prettyText(record.result),
    error: record.error === null ? null : cut(record.error),
    retryCount: record.retryCount, maxRetries: record.maxRetries, timeout: record.timeout,
    createdAt: record.createdAt, runAt: record.runAt, startedAt: record.startedAt, finishedAt: record.finishedAt,
    updatedAt: record.updatedAt, duration: record.duration, lockedBy: record.lockedBy, leaseExpiresAt: record.leaseExpiresAt,
    uniqueKey: record.uniqueKey, scheduleKey: record.scheduleKey, scheduledFor: record.scheduledFor,
    errorCode: record.errorCode, progress: progress === null ? null : { percent: progress.percent, info: progress.info, at: progress.at.getTime() },
    cancelRequested: record.cancelRequested !== null, attempts: attempts.map(attemptJson),
    actions: {
      retry: !readOnly && record.status === 'FAILED',
      cancel: !readOnly && (record.status === 'PENDING' || state === 'RETRYING' || (record.status === 'PROGRESS' && record.cancelRequested === null)),
    },
  };
}
