// MariaDB/MySQL claim: SELECT ... FOR UPDATE SKIP LOCKED then UPDATE in one READ COMMITTED
// transaction (no gap locks against inserts). MariaDB has no UPDATE ... RETURNING, so the
// returned rows are the selected ones with the claim's changes applied.
import { Binds } from '../binds';
import type { RawTaskRow } from '../rows';
import { CLAIM_ORDER, claimAssignments, readyFilter, type Dialect } from './dialect';

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
};
