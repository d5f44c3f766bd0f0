// The running task's context, readable from inside a handler without changing its signature.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface TaskContext {
  id: string;
  name: string;
  queue: string;
  /** 0 for the first attempt, then the retry number. */
  attempt: number;
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
