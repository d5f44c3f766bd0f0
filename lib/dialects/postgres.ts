// PostgreSQL: the claim is one UPDATE over a SKIP LOCKED sub-select (concurrent workers never wait
// on each other's candidates), committed without waiting for the WAL flush: a claim lost in a
// server crash only returns the task to PENDING, and the fenced completion of its run then writes
// nothing, so the task runs again (at-least-once). Bulk insert and bulk completion bind one array
// per column (unnest), so their statements have a fixed shape and are prepared once.
import { Binds } from '../binds';
import { NEW_TASK_COLUMNS, newTaskValues, type RawTaskRow } from '../rows';
import { CLAIM_ORDER, claimAssignments, readyFilter, type Dialect } from './dialect';
import { completionAssignments, completionFence } from './portable';

const COLUMN_TYPES: Record<(typeof NEW_TASK_COLUMNS)[number], string> = {
  id: 'text', name: 'text', args: 'text', kwargs: 'text', timeout: 'float8', status: 'text', max_retries: 'int4',
  queue: 'text', priority: 'int4', run_at: 'int8', created_at: 'int8', updated_at: 'int8',
};

const INSERT_SQL =
  `INSERT INTO tw_tasks (${NEW_TASK_COLUMNS.join(', ')}) SELECT * FROM unnest(` +
  NEW_TASK_COLUMNS.map((c, i) => `$${i + 1}::${COLUMN_TYPES[c]}[]`).join(', ') + ')';

export const COMPLETE_SQL =
  `UPDATE tw_tasks AS t SET ${completionAssignments()} ` +
  'FROM unnest($1::text[], $2::text[], $3::int4[], $4::int8[], $5::int8[], $6::float8[]) ' +
  'AS v(id, result, attempt, started_at, finished_at, duration) ' +
  `WHERE ${completionFence((c) => `t.${c}`, '$7')} RETURNING t.id`;

export const postgresDialect: Dialect = {
  async claim(runner, params) {
    const binds = new Binds();
    const set = claimAssignments(params, binds, (c) => `t.${c}`);
    const sql =
      `UPDATE tw_tasks AS t SET ${set} FROM (SELECT id FROM tw_tasks WHERE ${readyFilter(params, binds)} ` +
      `${CLAIM_ORDER} LIMIT ${binds.add(params.limit)} FOR UPDATE SKIP LOCKED) AS c WHERE t.id = c.id RETURNING t.*`;
    return runner.rows<RawTaskRow>(sql, binds.values, { prepare: true, relaxedDurability: true });
  },

  async insert(runner, records, transaction) {
    const columns: unknown[][] = NEW_TASK_COLUMNS.map(() => []);
    for (const record of records) newTaskValues(record).forEach((value, i) => columns[i].push(value));
    await runner.execute(INSERT_SQL, columns, { transaction, prepare: true });
  },

  async complete(runner, workerId, completions) {
    const rows = await runner.rows<{ id: string }>(COMPLETE_SQL, [
      completions.map((c) => c.id), completions.map((c) => c.result), completions.map((c) => c.attempt),
      completions.map((c) => c.startedAt), completions.map((c) => c.finishedAt), completions.map((c) => c.duration), workerId,
    ], { prepare: true });
    return rows.map((r) => r.id);
  },
};
