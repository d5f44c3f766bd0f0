// Carrying out an operator's cancel of a task this worker holds. A running task has its signal
// aborted with the CancelledError at once; if its handler has not returned after CANCEL_GRACE_MS,
// its run is ended anyway (the thread pool terminates its thread; inline, the handler is left to
// run unheard). Whatever the run returns, its outcome is the CancelledError, final. A task claimed
// but not started (prefetched, or claimed with a cancel already on its row) is not run at all.
// Requests are read from the rows, never taken from a Redis message alone.
import type { Logger } from 'pino';
import type { Ownership } from './ownership';
import type { TaskPool } from './pool/pool';
import type { CancelRequest, CancelStatements } from './store/cancel-statements';
import { CancelledError } from './task-errors';
import type { TaskOutcome, TaskRecord } from './types';

/** How long a cancelled handler has to return after its signal is aborted. */
export const CANCEL_GRACE_MS = 2000;

export interface CancellationDeps {
  store: { readonly cancels: Pick<CancelStatements, 'requestedFor'> };
  pool: Pick<TaskPool, 'abortTask' | 'endTask'>;
  logger: Logger;
}

/** The outcome of a cancelled attempt: its stored CancelledError text, no retry. */
export function cancelledOutcome(error: string): TaskOutcome & { ok: false } {
  return { ok: false, kind: 'error', code: 'TW_CANCELLED', final: true, error };
}

export class Cancellations {
  /** Runs being cancelled here: their stored CancelledError text, by id. */
  private readonly cancelling = new Map<string, string>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly deps: CancellationDeps,
    private readonly owned: Ownership,
    /** Ends a claimed task that has not started with `outcome` (the worker writes it like a run's). */
    private readonly endUnstarted: (record: TaskRecord, outcome: TaskOutcome) => void,
    private readonly graceMs = CANCEL_GRACE_MS,
  ) {}

  /** The outcome of a claimed task whose row already asks for a cancel (handed back meanwhile); else undefined. */
  atClaim(record: TaskRecord): TaskOutcome | undefined {
    return record.cancelRequested === null ? undefined : cancelledOutcome(record.cancelRequested);
  }

  /**
   * Reads the cancels requested for the tasks this worker holds (every one, or only `ids`: those a
   * hint named) and carries them out. Never rejects.
   */
  async check(ids?: readonly string[]): Promise<void> {
    const held = ids ? ids.filter((id) => this.holds(id)) : this.owned.ownedIds();
    if (held.length === 0) return;
    let requests: CancelRequest[];
    try {
      requests = await this.deps.store.cancels.requestedFor(this.owned.workerId, ids ? held : undefined);
    } catch (error) {
      this.deps.logger.debug({ err: (error as Error).message }, 'could not read cancel requests; the next heartbeat reads them again');
      return;
    }
    for (const request of requests) this.carryOut(request);
  }

  private holds(id: string): boolean {
    return this.owned.running.has(id) || this.owned.prefetched.some((r) => r.id === id);
  }

  private carryOut(request: CancelRequest): void {
    const { pool, logger } = this.deps;
    const running = this.owned.running.get(request.id);
    if (running && running.record.retryCount === request.attempt) {
      if (this.cancelling.has(request.id)) return;
      this.cancelling.set(request.id, request.error);
      logger.info({ task: request.id, name: running.record.name }, 'cancelling a running task: its signal is aborted');
      pool.abortTask(request.id, CancelledError.fromStoredText(request.error));
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (this.cancelling.get(request.id) !== request.error || !this.owned.running.has(request.id)) return;
        logger.warn({ task: request.id, graceMs: this.graceMs }, 'cancelled task did not return after its grace: its run is ended');
        pool.endTask(request.id, cancelledOutcome(request.error));
      }, this.graceMs);
      this.timers.add(timer);
      return;
    }
    const index = this.owned.prefetched.findIndex((r) => r.id === request.id && r.retryCount === request.attempt);
    if (index < 0) return;
    const [record] = this.owned.prefetched.splice(index, 1);
    logger.info({ task: record.id, name: record.name }, 'cancelled a claimed task before it started');
    this.endUnstarted(record, cancelledOutcome(request.error));
  }

  /** The outcome to write for a run that ended: a cancelled run's is its CancelledError, whatever it returned. */
  outcomeOf(id: string, outcome: TaskOutcome): TaskOutcome {
    const error = this.cancelling.get(id);
    if (error === undefined) return outcome;
    this.cancelling.delete(id);
    return cancelledOutcome(error);
  }

  close(): void {
    this.timers.forEach(clearTimeout);
    this.timers.clear();
  }
}
