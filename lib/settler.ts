// Writes what became of the tasks a worker ran: completions (batched), failures (with the retry
// the retry policy decides), and tasks handed back unrun. Every write is fenced and retried until
// it lands (persist.ts). It never calls back into the worker loop: a settled task reports the time
// its retry is due, and the loop decides when to look for work.
import type { Logger } from 'pino';
import { errorCodeOf } from './attempts';
import { cancelledOutcome } from './cancellation';
import { CompletionBatcher, type BatchResult } from './completion-batcher';
import type { ResolvedConfig } from './config';
import type { DatabaseHealth } from './database-health';
import type { Completion } from './db/dialect';
import type { Notifier, TaskEvent } from './notifier/notifier';
import { persistently, type PersistOptions } from './persist';
import { retryAt } from './retry-policy';
import type { WorkerStore } from './store/worker-store';
import { ResultError } from './task-errors';
import type { TaskOutcome, TaskRecord } from './types';

const MAX_COMPLETION_BATCH = 200;
/** Stored error text is cut here: MariaDB's TEXT holds 65,535 bytes, 4 per character at worst. */
const MAX_ERROR_CHARS = 16_000;

export interface SettlerDeps {
  config: ResolvedConfig;
  store: WorkerStore;
  notifier: Notifier;
  logger: Logger;
}

/** When a run really happened: epoch ms, and its duration in seconds. */
export interface RunTiming {
  startedAt: number;
  finishedAt: number;
  duration: number;
}

/**
 * written: stored. lost: not written, the task was no longer this worker's (its lease ran out and
 * it was taken over). abandoned: not written, the worker was stopped at once. refused: not written,
 * the database refused the record itself (logged as such, never as a lost lease).
 */
export type SettleState = 'written' | 'lost' | 'abandoned' | 'refused';

export interface Settled {
  state: SettleState;
  /** When the task's retry is due (epoch ms), if a retryable failure was written. */
  retryAt: number | null;
  /**
   * The outcome written (or tried): the run's, unless the database refused its result (a ResultError
   * failure), or an operator's cancel was pending on the row (the CancelledError).
   */
  outcome: TaskOutcome;
}

type Written = Omit<Settled, 'outcome'>;
type Failed = TaskOutcome & { ok: false };

/**
 * The error text as every database can hold it: a NUL byte (which PostgreSQL refuses in text,
 * 22021) written as the six characters \u0000, and cut at MAX_ERROR_CHARS.
 */
export function storableError(text: string): string {
  const escaped = text.replace(/\u0000/g, '\\u0000');
  return escaped.length <= MAX_ERROR_CHARS ? escaped : `${escaped.slice(0, MAX_ERROR_CHARS)}\n... (${escaped.length - MAX_ERROR_CHARS} more characters cut)`;
}

/** A last resort when the database refused the error text itself: printable ASCII, which any text column holds. */
function asciiError(text: string, reason: string): string {
  const ascii = text.slice(0, 2000).replace(/[^\x20-\x7e\n\t]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `${ascii}\n(stored as ASCII: the database refused the error text: ${reason.replace(/[^\x20-\x7e]/g, '?').slice(0, 300)})`;
}

export class Settler {
  private readonly batcher: CompletionBatcher;
  private readonly persist: PersistOptions;
  private readonly inFlight = new Set<Promise<Settled>>();
  private writesAbandoned = false;

  constructor(private readonly deps: SettlerDeps, private readonly workerId: string, health: DatabaseHealth) {
    const { config, store, logger } = deps;
    this.persist = { logger, classify: (e) => store.classifyError(e), giveUp: () => this.writesAbandoned, onError: (e) => health.noteError(e) };
    this.batcher = new CompletionBatcher(config.completionBatchDelayMs, MAX_COMPLETION_BATCH, (completions) => this.writeCompletions(completions));
  }

  /** From now on a write that fails is given up instead of retried (the worker stops at once). */
  abandonWrites(): void {
    this.writesAbandoned = true;
  }

  /** Writes the gathered completions now instead of at the end of their batch window. */
  flush(): void {
    this.batcher.flush();
  }

  /** Resolves once every outcome being written has landed (or was given up). */
  async drain(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  /**
   * Writes the outcome of one run, with its latest progress not written yet (JSON text, or null);
   * never rejects.
   */
  settle(record: TaskRecord, outcome: TaskOutcome, timing: RunTiming, progress: string | null = null): Promise<Settled> {
    const settled = this.write(record, outcome, timing, progress);
    this.inFlight.add(settled);
    void settled.finally(() => this.inFlight.delete(settled));
    return settled;
  }

  private async write(record: TaskRecord, ran: TaskOutcome, timing: RunTiming, progress: string | null): Promise<Settled> {
    const { logger } = this.deps;
    let outcome = ran;
    let settled: Written;
    if (outcome.ok) {
      const stored = await this.batcher.add({ id: record.id, attempt: record.retryCount, result: outcome.result, ...timing, progress });
      if (stored.kind === 'rejected') {
        // Retrying cannot store this result (e.g. too long for the column): the task fails instead.
        outcome = { ok: false, kind: 'error', code: 'TW_RESULT', error: ResultError.refused(stored.reason).storedText };
        settled = await this.fail(record, outcome, timing, progress);
      } else {
        settled = { state: stored.kind === 'written' ? 'written' : stored.kind === 'abandoned' ? 'abandoned' : 'lost', retryAt: null };
      }
    } else {
      settled = await this.fail(record, outcome, timing, progress);
    }
    if (settled.state === 'lost' && (outcome.ok || errorCodeOf(outcome) !== 'TW_CANCELLED')) {
      // Refused because an operator's cancel reached the row before it reached this worker: the cancel is the outcome.
      const cancel = await this.pendingCancel(record);
      if (cancel !== null) {
        const cancelled = cancelledOutcome(cancel);
        outcome = cancelled;
        settled = await this.fail(record, cancelled, timing, progress);
      }
    }
    // The last progress went with the outcome, not through the progress writer: tell onProgress listeners too.
    if (settled.state === 'written' && progress !== null) this.deps.notifier.publish('progress', { id: record.id, progress: JSON.parse(progress) as TaskEvent['progress'] });
    if (settled.state === 'lost') logger.warn({ task: record.id }, 'outcome not written: this worker no longer held the task (its lease expired and it was taken over)');
    if (settled.state === 'abandoned') logger.warn({ task: record.id }, 'outcome not written: the worker was stopped at once; the task will be recovered when its lease expires');
    return { ...settled, outcome };
  }

  /** The CancelledError text of a cancel pending on this worker's run of `record`; null when none (or unknown). */
  private async pendingCancel(record: TaskRecord): Promise<string | null> {
    try {
      const [request] = await this.deps.store.cancels.requestedFor(this.workerId, [record.id]);
      return request && request.attempt === record.retryCount ? request.error : null;
    } catch {
      return null; // the lease then runs out, and the sweep writes the cancel
    }
  }

  /** Writes a batch of completions; if the database refuses one result, writes them one by one. */
  private async writeCompletions(completions: Completion[]): Promise<BatchResult> {
    const { store, notifier } = this.deps;
    const rejected = new Map<string, string>();
    try {
      const written = await persistently('complete tasks', () => store.complete(this.workerId, completions), this.persist);
      // One message for the whole batch: waiters look for their id in `ids`.
      if (written && written.length > 0) notifier.publish('finished', { id: written[0], ids: written });
      return { written: new Set(written ?? []), rejected, abandoned: written === undefined };
    } catch (error) {
      if (completions.length === 1) {
        rejected.set(completions[0].id, (error as Error).message);
        return { written: new Set(), rejected };
      }
    }
    const written = new Set<string>();
    for (const completion of completions) {
      const one = await this.writeCompletions([completion]);
      if (one.abandoned) return { written, rejected, abandoned: true };
      one.written.forEach((id) => written.add(id));
      one.rejected.forEach((reason, id) => rejected.set(id, reason));
    }
    return { written, rejected };
  }

  /** Writes a failure, retryable or for good, as the retry policy decides, and records the attempt. */
  private async fail(record: TaskRecord, outcome: Failed, timing: RunTiming, progress: string | null): Promise<Written> {
    const { config, store, notifier, logger } = this.deps;
    const { error: errorText } = outcome;
    const code = errorCodeOf(outcome);
    const nextRunAt = retryAt(config, { attempt: record.retryCount, maxRetries: record.maxRetries }, outcome.final ? 'permanent' : 'failed', timing.finishedAt);
    const failure = { id: record.id, attempt: record.retryCount, error: storableError(errorText), code, progress, ...timing, retryAt: nextRunAt };
    let written: boolean | undefined;
    try {
      written = await persistently('fail task', () => store.fail(this.workerId, failure), this.persist);
    } catch (refused) {
      // Not expected once the text is escaped and cut: try once more with the text in plain ASCII.
      const reason = (refused as Error)?.message ?? String(refused);
      try {
        written = await persistently('fail task', () => store.fail(this.workerId, { ...failure, error: asciiError(errorText, reason) }), this.persist);
      } catch (error) {
        // Refused, not lost: the lease is still this worker's. It runs out and the sweep fails the task.
        logger.error({ task: record.id, err: (error as Error).message }, 'the database refused the failure record; the task is failed by the stale-lease sweep when its lease runs out');
        return { state: 'refused', retryAt: null };
      }
    }
    if (written === undefined) return { state: 'abandoned', retryAt: null };
    if (!written) return { state: 'lost', retryAt: null };
    if (code === 'TW_CANCELLED') logger.info({ task: record.id, name: record.name, attempt: record.retryCount }, 'task cancelled');
    else {
      logger.warn({ task: record.id, name: record.name, attempt: record.retryCount, retryAt: nextRunAt, code, error: errorText.split('\n')[0] },
        nextRunAt !== null ? 'task failed; retry scheduled' : 'task failed for good');
    }
    if (nextRunAt !== null) notifier.publish('requeued', { id: record.id, queue: record.queue, runAt: nextRunAt });
    else notifier.publish('failed', { id: record.id, queue: record.queue });
    return { state: 'written', retryAt: nextRunAt };
  }

  /** Hands tasks back unrun: PENDING again for another worker. */
  async giveBack(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const { store, logger, notifier } = this.deps;
    const count = await persistently('give tasks back', () => store.giveBack(this.workerId, ids, Date.now()), this.persist);
    if (count === undefined) {
      logger.warn({ tasks: ids }, 'tasks not handed back (stopped at once while the database was unreachable): they are retried when their lease expires');
      return;
    }
    logger.info({ tasks: ids, givenBack: count }, 'tasks handed back for another worker');
    for (const id of ids) notifier.publish('created', { id });
  }
}
