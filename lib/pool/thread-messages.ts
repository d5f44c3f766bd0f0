// Messages between the thread pool and its threads. Calls go to a thread several at a time, each
// with the ring cell through which the two sides agree whether it has started (thread-ring.ts);
// results come back several at a time, on a channel of their own that the pool can drain
// synchronously before it stops a thread, so that no result already sent is lost.
import type { MessagePort } from 'node:worker_threads';
import type { ProgressReport } from '../progress';
import type { TaskDeclarations } from './pool';
import type { RingCell } from './thread-ring';
import type { TaskCall, TaskOutcome } from '../types';

export interface ThreadData {
  modules: string[];
  moduleRoot: string | undefined;
  cwd: string;
  /** The thread's ring of cells (ThreadRing.buffer) and its size. */
  ring: SharedArrayBuffer;
  ringSize: number;
  /** Where the thread sends everything (FromThread). */
  port: MessagePort;
  /** A thread holding more than this many bytes (heap and off-heap) after a task asks to be replaced. */
  recycleBytes: number;
}

export interface QueuedCall {
  call: TaskCall;
  cell: RingCell;
}

/** abort: the worker stops (no id: whatever runs), or an operator cancelled task `id` (`cancel`: the stored CancelledError text). */
export type ToThread = { type: 'run'; calls: QueuedCall[] } | { type: 'abort'; id?: string; cancel?: string };

export interface TaskResult {
  id: string;
  outcome: TaskOutcome;
  /** When the thread started the task (epoch ms) and how long it ran (ms). */
  startedAt: number;
  durationMs: number;
}

export type FromThread =
  | { type: 'ready'; declared: TaskDeclarations }
  | { type: 'load-error'; error: string }
  /** recycle: the thread held this many bytes after the last of them, over recycleBytes: it starts nothing more; replace it. */
  | { type: 'done'; results: TaskResult[]; recycle?: number }
  /** The latest progress of task `id` (sent a few times a second at most, and before its result). */
  | { type: 'progress'; id: string; report: ProgressReport; at: number }
  /** Something was thrown outside any promise (a timer, an event handler), described here: replace the thread. */
  | { type: 'fatal'; error: string };
