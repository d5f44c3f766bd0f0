// Collects finished tasks and writes their completions together: one flush per batch window
// (a few ms) instead of one write per task. Each write stays fenced per task in the store.
import type { Completion } from './store';

export class CompletionBatcher {
  private batch: Array<{ completion: Completion; resolve: (written: boolean) => void }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly delayMs: number,
    private readonly maxBatch: number,
    /** Writes a batch; returns the ids that were written (still owned by this worker). */
    private readonly flushBatch: (completions: Completion[]) => Promise<Set<string>>,
  ) {}

  /** Resolves true once written, false if the task was no longer this worker's. */
  add(completion: Completion): Promise<boolean> {
    return new Promise((resolve) => {
      this.batch.push({ completion, resolve });
      if (this.batch.length >= this.maxBatch || this.delayMs === 0) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.delayMs);
    });
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const items = this.batch;
    this.batch = [];
    if (items.length === 0) return;
    this.flushBatch(items.map((i) => i.completion)).then(
      (written) => items.forEach((i) => i.resolve(written.has(i.completion.id))),
      () => items.forEach((i) => i.resolve(false)),
    );
  }
}
