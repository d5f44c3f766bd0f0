// Messages between the thread pool and its threads.
import type { ProgressReport } from '../progress';
import type { TaskDeclarations } from './pool';
import type { TaskCall, TaskOutcome } from '../types';

export interface ThreadData {
  modules: string[];
  moduleRoot: string | undefined;
  cwd: string;
}

/** abort: the worker stops (no id: whatever runs), or an operator cancelled task `id` (`cancel`: the stored CancelledError text). */
export type ToThread = { type: 'run'; call: TaskCall } | { type: 'abort'; id?: string; cancel?: string };

export type FromThread =
  | { type: 'ready'; declared: TaskDeclarations }
  | { type: 'load-error'; error: string }
  | { type: 'done'; id: string; outcome: TaskOutcome }
  /** The latest progress of task `id` (sent a few times a second at most, and before 'done'). */
  | { type: 'progress'; id: string; report: ProgressReport; at: number };
