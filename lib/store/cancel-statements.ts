// Cancelling a running task: an operator stores the request on the row (the task stays PROGRESS,
// its worker owns every later write), and the worker holding it reads the requests addressed to it:
// at once when Redis carries the hint, else at its next heartbeat.
import { Binds } from '../db/binds';
import type { SqlRunner } from '../db/runner';

export interface CancelRequest {
  id: string;
  attempt: number;
  /** The CancelledError text the attempt ends with. */
  error: string;
}

export class CancelStatements {
  constructor(private readonly runner: SqlRunner) {}

  /** Asks the worker of a PROGRESS task to stop it; false when the task is not PROGRESS. */
  async request(id: string, error: string, now: number): Promise<boolean> {
    const binds = new Binds();
    const changed = await this.runner.execute(
      `UPDATE tw_tasks SET cancel_requested = ${binds.add(error)}, updated_at = ${binds.add(now)} ` +
        `WHERE id = ${binds.add(id)} AND status = 'PROGRESS'`, binds.values);
    return changed === 1;
  }

  /** The cancels requested for tasks this worker holds (all of them, or only `ids`). */
  async requestedFor(workerId: string, ids?: readonly string[]): Promise<CancelRequest[]> {
    const binds = new Binds();
    const only = ids ? ` AND id IN (${binds.list(ids)})` : '';
    const rows = await this.runner.rows<{ id: string; retry_count: number | string; cancel_requested: string }>(
      `SELECT id, retry_count, cancel_requested FROM tw_tasks WHERE status = 'PROGRESS' AND locked_by = ${binds.add(workerId)} ` +
        `AND cancel_requested IS NOT NULL${only}`, binds.values);
    return rows.map((r) => ({ id: r.id, attempt: Number(r.retry_count), error: r.cancel_requested }));
  }
}
