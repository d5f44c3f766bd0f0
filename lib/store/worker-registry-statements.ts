// The worker registry's statements (tw_workers): a worker registers at start, heartbeats, and
// deletes its row on a clean stop; the dashboard reads the live ones and those lost recently. A
// row whose expires_at has passed belongs to a worker that stopped heartbeating: lost.
import { Binds } from '../db/binds';
import type { SqlRunner } from '../db/runner';

/** How the prefetch column holds 'auto' (the column predates it and is an integer). */
const AUTO_PREFETCH_ROW = -1;

/** What a worker says about itself when it registers. */
export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  queues: readonly string[];
  concurrency: number;
  /** Its prefetch setting: a fixed reserve, or 'auto' (stored as AUTO_PREFETCH_ROW). */
  prefetch: number | 'auto';
  pool: string;
  leaseMs: number;
  startedAt: number;
}

export interface WorkerRow extends WorkerInfo {
  running: number;
  lastSeenAt: number;
  expiresAt: number;
}

interface RawWorkerRow {
  id: string;
  host: string;
  pid: number | string;
  queues: string;
  concurrency: number | string;
  prefetch: number | string;
  pool: string;
  lease_ms: number | string;
  running: number | string;
  started_at: number | string;
  last_seen_at: number | string;
  expires_at: number | string;
}

function parseQueues(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((q): q is string => typeof q === 'string') : [];
  } catch {
    return [];
  }
}

export class WorkerRegistryStatements {
  constructor(private readonly runner: SqlRunner) {}

  /** Writes the worker's row (replacing one left under the same id) and deletes rows lost before `forgetBefore`. */
  async register(worker: WorkerInfo, now: number, forgetBefore: number): Promise<void> {
    const forget = new Binds();
    await this.runner.execute(`DELETE FROM tw_workers WHERE id = ${forget.add(worker.id)} OR expires_at < ${forget.add(forgetBefore)}`, forget.values);
    const binds = new Binds();
    await this.runner.execute(
      'INSERT INTO tw_workers (id, host, pid, queues, concurrency, prefetch, pool, lease_ms, running, started_at, last_seen_at, expires_at) ' +
        `VALUES (${binds.list([worker.id, worker.host, worker.pid, JSON.stringify(worker.queues), worker.concurrency, worker.prefetch === 'auto' ? AUTO_PREFETCH_ROW : worker.prefetch,
          worker.pool, worker.leaseMs, 0, worker.startedAt, now, now + worker.leaseMs])})`, binds.values);
  }

  /** The heartbeat; false when the row is gone (deleted while this worker was silent for a day): register again. */
  async beat(id: string, running: number, now: number, leaseMs: number): Promise<boolean> {
    const binds = new Binds();
    const changed = await this.runner.execute(
      `UPDATE tw_workers SET running = ${binds.add(running)}, last_seen_at = ${binds.add(now)}, expires_at = ${binds.add(now + leaseMs)} ` +
        `WHERE id = ${binds.add(id)}`, binds.values, { relaxedDurability: true });
    return changed === 1;
  }

  async deregister(id: string): Promise<void> {
    const binds = new Binds();
    await this.runner.execute(`DELETE FROM tw_workers WHERE id = ${binds.add(id)}`, binds.values);
  }

  /** Live workers and those lost since `lostSince`, oldest start first. */
  async list(lostSince: number): Promise<WorkerRow[]> {
    const binds = new Binds();
    const rows = await this.runner.rows<RawWorkerRow>(
      `SELECT * FROM tw_workers WHERE expires_at >= ${binds.add(lostSince)} ORDER BY started_at, id`, binds.values);
    return rows.map((r) => ({
      id: r.id, host: r.host, pid: Number(r.pid), queues: parseQueues(r.queues), concurrency: Number(r.concurrency),
      prefetch: Number(r.prefetch) === AUTO_PREFETCH_ROW ? 'auto' : Number(r.prefetch), pool: r.pool, leaseMs: Number(r.lease_ms), running: Number(r.running),
      startedAt: Number(r.started_at), lastSeenAt: Number(r.last_seen_at), expiresAt: Number(r.expires_at),
    }));
  }
}
