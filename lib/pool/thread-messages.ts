// Messages between the thread pool and its threads.
import type { TaskDeclarations } from './pool';
import type { TaskCall, TaskOutcome } from '../types';

export interface ThreadData {
  modules: string[];
  moduleRoot: string | undefined;
  cwd: string;
}

export type ToThread = { type: 'run'; call: TaskCall } | { type: 'abort' };

export type FromThread =
  | { type: 'ready'; declared: TaskDeclarations }
  | { type: 'load-error'; error: string }
  | { type: 'done'; id: string; outcome: TaskOutcome };
