// PostgreSQL claim: one UPDATE over a SKIP LOCKED sub-select, so concurrent workers never wait
// on each other's candidate rows and never take the same one.
import { Binds } from '../binds';
import type { RawTaskRow } from '../rows';
import { CLAIM_ORDER, claimAssignments, readyFilter, type Dialect } from './dialect';

export const postgresDialect: Dialect = {
  async claim(runner, params) {
    const binds = new Binds();
    const set = claimAssignments(params, binds, (c) => `t.${c}`);
    const sql =
      `UPDATE tw_tasks AS t SET ${set} FROM (SELECT id FROM tw_tasks WHERE ${readyFilter(params, binds)} ` +
      `${CLAIM_ORDER} LIMIT ${binds.add(params.limit)} FOR UPDATE SKIP LOCKED) AS c WHERE t.id = c.id RETURNING t.*`;
    return runner.rows<RawTaskRow>(sql, binds.values, { prepare: true });
  },
};
