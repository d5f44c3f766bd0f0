// The statements of tw_queues: pausing and resuming a queue, and reading which are paused. A row
// exists for every queue an operator ever paused; paused_at null means it runs again.
import { Binds } from '../db/binds';
import type { Dialect } from '../db/dialect';
import type { SqlRunner } from '../db/runner';

export interface QueueRecord {
  name: string;
  /** When it was paused (epoch ms); null while it runs. */
  pausedAt: number | null;
  updatedAt: number;
}

export class QueueStatements {
  constructor(private readonly runner: SqlRunner, private readonly dialect: Dialect) {}

  /** Pauses a queue (a queue already paused keeps its first pause time). */
  async pause(name: string, now: number): Promise<void> {
    const insert = new Binds();
    await this.runner.execute(
      `INSERT INTO tw_queues (name, paused_at, updated_at) VALUES (${insert.list([name, now, now])})${this.dialect.ignoreDuplicates('name')}`,
      insert.values);
    const binds = new Binds();
    await this.runner.execute(
      `UPDATE tw_queues SET paused_at = COALESCE(paused_at, ${binds.add(now)}), updated_at = ${binds.add(now)} WHERE name = ${binds.add(name)}`,
      binds.values);
  }

  /** Lets a queue run again; false when it was not paused. */
  async resume(name: string, now: number): Promise<boolean> {
    const binds = new Binds();
    const changed = await this.runner.execute(
      `UPDATE tw_queues SET paused_at = NULL, updated_at = ${binds.add(now)} WHERE name = ${binds.add(name)} AND paused_at IS NOT NULL`,
      binds.values);
    return changed === 1;
  }

  /** The names of the paused queues (a small table: read in full at every poll of every worker). */
  async paused(): Promise<string[]> {
    const rows = await this.runner.rows<{ name: string }>('SELECT name FROM tw_queues WHERE paused_at IS NOT NULL', [], { prepare: true });
    return rows.map((r) => r.name);
  }

  async list(): Promise<QueueRecord[]> {
    const rows = await this.runner.rows<{ name: string; paused_at: number | string | null; updated_at: number | string }>(
      'SELECT name, paused_at, updated_at FROM tw_queues ORDER BY name', []);
    return rows.map((r) => ({ name: r.name, pausedAt: r.paused_at === null ? null : Number(r.paused_at), updatedAt: Number(r.updated_at) }));
  }
}
