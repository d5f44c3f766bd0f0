// Collects finished tasks and writes their completions together: one flush per batch window
// (a few ms) instead of one write per task, and at most MAX_IN_FLIGHT flushes at once: under load
// the batches grow instead of the commits piling up. Each write stays fenced per task in the store.
import type { Completion } from './db/dialect';

/**
 * written: stored; lost: the task was no longer this worker's; rejected: the database refused the
 * result; abandoned: not written because the worker was stopped at once (its lease will expire).
 */
export type CompletionOutcome = { kind: 'written' | 'lost' | 'abandoned' } | { kind: 'rejected'; reason: string };

export interface BatchResult {
  /** Ids written (still owned by this worker). */
  written: Set<string>;
  /** Ids whose result the database refused, with its reason; a retry would fail the same way. */
  rejected: Map<string, string>;
  /** True when the write was given up (stop now): the ids neither written nor rejected were not written. */
  abandoned?: boolean;
}

/** Flushes written at the same time; more would only queue on the database's commit. */
const MAX_IN_FLIGHT = 2;

export class CompletionBatcher {
  private batch: Array<{ completion: Completion; resolve: (outcome: CompletionOutcome) => void }> = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;

  constructor(
    private readonly delayMs: number,
    private readonly maxBatch: number,
    /** Writes a batch; never rejects (an abandoned write reports no id as written). */
    private readonly flushBatch: (completions: Completion[]) => Promise<BatchResult>,
  ) {}

  add(completion: Completion): Promise<CompletionOutcome> {
    return new Promise((resolve) => {
      this.batch.push({ completion, resolve });
      if (this.batch.length >= this.maxBatch || this.delayMs === 0) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.delayMs);
    });
  }

  /** Writes what is gathered now (or as soon as a flush slot frees up). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.batch.length === 0 || this.inFlight >= MAX_IN_FLIGHT) return;
    const items = this.batch.splice(0, this.maxBatch);
    this.inFlight++;
    const outcomeOf = (result: BatchResult, id: string): CompletionOutcome => {
      // A batch written one by one may be given up part-way: what was written or refused before stays so.
      if (result.written.has(id)) return { kind: 'written' };
      const reason = result.rejected.get(id);
      if (reason !== undefined) return { kind: 'rejected', reason };
      return result.abandoned ? { kind: 'abandoned' } : { kind: 'lost' };
    };
    this.flushBatch(items.map((i) => i.completion)).then(
      (result) => items.forEach((i) => i.resolve(outcomeOf(result, i.completion.id))),
      () => items.forEach((i) => i.resolve({ kind: 'abandoned' })),
    ).finally(() => {
      this.inFlight--;
      // What gathered meanwhile goes out at once: its batch window has already passed.
      if (this.batch.length > 0) this.flush();
    });
  }
}
