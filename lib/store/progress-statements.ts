// The progress write: the latest progress of many running tasks of one worker in one UPDATE,
// fenced like every write after a claim (locked_by + attempt + PROGRESS), so the progress of a run
// that lost its task, or already ended, changes nothing. Portable SQL: a CASE list and (id, attempt) pairs.
import { Binds } from '../db/binds';
import type { SqlRunner } from '../db/runner';

export interface ProgressWrite {
  id: string;
  /** The attempt that reported it (the claimed retry_count). */
  attempt: number;
  /** { percent, info, at } as JSON text. */
  progress: string;
}

export class ProgressStatements {
  constructor(private readonly runner: SqlRunner) {}

  /** Writes each task's progress if this worker still runs that attempt; returns how many rows changed. */
  async write(workerId: string, items: readonly ProgressWrite[], now: number): Promise<number> {
    if (items.length === 0) return 0;
    const binds = new Binds();
    const ids = items.map((item) => binds.add(item.id));
    const values = items.map((item, i) => `WHEN ${ids[i]} THEN ${binds.add(item.progress)}`).join(' ');
    // Each (id, attempt) pair compared to its columns, so every database types the parameters alike.
    const attempts = items.map((item, i) => `(id = ${ids[i]} AND retry_count = ${binds.add(item.attempt)})`).join(' OR ');
    // A lost progress write is harmless (the next one, or the outcome, writes it): no WAL flush wait.
    return this.runner.execute(
      `UPDATE tw_tasks SET progress = CASE id ${values} END, updated_at = ${binds.add(now)} ` +
        `WHERE status = 'PROGRESS' AND locked_by = ${binds.add(workerId)} AND id IN (${ids.join(', ')}) AND (${attempts})`,
      binds.values, { relaxedDurability: true });
  }
}
