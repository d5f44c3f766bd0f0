// Where tasks run. A pool takes a call and always resolves with an outcome (never rejects);
// it enforces the task's timeout in its own way.
import type { TaskCall } from '../executor';
import type { TaskOutcome } from '../types';

export interface TaskPool {
  /** Loads task modules / starts threads; throws if a module cannot be loaded. */
  start(): Promise<void>;
  run(call: TaskCall): Promise<TaskOutcome>;
  /** Aborts running tasks' signals (inline) or terminates their threads. */
  close(): Promise<void>;
}

export function timeoutOutcome(seconds: number): TaskOutcome {
  return { ok: false, kind: 'timeout', error: `TaskTimeoutError: task timed out after ${seconds} s and was stopped` };
}
