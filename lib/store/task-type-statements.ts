// The statements of tw_task_types: a worker's handlers and their defaults, written at start
// (replace by name, in one transaction), read whole by enqueuers that lack a handler.
import { Binds } from '../db/binds';
import type { SqlRunner } from '../db/runner';
import type { TaskDefaults } from '../types';

export interface TaskType {
  name: string;
  defaults: TaskDefaults;
}

interface TaskTypeRow {
  name: string;
  queue: string | null;
  priority: number | string | null;
  timeout: number | string | null;
  max_retries: number | string | null;
}

/** 6 binds a row: far below every driver's limit (SQLite's old one is 999). */
const ROWS_PER_INSERT = 100;

const asNumber = (value: number | string | null) => (value === null ? undefined : Number(value));

export class TaskTypeStatements {
  constructor(private readonly runner: SqlRunner) {}

  /** Replaces the rows of these names (their defaults may have changed since the last start). */
  async record(types: readonly TaskType[], now: number): Promise<void> {
    if (types.length === 0) return;
    await this.runner.transaction(async (transaction) => {
      for (let i = 0; i < types.length; i += ROWS_PER_INSERT) {
        const names = new Binds();
        const chunk = types.slice(i, i + ROWS_PER_INSERT).map((t) => t.name);
        await this.runner.execute(`DELETE FROM tw_task_types WHERE name IN (${names.list(chunk)})`, names.values, { transaction });
      }
      for (let i = 0; i < types.length; i += ROWS_PER_INSERT) {
        const binds = new Binds();
        const rows = types.slice(i, i + ROWS_PER_INSERT).map(({ name, defaults: d }) =>
          `(${binds.list([name, d.queue ?? null, d.priority ?? null, d.timeout ?? null, d.maxRetries ?? null, now])})`);
        await this.runner.execute(
          `INSERT INTO tw_task_types (name, queue, priority, timeout, max_retries, updated_at) VALUES ${rows.join(', ')}`, binds.values, { transaction });
      }
    });
  }

  async all(): Promise<TaskType[]> {
    const rows = await this.runner.rows<TaskTypeRow>('SELECT name, queue, priority, timeout, max_retries FROM tw_task_types', []);
    return rows.map((row) => {
      const defaults: TaskDefaults = {};
      if (row.queue !== null) defaults.queue = row.queue;
      if (row.priority !== null) defaults.priority = asNumber(row.priority);
      if (row.timeout !== null) defaults.timeout = asNumber(row.timeout);
      if (row.max_retries !== null) defaults.maxRetries = asNumber(row.max_retries);
      return { name: row.name, defaults };
    });
  }
}
