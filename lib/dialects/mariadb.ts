// MariaDB/MySQL: SELECT ... FOR UPDATE SKIP LOCKED then UPDATE, in one READ COMMITTED transaction
// (no gap locks against inserts). MariaDB has no UPDATE ... RETURNING, so the claim returns the
// selected rows with its changes applied, and a batch of completions first locks the rows this
// worker still holds, then updates exactly those in one statement.
import { Binds } from '../binds';
import type { RawTaskRow } from '../rows';
import { CLAIM_ORDER, claimAssignments, readyFilter, type Dialect } from './dialect';
import { completionAssignments, insertValues } from './portable';

export const mariadbDialect: Dialect = {
  async claim(runner, params) {
    return runner.transaction(async (transaction) => {
      const selectBinds = new Binds();
      const rows = await runner.rows<RawTaskRow>(
        `SELECT * FROM tw_tasks WHERE ${readyFilter(params, selectBinds)} ${CLAIM_ORDER} ` +
          `LIMIT ${selectBinds.add(params.limit)} FOR UPDATE SKIP LOCKED`,
        selectBinds.values, { transaction, prepare: true });
      if (rows.length === 0) return rows;
      const binds = new Binds();
      const set = claimAssignments(params, binds);
      await runner.execute(`UPDATE tw_tasks SET ${set} WHERE id IN (${binds.list(rows.map((r) => r.id))})`, binds.values, { transaction });
      const retryIncrement = params.from === 'FAILED' ? 1 : 0;
      return rows.map((row) => ({
        ...row,
        status: 'PROGRESS',
        locked_by: params.workerId,
        lease_expires_at: params.leaseUntil,
        started_at: params.now,
        updated_at: params.now,
        finished_at: null,
        duration: null,
        retry_count: Number(row.retry_count) + retryIncrement,
        max_retries: row.max_retries ?? params.defaultMaxRetries,
      }));
    });
  },

  insert: insertValues,

  async complete(runner, workerId, completions) {
    return runner.transaction(async (transaction) => {
      const lockBinds = new Binds();
      const held = await runner.rows<{ id: string; retry_count: number | string }>(
        `SELECT id, retry_count FROM tw_tasks WHERE status = 'PROGRESS' AND locked_by = ${lockBinds.add(workerId)} ` +
          `AND id IN (${lockBinds.list(completions.map((c) => c.id))}) FOR UPDATE`, lockBinds.values, { transaction });
      const attempts = new Map(held.map((r) => [r.id, Number(r.retry_count)]));
      const owned = completions.filter((c) => attempts.get(c.id) === c.attempt);
      if (owned.length === 0) return [];
      const binds = new Binds();
      const rows = owned.map((c, i) => {
        const values = [c.id, c.result, c.startedAt, c.finishedAt, c.duration].map((v) => binds.add(v));
        return i === 0
          ? `SELECT ${values[0]} AS id, ${values[1]} AS result, ${values[2]} AS started_at, ${values[3]} AS finished_at, ${values[4]} AS duration`
          : `SELECT ${values.join(', ')}`;
      });
      await runner.execute(
        `UPDATE tw_tasks AS t JOIN (${rows.join(' UNION ALL ')}) AS v ON t.id = v.id SET ${completionAssignments((c) => `t.${c}`)}`,
        binds.values, { transaction });
      return owned.map((c) => c.id);
    });
  },
};
