// The errors the engine itself stores as a task's error, each with a stable code and its message
// written here only. A stored error is `storedText`: "Name: message", without the engine's own
// stack, which says nothing about the task. Also PermanentError, which a handler throws to fail
// its task for good at once, and the code stored for any other error a handler throws.
import { TaskWorkerError } from './errors';

/** The stored error code of an error thrown by a handler (other than a PermanentError). */
export const TASK_ERROR_CODE = 'TW_TASK_ERROR';

export abstract class StoredTaskError extends TaskWorkerError {
  /** The text written to the task's error column. */
  get storedText(): string {
    return `${this.name}: ${this.message}`;
  }
}

/** The task ran past its timeout and was stopped (its thread terminated, or its signal aborted). */
export class TaskTimeoutError extends StoredTaskError {
  constructor(readonly seconds: number) {
    super('TW_TIMEOUT', `task timed out after ${seconds} s and was stopped`);
  }
}

/** The worker running the task stopped renewing its lease; another worker recovered the task. */
export class WorkerLostError extends StoredTaskError {
  constructor(readonly lostWorker: string, retryable: boolean) {
    super('TW_WORKER_LOST', `worker ${lostWorker} stopped renewing its lease (crashed, killed or stalled); ` +
      (retryable ? 'the task will be retried' : 'no retry left'));
  }
}

const CANCELLED_BY = 'cancelled by an operator';

/** An operator cancelled the task (before it started, or while it ran: then its signal is aborted with this). */
export class CancelledError extends StoredTaskError {
  constructor(readonly reason?: string) {
    super('TW_CANCELLED', `${CANCELLED_BY}${reason ? `: ${reason}` : ''}`);
  }

  /** The error whose storedText is `text` (a cancel stored on the task row), its reason included. */
  static fromStoredText(text: string): CancelledError {
    const head = `CancelledError: ${CANCELLED_BY}: `;
    return new CancelledError(text.startsWith(head) ? text.slice(head.length) : undefined);
  }
}

/** The task's return value could not be stored: it is not JSON, or the database refused it. */
export class ResultError extends StoredTaskError {
  static notJson(problem: string): ResultError {
    return new ResultError(`the task returned a value that is not JSON: ${problem}`);
  }

  static refused(reason: string): ResultError {
    return new ResultError(`the database refused the task's result (${reason}); nothing was stored`);
  }

  private constructor(message: string) {
    super('TW_RESULT', message);
  }
}

/** The pool thread running the task died: it exited, ran out of memory, or failed outside the task's promise. */
export class ThreadCrashError extends StoredTaskError {
  static exited(exitCode: number): ThreadCrashError {
    return new ThreadCrashError(`the task's thread exited with code ${exitCode}`);
  }

  static failed(detail: string): ThreadCrashError {
    return new ThreadCrashError(`the task's thread failed: ${detail}`);
  }

  /** The task returned, but its thread was stopped or died before its result reached the worker. */
  static resultLost(): ThreadCrashError {
    return new ThreadCrashError("the task's thread stopped before its result reached the worker");
  }

  private constructor(message: string) {
    super('TW_THREAD_CRASH', message);
  }
}

/** The pool was closed (the worker stopped at once) before the task could start. */
export class WorkerStoppedError extends StoredTaskError {
  constructor() {
    super('TW_WORKER_STOPPED', 'the pool closed before the task could start');
  }
}

/**
 * Thrown by a handler: the task fails for good at once, whatever retries it has left (bad input,
 * a refusal that retrying cannot change). Stored with its stack, code TW_PERMANENT. Subclasses
 * work too; so does any error whose `code` is 'TW_PERMANENT' (another copy of this package).
 */
export class PermanentError extends TaskWorkerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TW_PERMANENT', message);
    if (options && 'cause' in options) (this as { cause?: unknown }).cause = options.cause;
  }

  static is(error: unknown): boolean {
    try {
      return error instanceof PermanentError || (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'TW_PERMANENT');
    } catch {
      return false; // a Proxy whose traps throw: an ordinary failure
    }
  }
}
