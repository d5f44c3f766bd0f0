// What differs between databases: the claim, and the two bulk statements of the hot path (insert
// many, complete many). Everything else in the store is portable SQL.
import type { Transaction } from 'sequelize';
import { Binds } from '../binds';
import type { RawTaskRow } from '../rows';
import type { SqlRunner } from '../sql/runner';
import type { TaskRecord } from '../types';

export interface ClaimParams {
  /** PENDING tasks, or FAILED tasks whose retry time has come. */
  from: 'PENDING' | 'FAILED';
  limit: number;
  now: number;
  workerId: string;
  leaseUntil: number;
  /** Written into max_retries for tasks that set none: the claiming worker's --retry. */
  defaultMaxRetries: number;
  /** Empty: every queue. */
  queues: readonly string[];
}

/** A finished task to mark COMPLETED, fenced on the worker and the attempt it ran. */
export interface Completion {
  id: string;
  attempt: number;
  result: string;
  /** When the handler really started (a prefetched task is claimed before it starts). */
  startedAt: number;
  finishedAt: number;
  duration: number;
}

export interface Dialect {
  /** Atomically moves up to `limit` ready tasks to PROGRESS for this worker and returns them. */
  claim(runner: SqlRunner, params: ClaimParams): Promise<RawTaskRow[]>;
  /** Inserts up to INSERT_CHUNK records in one statement. */
  insert(runner: SqlRunner, records: readonly TaskRecord[], transaction?: Transaction): Promise<void>;
  /** Marks many tasks COMPLETED in one statement; returns the ids this worker still held. */
  complete(runner: SqlRunner, workerId: string, completions: readonly Completion[]): Promise<string[]>;
}

/**
 * The status is written as a literal, never bound: the claim indexes are partial (one per status,
 * see migration 0002) and a planner can only match a partial index's predicate to a constant.
 */
const FROM_STATUS: Record<ClaimParams['from'], string> = { PENDING: "status = 'PENDING'", FAILED: "status = 'FAILED'" };

/** The candidate filter and order, identical on every dialect so the claim indexes serve it. */
export function readyFilter(params: ClaimParams, binds: Binds): string {
  const status = FROM_STATUS[params.from];
  if (!status) throw new Error(`cannot claim from status ${String(params.from)}`);
  const queueFilter = params.queues.length > 0 ? ` AND queue IN (${binds.list(params.queues)})` : '';
  return `${status} AND run_at <= ${binds.add(params.now)}${queueFilter}`;
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
    `retry_count = ${column('retry_count')} + ${params.from === 'FAILED' ? 1 : 0}`,
    `max_retries = COALESCE(${column('max_retries')}, ${binds.add(params.defaultMaxRetries)})`,
  ].join(', ');
}
