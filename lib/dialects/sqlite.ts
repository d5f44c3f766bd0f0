// SQLite: the claim is a single UPDATE ... RETURNING. SQLite has one writer at a time, so the
// sub-select and the update form one atomic step; no row lock is needed. Like PostgreSQL's, the
// claim commits without waiting for the disk (a claim lost to a power cut only runs a task again). A batch of completions
// is one UPDATE ... FROM a VALUES list, so it costs one commit.
import { Binds } from '../binds';
import type { RawTaskRow } from '../rows';
import { CLAIM_ORDER, claimAssignments, readyFilter, type Dialect } from './dialect';
import { completionAssignments, completionFence, insertValues } from './portable';

export const sqliteDialect: Dialect = {
  async claim(runner, params) {
    const binds = new Binds();
    const set = claimAssignments(params, binds);
    const sql =
      `UPDATE tw_tasks SET ${set} WHERE id IN (SELECT id FROM tw_tasks WHERE ${readyFilter(params, binds)} ` +
      `${CLAIM_ORDER} LIMIT ${binds.add(params.limit)}) RETURNING *`;
    return runner.rows<RawTaskRow>(sql, binds.values, { prepare: true, relaxedDurability: true });
  },

  insert: insertValues,

  async complete(runner, workerId, completions) {
    const binds = new Binds();
    const values = completions.map((c) => `(${binds.list([c.id, c.result, c.attempt, c.startedAt, c.finishedAt, c.duration])})`).join(', ');
    const rows = await runner.rows<{ id: string }>(
      `WITH v(id, result, attempt, started_at, finished_at, duration) AS (VALUES ${values}) ` +
        `UPDATE tw_tasks SET ${completionAssignments()} FROM v ` +
        `WHERE ${completionFence((c) => `tw_tasks.${c}`, binds.add(workerId))} RETURNING tw_tasks.id`,
      binds.values);
    return rows.map((r) => r.id);
  },
};
