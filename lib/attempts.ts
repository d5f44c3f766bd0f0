// Every attempt of a task as callers read it: the failed ones stored in tw_task_attempts (the last
// ATTEMPTS_KEPT), then the attempt the task row itself describes when it succeeded or is running
// now. Also the stored error code of a failed run's outcome, decided here only.
import { toModel } from './db/rows';
import type { DatabaseTask } from './model';
import type { AttemptRecord, AttemptStatements } from './store/attempt-statements';
import { TASK_ERROR_CODE } from './task-errors';
import type { TaskOutcome, TaskRecord } from './types';

export type AttemptOutcome = 'completed' | 'failed' | 'running';

/** One attempt of a task. Times are Dates; `duration` in seconds. */
export interface TaskAttempt {
  /** The task's retry count during the attempt: 0 for the first run (0 again after an operator's retry). */
  attempt: number;
  outcome: AttemptOutcome;
  /**
   * The stable code of its error: TW_TASK_ERROR (the handler threw), TW_PERMANENT, TW_TIMEOUT,
   * TW_WORKER_LOST, TW_CANCELLED, TW_RESULT, TW_THREAD_CRASH, TW_WORKER_STOPPED; null unless failed.
   */
  errorCode: string | null;
  /** Message and stack (or the engine's message); null unless failed. */
  error: string | null;
  /** The worker that ran it. */
  worker: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  duration: number | null;
}

const KIND_CODES: Record<'error' | 'timeout' | 'crash', string> = {
  error: TASK_ERROR_CODE, timeout: 'TW_TIMEOUT', crash: 'TW_THREAD_CRASH',
};

/** The stored error code of a failed outcome: its own, else the one of its kind. */
export function errorCodeOf(outcome: TaskOutcome & { ok: false }): string {
  return outcome.code ?? KIND_CODES[outcome.kind] ?? TASK_ERROR_CODE;
}

const date = (ms: number | null) => (ms === null ? null : new Date(ms));

/** The stored failed attempts, oldest first, then the task's own current one if it succeeded or runs. */
export function attemptsOf(task: TaskRecord, stored: readonly AttemptRecord[]): TaskAttempt[] {
  const attempts: TaskAttempt[] = stored.map((a) => ({
    attempt: a.attempt, outcome: 'failed', errorCode: a.errorCode, error: a.error, worker: a.worker,
    startedAt: date(a.startedAt), finishedAt: date(a.finishedAt), duration: a.duration,
  }));
  if (task.status === 'COMPLETED') {
    attempts.push({
      attempt: task.retryCount, outcome: 'completed', errorCode: null, error: null, worker: task.lastWorker,
      startedAt: date(task.startedAt), finishedAt: date(task.finishedAt), duration: task.duration,
    });
  } else if (task.status === 'PROGRESS') {
    attempts.push({
      attempt: task.retryCount, outcome: 'running', errorCode: null, error: null, worker: task.lockedBy,
      startedAt: date(task.startedAt), finishedAt: null, duration: null,
    });
  }
  return attempts;
}

/** The task of `record` with its attempts loaded (one more query). */
export async function taskWithAttempts(store: { readonly attempts: Pick<AttemptStatements, 'list'> }, record: TaskRecord): Promise<DatabaseTask> {
  const task = toModel(record);
  task.attempts = attemptsOf(record, await store.attempts.list(record.id));
  return task;
}
