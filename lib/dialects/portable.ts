// Statements every database accepts as written: a multi-row VALUES insert, and the fenced SET list
// of a completion. Dialects use or override them.
import type { Transaction } from 'sequelize';
import { Binds } from '../binds';
import { NEW_TASK_COLUMNS, newTaskValues } from '../rows';
import type { SqlRunner } from '../sql/runner';
import type { TaskRecord } from '../types';

export async function insertValues(runner: SqlRunner, records: readonly TaskRecord[], transaction?: Transaction): Promise<void> {
  const binds = new Binds();
  const tuples = records.map((r) => `(${binds.list(newTaskValues(r))})`);
  await runner.execute(`INSERT INTO tw_tasks (${NEW_TASK_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, binds.values,
    { transaction, prepare: tuples.length === 1 });
}

/**
 * The SET list of a completion, reading the per-task values from `v` (id, result, attempt,
 * started_at, finished_at, duration). `column` qualifies target columns where the dialect needs it.
 */
export function completionAssignments(column: (c: string) => string = (c) => c): string {
  return [
    `${column('status')} = 'COMPLETED'`, `${column('result')} = v.result`, `${column('error')} = NULL`,
    `${column('started_at')} = v.started_at`, `${column('finished_at')} = v.finished_at`, `${column('updated_at')} = v.finished_at`, `${column('duration')} = v.duration`,
    `${column('run_at')} = NULL`, `${column('locked_by')} = NULL`, `${column('lease_expires_at')} = NULL`,
  ].join(', ');
}

/**
 * The fence of a batched completion: the row of `v.id`, still this worker's, in the attempt `v` ran.
 * The status test is written `(...) IS TRUE` so that no index can serve it: with statistics that
 * predate a burst of claims, PostgreSQL otherwise drives the join from the status index and reads
 * every PROGRESS row once per batch. Rows are found by primary key only (see also the generic plans
 * in db.ts).
 */
export function completionFence(column: (c: string) => string, workerPlaceholder: string): string {
  return `${column('id')} = v.id AND ${column('locked_by')} = ${workerPlaceholder} AND ${column('retry_count')} = v.attempt ` +
    `AND (${column('status')} = 'PROGRESS') IS TRUE`;
}
