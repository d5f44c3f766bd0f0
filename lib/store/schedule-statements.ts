// The statements of tw_schedules: reading, declaring, pausing and removing schedules, finding the
// due ones, and the two steps of a fire: lock the schedule row at the fire time read (skipping a
// row another scheduler holds) and advance next_fire_at by compare-and-set in the transaction that
// inserted the fire's tasks. The unique (schedule_key, scheduled_for) of tw_tasks does the rest.
import type { Transaction } from 'sequelize';
import { Binds } from '../db/binds';
import type { Dialect } from '../db/dialect';
import type { SqlRunner } from '../db/runner';
import { catchUpText, parseCatchUp, type ScheduleDefinition, type ScheduleSource } from '../schedule-spec';
import type { JsonObject, JsonValue, TaskStatus } from '../types';

/** A stored schedule: its definition and its state. */
export interface ScheduleRecord extends ScheduleDefinition {
  source: ScheduleSource;
  paused: boolean;
  /** The first fire time not handled yet (epoch ms); null when it never fires again. */
  nextFireAt: number | null;
  /** The latest fire time a task was made for (epoch ms), and that task. */
  lastFireAt: number | null;
  lastTaskId: string | null;
  createdAt: number;
  updatedAt: number;
}

/** A schedule with the status of its latest task, for the operator's view. */
export interface ScheduleListRow extends ScheduleRecord {
  /** Null when there is none, or it was purged. */
  lastTaskStatus: TaskStatus | null;
  /** A FAILED last task that will be retried. */
  lastTaskRetrying: boolean;
}

interface RawScheduleRow {
  schedule_key: string;
  task: string;
  cron: string | null;
  every_ms: number | string | null;
  timezone: string;
  args: string;
  kwargs: string;
  queue: string | null;
  priority: number | string | null;
  max_retries: number | string | null;
  timeout: number | string | null;
  catch_up: string;
  source: string;
  paused: number | string | boolean;
  next_fire_at: number | string | null;
  last_fire_at: number | string | null;
  last_task_id: string | null;
  created_at: number | string;
  updated_at: number | string;
  last_task_status?: string | null;
  last_task_run_at?: number | string | null;
}

const numOrNull = (v: number | string | null | undefined) => (v === null || v === undefined ? null : Number(v));

function toSchedule(row: RawScheduleRow): ScheduleRecord {
  return {
    key: row.schedule_key,
    task: row.task,
    cron: row.cron,
    everyMs: numOrNull(row.every_ms),
    timezone: row.timezone,
    args: JSON.parse(row.args) as JsonValue[],
    kwargs: JSON.parse(row.kwargs) as JsonObject,
    queue: row.queue,
    priority: numOrNull(row.priority),
    maxRetries: numOrNull(row.max_retries),
    timeout: numOrNull(row.timeout),
    catchUp: parseCatchUp(row.schedule_key, row.catch_up),
    source: row.source as ScheduleSource,
    paused: Number(row.paused) === 1 || row.paused === true,
    nextFireAt: numOrNull(row.next_fire_at),
    lastFireAt: numOrNull(row.last_fire_at),
    lastTaskId: row.last_task_id,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** Column = value pairs of a definition (everything the declaration decides). */
function definitionValues(d: ScheduleDefinition, source: ScheduleSource): Array<[string, unknown]> {
  return [
    ['task', d.task], ['cron', d.cron], ['every_ms', d.everyMs], ['timezone', d.timezone], ['args', JSON.stringify(d.args)],
    ['kwargs', JSON.stringify(d.kwargs)], ['queue', d.queue], ['priority', d.priority], ['max_retries', d.maxRetries],
    ['timeout', d.timeout], ['catch_up', catchUpText(d.catchUp)], ['source', source],
  ];
}

export class ScheduleStatements {
  constructor(private readonly runner: SqlRunner, private readonly dialect: Dialect) {}

  /** Every schedule by key, with the status of its latest task. */
  async list(): Promise<ScheduleListRow[]> {
    const rows = await this.runner.rows<RawScheduleRow>(
      'SELECT s.*, t.status AS last_task_status, t.run_at AS last_task_run_at FROM tw_schedules s ' +
        'LEFT JOIN tw_tasks t ON t.id = s.last_task_id ORDER BY s.schedule_key', []);
    return rows.map((row) => ({
      ...toSchedule(row),
      lastTaskStatus: (row.last_task_status ?? null) as TaskStatus | null,
      lastTaskRetrying: row.last_task_status === 'FAILED' && numOrNull(row.last_task_run_at) !== null,
    }));
  }

  async get(key: string, transaction?: Transaction): Promise<ScheduleRecord | null> {
    const binds = new Binds();
    const rows = await this.runner.rows<RawScheduleRow>(`SELECT * FROM tw_schedules WHERE schedule_key = ${binds.add(key)}`,
      binds.values, { transaction });
    return rows.length > 0 ? toSchedule(rows[0]) : null;
  }

  /** Inserts a new schedule; false (and nothing changed) when the key exists already. */
  async insert(d: ScheduleDefinition, source: ScheduleSource, nextFireAt: number | null, paused: boolean, now: number): Promise<boolean> {
    const binds = new Binds();
    const pairs: Array<[string, unknown]> = [
      ['schedule_key', d.key], ...definitionValues(d, source), ['paused', paused ? 1 : 0], ['next_fire_at', nextFireAt],
      ['created_at', now], ['updated_at', now],
    ];
    const changed = await this.runner.execute(
      `INSERT INTO tw_schedules (${pairs.map(([c]) => c).join(', ')}) VALUES (${binds.list(pairs.map(([, v]) => v))})` +
        this.dialect.ignoreDuplicates('schedule_key'), binds.values);
    return changed === 1;
  }

  /**
   * Rewrites a schedule's definition; `nextFireAt` undefined keeps its place in time. Only when
   * the row is still as read (`expectedUpdatedAt`), so two workers syncing at once do not
   * interleave; true when written.
   */
  async update(d: ScheduleDefinition, source: ScheduleSource, nextFireAt: number | null | undefined, expectedUpdatedAt: number, now: number): Promise<boolean> {
    const binds = new Binds();
    const pairs: Array<[string, unknown]> = [...definitionValues(d, source), ['updated_at', now]];
    if (nextFireAt !== undefined) pairs.push(['next_fire_at', nextFireAt]);
    const changed = await this.runner.execute(
      `UPDATE tw_schedules SET ${pairs.map(([c, v]) => `${c} = ${binds.add(v)}`).join(', ')} ` +
        `WHERE schedule_key = ${binds.add(d.key)} AND updated_at = ${binds.add(expectedUpdatedAt)}`, binds.values);
    return changed === 1;
  }

  /** Deletes one schedule; true when it existed. Its tasks stay. */
  async remove(key: string): Promise<boolean> {
    const binds = new Binds();
    return (await this.runner.execute(`DELETE FROM tw_schedules WHERE schedule_key = ${binds.add(key)}`, binds.values)) === 1;
  }

  /**
   * Deletes the schedules of `source` whose key is not in `keep`; with `tasks`, only those
   * running one of these tasks. Returns the keys deleted.
   */
  async removeStale(source: ScheduleSource, keep: readonly string[], tasks?: readonly string[]): Promise<string[]> {
    if (tasks && tasks.length === 0) return [];
    const binds = new Binds();
    let where = `source = ${binds.add(source)}`;
    if (keep.length > 0) where += ` AND schedule_key NOT IN (${binds.list(keep)})`;
    if (tasks) where += ` AND task IN (${binds.list(tasks)})`;
    const rows = await this.runner.rows<{ schedule_key: string }>(`SELECT schedule_key FROM tw_schedules WHERE ${where}`, binds.values);
    const removed: string[] = [];
    for (const { schedule_key: key } of rows) if (await this.remove(key)) removed.push(key);
    return removed;
  }

  /** Pauses or resumes; `nextFireAt` (resume) restarts the schedule from now. True when the schedule exists. */
  async setPaused(key: string, paused: boolean, nextFireAt: number | null | undefined, now: number): Promise<boolean> {
    const binds = new Binds();
    const next = nextFireAt === undefined ? '' : `, next_fire_at = ${binds.add(nextFireAt)}`;
    return (await this.runner.execute(
      `UPDATE tw_schedules SET paused = ${binds.add(paused ? 1 : 0)}${next}, updated_at = ${binds.add(now)} ` +
        `WHERE schedule_key = ${binds.add(key)}`, binds.values)) === 1;
  }

  /** Running schedules whose next fire time has come, earliest first. */
  async due(now: number, limit: number): Promise<Array<{ key: string; nextFireAt: number }>> {
    const binds = new Binds();
    const rows = await this.runner.rows<{ schedule_key: string; next_fire_at: number | string }>(
      `SELECT schedule_key, next_fire_at FROM tw_schedules WHERE paused = 0 AND next_fire_at <= ${binds.add(now)} ` +
        `ORDER BY next_fire_at LIMIT ${binds.add(limit)}`, binds.values);
    return rows.map((r) => ({ key: r.schedule_key, nextFireAt: Number(r.next_fire_at) }));
  }

  /** The earliest next fire time of the running schedules; null when none will fire. */
  async earliestNext(): Promise<number | null> {
    const rows = await this.runner.rows<{ t: number | string | null }>('SELECT MIN(next_fire_at) AS t FROM tw_schedules WHERE paused = 0', []);
    return numOrNull(rows[0]?.t);
  }

  /**
   * Inside a fire's transaction: the schedule, locked, if it is still running and still at fire
   * time `nextFireAt`; null when another scheduler holds it or has fired it meanwhile.
   */
  async lockDue(key: string, nextFireAt: number, transaction: Transaction): Promise<ScheduleRecord | null> {
    const binds = new Binds();
    const rows = await this.runner.rows<RawScheduleRow>(
      `SELECT * FROM tw_schedules WHERE schedule_key = ${binds.add(key)} AND next_fire_at = ${binds.add(nextFireAt)} ` +
        `AND paused = 0${this.dialect.skipLocked}`, binds.values, { transaction });
    return rows.length > 0 ? toSchedule(rows[0]) : null;
  }

  /**
   * The compare-and-set of a fire: moves next_fire_at from `expectedNext` to `next` and records
   * the latest fire; false when the row moved on meanwhile (the caller rolls its inserts back).
   */
  async advance(key: string, expectedNext: number, next: number | null, last: { fireAt: number; taskId: string } | null,
    now: number, transaction: Transaction): Promise<boolean> {
    const binds = new Binds();
    const lastSet = last ? `, last_fire_at = ${binds.add(last.fireAt)}, last_task_id = ${binds.add(last.taskId)}` : '';
    return (await this.runner.execute(
      `UPDATE tw_schedules SET next_fire_at = ${binds.add(next)}${lastSet}, updated_at = ${binds.add(now)} ` +
        `WHERE schedule_key = ${binds.add(key)} AND next_fire_at = ${binds.add(expectedNext)}`, binds.values, { transaction })) === 1;
  }

  /** Records a run made out of turn (run-now) as the latest, unless a later fire is recorded already. */
  async recordRun(key: string, fireAt: number, taskId: string, now: number, transaction: Transaction): Promise<void> {
    const binds = new Binds();
    const at = binds.add(fireAt);
    await this.runner.execute(
      `UPDATE tw_schedules SET last_fire_at = ${at}, last_task_id = ${binds.add(taskId)}, updated_at = ${binds.add(now)} ` +
        `WHERE schedule_key = ${binds.add(key)} AND (last_fire_at IS NULL OR last_fire_at <= ${at})`, binds.values, { transaction });
  }

  /** Runs `fn` in a transaction that the server ends if it sits idle (its process paused) for `idleSeconds`. */
  async boundedTransaction<T>(idleSeconds: number, fn: (transaction: Transaction) => Promise<T>): Promise<T> {
    const { begin, end } = this.dialect.idleTransactionLimit(idleSeconds);
    return this.runner.transaction(async (transaction) => {
      for (const sql of begin) await this.runner.execute(sql, [], { transaction });
      try {
        return await fn(transaction);
      } finally {
        for (const sql of end) await this.runner.execute(sql, [], { transaction }).catch(() => undefined);
      }
    });
  }
}
