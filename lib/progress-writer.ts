// Writes the progress handlers report: only the latest report of each task is kept, and all of a
// worker's pending reports go out in one fenced statement at most every PROGRESS_WRITE_MS, then are
// published (Redis: `onProgress` listeners in other processes). A report still pending when its run
// ends is not written here: the settler writes it with the outcome, in the same statement.
import type { Logger } from 'pino';
import type { Notifier } from './notifier/notifier';
import { progressText, type ProgressReport, type ProgressSink } from './progress';
import type { ProgressStatements } from './store/progress-statements';
import type { TaskRecord } from './types';

/** At most one progress write per worker this often, whatever the number of tasks and reports. */
export const PROGRESS_WRITE_MS = 500;

interface Pending {
  attempt: number;
  report: ProgressReport;
  at: number;
}

export interface ProgressWriterDeps {
  store: { readonly progress: Pick<ProgressStatements, 'write'> };
  notifier: Notifier;
  logger: Logger;
}

export class ProgressWriter {
  private readonly pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private writing = false;

  constructor(private readonly deps: ProgressWriterDeps, private readonly workerId: string, private readonly intervalMs = PROGRESS_WRITE_MS) {}

  /** Where the reports of one run go. */
  sinkFor(record: TaskRecord): ProgressSink {
    const attempt = record.retryCount;
    return (report, at) => {
      this.pending.set(record.id, { attempt, report, at });
      this.timer ??= setTimeout(() => void this.write(), this.intervalMs);
    };
  }

  /** The report of a run that ended and was not written yet (JSON text), now the settler's to write; else null. */
  take(id: string): string | null {
    const pending = this.pending.get(id);
    if (!pending) return null;
    this.pending.delete(id);
    return progressText(pending.report, pending.at);
  }

  private async write(): Promise<void> {
    this.timer = undefined;
    if (this.pending.size === 0) return;
    if (this.writing) {
      // One write at a time: the next goes once this one is back.
      this.timer = setTimeout(() => void this.write(), this.intervalMs);
      return;
    }
    const batch = [...this.pending].map(([id, p]) => ({ id, attempt: p.attempt, report: p.report, at: p.at, progress: progressText(p.report, p.at) }));
    this.pending.clear();
    this.writing = true;
    try {
      await this.deps.store.progress.write(this.workerId, batch, Date.now());
      for (const item of batch) {
        this.deps.notifier.publish('progress', { id: item.id, progress: { percent: item.report.percent, info: item.report.info, at: item.at } });
      }
    } catch (error) {
      // Progress is a hint: a lost write is replaced by the next report, or by the outcome.
      this.deps.logger.debug({ err: (error as Error).message, tasks: batch.length }, 'progress not written');
    } finally {
      this.writing = false;
    }
  }

  /** Drops what is pending (the worker stopped). */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }
}
