// Wake-up notifications. A latency hint only: the database is the truth, so a lost message only
// delays work until the next poll. Publishing never throws.
import type { JsonObject } from '../types';

/**
 * created: a task was inserted; finished: COMPLETED; requeued: failed, a retry is scheduled; failed:
 * FAILED for good; progress: a running task's latest progress was written; cancel: an operator asked
 * to stop a running task (stored on its row); queues: a queue was paused or resumed (`id` is its name).
 */
export type TaskChannel = 'created' | 'finished' | 'requeued' | 'failed' | 'progress' | 'cancel' | 'queues';
export const TASK_CHANNELS: readonly TaskChannel[] = ['created', 'finished', 'requeued', 'failed', 'progress', 'cancel', 'queues'];

export interface TaskEvent {
  id: string;
  /** Every task the event is about, when one message tells of a batch (finished). */
  ids?: string[];
  queue?: string;
  /** Epoch ms when the task may start (created, requeued). */
  runAt?: number | null;
  /** progress: the report written; `at` in epoch ms. Unchecked when it comes through Redis (see parseProgress). */
  progress?: { percent: number; info: JsonObject | null; at: number };
}

export type TaskListener = (event: TaskEvent) => void;

export interface Notifier {
  publish(channel: TaskChannel, event: TaskEvent): void;
  /**
   * Resolves once the subscription is in effect (or at once while the transport is down, when
   * callers rely on polling); the result removes the listener.
   */
  subscribe(channel: TaskChannel, listener: TaskListener): Promise<() => void>;
  /**
   * True while messages published by other processes reach this one (Redis connected): waiters may
   * then poll the database rarely. False in-process only, or while Redis is down.
   */
  live(): boolean;
  close(): Promise<void>;
}
