// Statements and fragments every database accepts as written: the claim's candidate filter, order
// and SET list, a multi-row VALUES insert, and the fenced SET list of a completion. The dialect
// files build their statements from these.
import type { Transaction } from 'sequelize';
import { Binds } from './binds';
import type { ClaimParams } from './dialect';
import { KEYED_TASK_COLUMNS, keyedTaskValues, NEW_TASK_COLUMNS, newTaskValues } from './rows';
import { NOT_FINAL } from '../migrations/0004-schedules-and-unique-tasks';
import type { SqlRunner } from './runner';
import type { TaskRecord } from '../types';

/**
 * The status is written as a literal, never bound: the claim indexes are partial (one per status,
 * see migration 0002) and a planner can only match a partial index's predicate to a constant.
 */
const FROM_STATUS: Record<ClaimParams['from'], string> = { PENDING: "status = 'PENDING'", FAILED: "status = 'FAILED'" };

/** The candidate filter and order, identical on every dialect so the claim indexes serve it. */
export function readyFilter(params: ClaimParams, binds: Binds): string {
  const status = FROM_STATUS[params.from];
  if (!status) throw new Error(`cannot claim from status ${String(params.from)}`);
  const now = binds.add(params.now);
  const queues = queueFilters(params, binds);
  const ahead = params.aheadOfPending && params.from === 'FAILED' ? aheadOfPendingFilter(params, binds, now) : '';
  return `${status} AND run_at <= ${now}${queues('')}${ahead}`;
}

/** The queue filters of a claim, for columns of the table alias given ('' for none). */
function queueFilters(params: ClaimParams, binds: Binds): (alias: string) => string {
  const queues = params.queues.length > 0 ? binds.list(params.queues) : null;
  // Paused queues (lib/queue-pauses.ts): a filter on the rows the index walk meets, not a change of index.
  const paused = params.excludeQueues?.length ? binds.list(params.excludeQueues) : null;
  return (alias) => `${queues ? ` AND ${alias}queue IN (${queues})` : ''}${paused ? ` AND ${alias}queue NOT IN (${paused})` : ''}`;
}

/**
 * Retries that rank ahead of the PENDING tasks (the execution order, docs/guarantees.md): of a better
 * priority than the best ready PENDING task the same worker could claim (one row read from the
 * PENDING claim index), or ready since `agedBefore` at least, so that no retry waits behind a
 * steady stream of PENDING tasks for longer than that.
 */
function aheadOfPendingFilter(params: ClaimParams, binds: Binds, now: string): string {
  const aged = binds.add(params.aheadOfPending!.agedBefore);
  const best = `SELECT p.priority FROM tw_tasks p WHERE p.status = 'PENDING' AND p.run_at <= ${now}` +
    `${queueFilters(params, binds)('p.')} ORDER BY p.priority, p.run_at, p.id LIMIT 1`;
  return ` AND (run_at <= ${aged} OR priority < COALESCE((${best}), ${2 ** 31 - 1}))`;
}

export const CLAIM_ORDER = 'ORDER BY priority, run_at, id';

/** The SET list of a claim. A FAILED task claimed again is a retry: retry_count counts it. */
export function claimAssignments(params: ClaimParams, binds: Binds, column = (c: string) => c): string {
  const now = binds.add(params.now);
  return [
    "status = 'PROGRESS'",
    `locked_by = ${binds.add(params.workerId)}`,
    `lease_expires_at = ${binds.add(params.leaseUntil)}`,
    `started_at = ${now}`,
    `updated_at = ${now}`,
    'finished_at = NULL',
    'duration = NULL',
    'progress = NULL',
    `retry_count = ${column('retry_count')} + ${params.from === 'FAILED' ? 1 : 0}`,
    `max_retries = COALESCE(${column('max_retries')}, ${binds.add(params.defaultMaxRetries)})`,
  ].join(', ');
}

export async function insertValues(runner: SqlRunner, records: readonly TaskRecord[], transaction?: Transaction): Promise<void> {
  const binds = new Binds();
  const tuples = records.map((r) => `(${binds.list(newTaskValues(r))})`);
  await runner.execute(`INSERT INTO tw_tasks (${NEW_TASK_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, binds.values,
    { transaction, prepare: tuples.length === 1 });
}

/** A multi-row VALUES insert of KEYED_TASK_COLUMNS ending in `suffix` (the dialect's ignoreDuplicates, a RETURNING). */
export function insertKeyedValues(records: readonly TaskRecord[], binds: Binds, suffix: string): string {
  const tuples = records.map((r) => `(${binds.list(keyedTaskValues(r))})`);
  return `INSERT INTO tw_tasks (${KEYED_TASK_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}${suffix}`;
}

/**
 * Tasks that are not final holding one of `keys` as unique key: the predicate of the partial index
 * tw_tasks_unique_active (migration 0004), written the same so the planners use it.
 */
export function partialUniqueKeyFilter(binds: Binds, keys: readonly string[]): string {
  return `unique_key IN (${binds.list(keys)}) AND unique_key IS NOT NULL AND ${NOT_FINAL}`;
}

/**
 * The SET list of a completion, reading the per-task values from `v` (id, result, attempt,
 * started_at, finished_at, duration, progress) and the worker from `workerPlaceholder`. `column`
 * qualifies target columns where the dialect needs it, `current` the row's own values. The latest
 * progress not yet written lands with the completion (null: keep the stored one).
 */
export function completionAssignments(workerPlaceholder: string, column: (c: string) => string = (c) => c, current = column): string {
  return [
    `${column('status')} = 'COMPLETED'`, `${column('result')} = v.result`, `${column('error')} = NULL`, `${column('error_code')} = NULL`,
    `${column('started_at')} = v.started_at`, `${column('finished_at')} = v.finished_at`, `${column('updated_at')} = v.finished_at`, `${column('duration')} = v.duration`,
    `${column('run_at')} = NULL`, `${column('locked_by')} = NULL`, `${column('lease_expires_at')} = NULL`,
    `${column('last_worker')} = ${workerPlaceholder}`, `${column('progress')} = COALESCE(v.progress, ${current('progress')})`,
    `${column('cancel_requested')} = NULL`,
  ].join(', ');
}

/**
 * The fence of a batched completion: the row of `v.id`, still this worker's, in the attempt `v` ran.
 * The status test is written `(...) IS TRUE` so that no index can serve it: with statistics that
 * predate a burst of claims, PostgreSQL otherwise drives the join from the status index and reads
 * every PROGRESS row once per batch. Rows are found by primary key only (see also the generic plans
 * in postgres.ts). A task whose cancel an operator requested is not completed (NO_CANCEL_PENDING).
 */
export function completionFence(column: (c: string) => string, workerPlaceholder: string): string {
  return `${column('id')} = v.id AND ${column('locked_by')} = ${workerPlaceholder} AND ${column('retry_count')} = v.attempt ` +
    `AND (${column('status')} = 'PROGRESS') IS TRUE AND ${NO_CANCEL_PENDING(column)}`;
}

/**
 * Part of the fence of every outcome but the cancel itself: once an operator's cancel is stored on
 * the row, the run's own result or error is refused, and its worker writes the CancelledError instead.
 */
export const NO_CANCEL_PENDING = (column: (c: string) => string = (c) => c): string => `${column('cancel_requested')} IS NULL`;
