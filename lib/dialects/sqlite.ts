// SQLite claim: a single UPDATE ... RETURNING. SQLite has one writer at a time, so the
// sub-select and the update form one atomic step; no row lock is needed.
import { Binds } from '../binds';
import type { RawTaskRow } from '../rows';
import { CLAIM_ORDER, claimAssignments, readyFilter, type Dialect } from './dialect';

export const sqliteDialect: Dialect = {
  async claim(runner, params) {
    const binds = new Binds();
    const set = claimAssignments(params, binds);
    const sql =
      `UPDATE tw_tasks SET ${set} WHERE id IN (SELECT id FROM tw_tasks WHERE ${readyFilter(params, binds)} ` +
      `${CLAIM_ORDER} LIMIT ${binds.add(params.limit)}) RETURNING *`;
    return runner.rows<RawTaskRow>(sql, binds.values, { prepare: true });
  },
};
