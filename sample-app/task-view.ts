// What the sample's routes answer about a task: its state, result, retries and timings. Only the
// first line of an error is shown: the stack stays in the database (tw-admin show prints it).
import type { DatabaseTask } from '../lib/index';

export interface TaskView {
  id: string;
  name: string;
  status: string;
  /** false while the task can still run (PENDING, PROGRESS, or FAILED with a retry scheduled). */
  final: boolean;
  /** Retries made so far, and allowed (null until a worker claims it: the worker's --retry). */
  retryCount: number;
  maxRetries: number | null;
  result: unknown;
  error: string | null;
  nextRetryAt: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  duration: number | null;
  links: { self: string; wait: string };
}

export function taskView(task: DatabaseTask): TaskView {
  const retryScheduled = task.status === 'FAILED' && !task.isFinal;
  return {
    id: task.id,
    name: task.name,
    status: task.status,
    final: task.isFinal,
    retryCount: task.retryCount,
    maxRetries: task.maxRetries,
    result: task.resultValue ?? null,
    error: task.error?.split('\n')[0] ?? null,
    nextRetryAt: retryScheduled && task.runAt ? task.runAt.toISOString() : null,
    createdAt: task.createdAt.toISOString(),
    startedAt: task.startedAt?.toISOString() ?? null,
    finishedAt: task.finishedAt?.toISOString() ?? null,
    duration: task.duration === null ? null : Math.round(task.duration * 1000) / 1000,
    links: { self: `/tasks/${task.id}`, wait: `/tasks/${task.id}/wait?timeout=30` },
  };
}
