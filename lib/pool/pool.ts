// Where tasks run. A pool takes a call and always resolves with an outcome (never rejects);
// it enforces the task's timeout in its own way.
import type { ProgressSink } from '../progress';
import type { ScheduleDefinition } from '../schedule-spec';
import { TaskTimeoutError } from '../task-errors';
import type { TaskCall, TaskOutcome } from '../types';

/** What the loaded task modules register: task names and the schedules they declare. */
export interface TaskDeclarations {
  tasks: string[];
  schedules: ScheduleDefinition[];
}

/** Told by a pool when a run really started (epoch ms) and how long it ran (ms), if not when run() was called. */
export type RunStarted = (startedAt: number, durationMs: number) => void;

export interface TaskPool {
  /**
   * Runs it takes at once: its concurrency, or more when it queues runs ahead (thread pool). A run
   * handed over beyond its concurrency waits in the pool, unstarted, until a slot is free.
   */
  readonly capacity: number;
  /** Loads task modules / starts threads; throws if a module cannot be loaded. */
  start(): Promise<void>;
  /** After start(): what the task modules registered, as the pool's threads (or the event loop) see it. */
  declarations(): TaskDeclarations;
  /** Runs a task; its progress reports go to `progress`; `started` hears when it really started. */
  run(call: TaskCall, progress?: ProgressSink, started?: RunStarted): Promise<TaskOutcome>;
  /**
   * Takes back every run handed over that has not started (shutdown): their run() promises resolve
   * with a stopped outcome, to be ignored. Returns their ids.
   */
  takeBackUnstarted(): string[];
  /** Aborts the signal of task `id` running here with `reason`; false when it does not run here. */
  abortTask(id: string, reason: Error): boolean;
  /**
   * Ends the run of task `id` now with `outcome`, without waiting for its handler: its thread is
   * terminated (thread pool), or its handler is left to run unheard (inline pool).
   */
  endTask(id: string, outcome: TaskOutcome): void;
  /** Aborts running tasks' signals (inline) or terminates their threads. */
  close(): Promise<void>;
}

export function timeoutOutcome(seconds: number): TaskOutcome {
  return { ok: false, kind: 'timeout', error: new TaskTimeoutError(seconds).storedText };
}

/** Longest delay setTimeout takes; a longer one fires after 1 ms (Node's TimeoutOverflowWarning). */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Calls `fn` after `seconds` (task timeouts may be up to 30 days, past setTimeout's ~24.8 days);
 * the result cancels it.
 */
export function startTaskTimer(seconds: number, fn: () => void): () => void {
  let timer: NodeJS.Timeout;
  const deadline = Date.now() + seconds * 1000;
  const arm = () => {
    const left = deadline - Date.now();
    timer = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(fn, Math.max(0, left));
  };
  arm();
  return () => clearTimeout(timer);
}
