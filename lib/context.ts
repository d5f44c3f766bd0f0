// The running task's context, readable from inside a handler without changing its signature:
// what currentTask() returns, how a pool builds it, and where it is kept during a run.
import { AsyncLocalStorage } from 'node:async_hooks';
import { checkProgress, type ProgressSink } from './progress';
import type { JsonObject, TaskCall } from './types';

export interface TaskContext {
  id: string;
  name: string;
  queue: string;
  /** 0 for the first attempt, then the retry number. */
  attempt: number;
  /** The fire time this run was scheduled for, when a schedule made the task (also on its row); else null. */
  scheduledFor: Date | null;
  /**
   * Aborted when the task times out, an operator cancels it (the reason is a CancelledError) or the
   * worker stops; long tasks should pass it on.
   */
  signal: AbortSignal;
  /**
   * Reports how far the task is: `percent` from 0 to 100, and optionally a small JSON object (at most
   * 4,000 characters as JSON). Cheap to call often: only the latest report is written, a few times a
   * second. Throws ValidationError for a bad value.
   */
  progress(percent: number, info?: JsonObject): void;
}

export const taskContextStorage = new AsyncLocalStorage<TaskContext>();

/** The context of the task running in this async call chain; throws outside a task. */
export function currentTask(): TaskContext {
  const context = taskContextStorage.getStore();
  if (!context) throw new Error('currentTask() was called outside a running task');
  return context;
}

/**
 * The context currentTask() returns; its signal is made on first read. A class, because an object
 * literal with a getter is built far slower, and the abort source stays private.
 */
class RunningTaskContext implements TaskContext {
  readonly id: string;
  readonly name: string;
  readonly queue: string;
  readonly attempt: number;
  readonly scheduledFor: Date | null;

  readonly #abort: { readonly signal: AbortSignal };
  readonly #progress: ProgressSink | undefined;

  constructor(call: TaskCall, abort: { readonly signal: AbortSignal }, progress: ProgressSink | undefined) {
    this.#abort = abort;
    this.#progress = progress;
    this.id = call.id;
    this.name = call.name;
    this.queue = call.queue;
    this.attempt = call.attempt;
    this.scheduledFor = call.scheduledFor === null || call.scheduledFor === undefined ? null : new Date(call.scheduledFor);
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  progress(percent: number, info?: JsonObject): void {
    const report = checkProgress(percent, info);
    this.#progress?.(report, Date.now());
  }
}

/**
 * The context of one run of `call`, whose signal is `abort`'s (a pool's LazyAbortController) and
 * whose progress reports go to `progress`.
 */
export function taskContext(call: TaskCall, abort: { readonly signal: AbortSignal }, progress?: ProgressSink): TaskContext {
  return new RunningTaskContext(call, abort, progress);
}
