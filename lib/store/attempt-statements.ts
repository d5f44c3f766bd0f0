// The statements of tw_task_attempts: record a failed attempt (in the transaction of the fenced
// write that failed the task), read a task's attempts, forget those of purged tasks. A task keeps
// its last ATTEMPTS_KEPT failed attempts; a success is the task row itself (lib/attempts.ts), so a
// completion writes nothing here.
import type { Transaction } from 'sequelize';
import { Binds } from '../db/binds';
import type { SqlRunner } from '../db/runner';

/** Failed attempts kept per task; older ones are deleted as new ones are recorded. */
export const ATTEMPTS_KEPT = 20;

/** One stored attempt, as the engine reads it (times in epoch ms). */
export interface AttemptRecord {
  taskId: string;
  /** 1, 2, 3... per task, in the order the attempts ended (operator retries included). */
  seq: number;
  /** The task's retry count during the attempt: 0 for the first run (again 0 after an operator's retry). */
  attempt: number;
  errorCode: string;
  error: string | null;
  worker: string | null;
  startedAt: number | null;
  finishedAt: number;
  duration: number | null;
}

export type NewAttempt = Omit<AttemptRecord, 'seq'>;

interface RawAttemptRow {
  task_id: string;
  seq: number | string;
  attempt: number | string;
  error_code: string;
  error: string | null;
  worker: string | null;
  started_at: number | string | null;
  finished_at: number | string;
  duration: number | string | null;
}

const numOrNull = (v: number | string | null) => (v === null ? null : Number(v));

export class AttemptStatements {
  constructor(private readonly runner: SqlRunner) {}

  /**
   * Records a failed attempt, inside `transaction`: the one whose fenced UPDATE just failed the task,
   * which holds the task's row, so no other writer numbers an attempt of this task meanwhile.
   */
  async record(attempt: NewAttempt, transaction: Transaction): Promise<void> {
    const last = new Binds();
    const [{ seq: lastSeq }] = await this.runner.rows<{ seq: number | string | null }>(
      `SELECT MAX(seq) AS seq FROM tw_task_attempts WHERE task_id = ${last.add(attempt.taskId)}`, last.values, { transaction, prepare: true });
    const seq = Number(lastSeq ?? 0) + 1;
    const binds = new Binds();
    await this.runner.execute(
      'INSERT INTO tw_task_attempts (task_id, seq, attempt, error_code, error, worker, started_at, finished_at, duration) ' +
        `VALUES (${binds.list([attempt.taskId, seq, attempt.attempt, attempt.errorCode, attempt.error, attempt.worker,
          attempt.startedAt, attempt.finishedAt, attempt.duration])})`, binds.values, { transaction, prepare: true });
    if (seq <= ATTEMPTS_KEPT) return;
    const old = new Binds();
    await this.runner.execute(`DELETE FROM tw_task_attempts WHERE task_id = ${old.add(attempt.taskId)} AND seq <= ${old.add(seq - ATTEMPTS_KEPT)}`,
      old.values, { transaction, prepare: true });
  }

  /** A task's stored attempts, oldest first. */
  async list(taskId: string): Promise<AttemptRecord[]> {
    const binds = new Binds();
    const rows = await this.runner.rows<RawAttemptRow>(
      `SELECT * FROM tw_task_attempts WHERE task_id = ${binds.add(taskId)} ORDER BY seq`, binds.values, { prepare: true });
    return rows.map((r) => ({
      taskId: r.task_id, seq: Number(r.seq), attempt: Number(r.attempt), errorCode: r.error_code, error: r.error, worker: r.worker,
      startedAt: numOrNull(r.started_at), finishedAt: Number(r.finished_at), duration: numOrNull(r.duration),
    }));
  }

  /** Deletes the attempts of those of `ids` whose task is gone (after a purge deleted them). */
  async deleteOrphans(ids: readonly string[], transaction?: Transaction): Promise<void> {
    if (ids.length === 0) return;
    const binds = new Binds();
    const list = binds.list(ids);
    await this.runner.execute(
      `DELETE FROM tw_task_attempts WHERE task_id IN (${list}) AND task_id NOT IN (SELECT id FROM tw_tasks WHERE id IN (${list}))`,
      binds.values, { transaction });
  }
}
