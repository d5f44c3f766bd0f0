// The running task's context, readable from inside a handler without changing its signature:
// what currentTask() returns, how a pool builds it, and where it is kept during a run.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { TaskCall } from './types';

export interface TaskContext {
  id: string;
  name: string;
  queue: string;
  /** 0 for the first attempt, then the retry number. */
  attempt: number;
  /** The fire time this run was scheduled for, when a schedule made the task (also on its row); else null. */
  scheduledFor: Date | null;
  /** Aborted when the task times out or the worker stops; long tasks should pass it on. */
  signal: AbortSignal;
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

  constructor(call: TaskCall, abort: { readonly signal: AbortSignal }) {
    this.#abort = abort;
    this.id = call.id;
    this.name = call.name;
    this.queue = call.queue;
    this.attempt = call.attempt;
    this.scheduledFor = call.scheduledFor === null || call.scheduledFor === undefined ? null : new Date(call.scheduledFor);
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }
}

/** The context of one run of `call`, whose signal is `abort`'s (a pool's LazyAbortController). */
export function taskContext(call: TaskCall, abort: { readonly signal: AbortSignal }): TaskContext {
  return new RunningTaskContext(call, abort);
}
