// Everything PostgreSQL: connection and session settings, the statement runner over pg clients,
// the claim (one UPDATE over a SKIP LOCKED sub-select, so concurrent workers never wait on each
// other's candidates), the unnest-based bulk insert and completion, the migration lock and the
// reading of SQLSTATE codes.
//
// Claims and lease renewals commit without waiting for the WAL flush: a claim lost in a server
// crash only returns the task to PENDING, and the fenced completion of its run then writes
// nothing, so the task runs again (at-least-once). Bulk statements bind one array per column, so
// their shape is fixed and they are prepared once per connection.
import { createHash } from 'node:crypto';
import { Transaction } from 'sequelize';
import type { Sequelize } from 'sequelize-typescript';
import { Binds } from './binds';
import type { Dialect } from './dialect';
import type { TaskRecord } from '../types';
import { KEYED_TASK_COLUMNS, keyedTaskValues, NEW_TASK_COLUMNS, newTaskValues, type RawTaskRow } from './rows';
import type { RunOptions, SqlRunner } from './runner';
import { driverError, onConnection, poolOf, setUpEachConnection } from './sequelize-internals';
import { CLAIM_ORDER, claimAssignments, completionAssignments, completionFence, partialUniqueKeyFilter, readyFilter } from './shared-sql';
import { kindOfSqlState } from './sqlstate';

/** Any constant shared by every task-worker process: the key of the migration's advisory lock. */
const MIGRATION_LOCK_KEY = 7_424_917_001;

/**
 * Every session of ours keeps one generic plan for our prepared statements (only ours are named:
 * Sequelize's are not). The default tries five custom plans first, and a custom plan built on
 * statistics that predate a burst of claims can be a disaster: the batched completion then joins
 * by scanning every PROGRESS row for each task of the batch (0.5 s per batch of 200 in a
 * 10,000-task table, instead of 5 ms). The generic plan reaches each row by primary key whatever
 * the statistics say.
 */
const SESSION_SETUP = 'SET plan_cache_mode TO force_generic_plan';

interface PgClient {
  query(config: { text: string; values: unknown[]; name?: string }): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/**
 * The session of the kept-aside connection, which runs the claims and lease renewals. Commits do
 * not wait for the WAL flush; and the planner may not answer a claim with a bitmap scan and a sort
 * of the whole backlog, which it picks when the statistics are stale (a freshly loaded backlog,
 * before autovacuum analyzes it: 28 ms instead of 6 ms per claim of 200 over 20,000 tasks). The
 * claim's ORDER BY matches the claim indexes, so an ordered index scan is always right.
 */
const RELAXED_SESSION = ['SET synchronous_commit TO OFF', 'SET enable_bitmapscan TO OFF', 'SET enable_sort TO OFF'];
/** Undoes RELAXED_SESSION only: the session's other settings (SESSION_SETUP) stay. */
const RELAXED_SESSION_UNDO = 'RESET synchronous_commit; RESET enable_bitmapscan; RESET enable_sort';

class PostgresRunner implements SqlRunner {
  private readonly names = new Map<string, string>();
  /** One pooled connection kept aside with synchronous_commit off, for relaxed writes. */
  private relaxed: Promise<PgClient> | undefined;
  /** Relaxed statements run one after another on that connection (pg wants no overlap). */
  private relaxedTail: Promise<unknown> = Promise.resolve();

  constructor(private readonly sequelize: Sequelize) {}

  private nameOf(sql: string): string {
    let name = this.names.get(sql);
    if (!name) {
      name = `tw_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
      this.names.set(sql, name);
    }
    return name;
  }

  private async run(sql: string, params: readonly unknown[], options?: RunOptions) {
    const query = { text: sql, values: [...params], ...(options?.prepare ? { name: this.nameOf(sql) } : {}) };
    if (options?.relaxedDurability && !options.transaction) return this.runRelaxed(query);
    return onConnection(this.sequelize, options?.transaction, (client: PgClient) => client.query(query));
  }

  /**
   * Relaxed writes share one connection whose session commits without waiting for the WAL flush:
   * one round trip per statement instead of BEGIN/SET LOCAL/COMMIT around it. A broken
   * connection is dropped and replaced on the next call.
   */
  private async runRelaxed(query: { text: string; values: unknown[]; name?: string }) {
    const pool = poolOf(this.sequelize);
    this.relaxed ??= (async () => {
      const client = (await pool.getConnection({ type: 'write' })) as PgClient;
      for (const text of RELAXED_SESSION) await client.query({ text, values: [] });
      return client;
    })();
    const pending = this.relaxed;
    let client: PgClient;
    try {
      client = await pending;
    } catch (error) {
      if (this.relaxed === pending) this.relaxed = undefined;
      throw error;
    }
    const result = this.relaxedTail.then(() => client.query(query));
    this.relaxedTail = result.catch(() => undefined);
    try {
      return await result;
    } catch (error) {
      // Start afresh on the next call. The connection goes back to the pool only with the default
      // durability and planner settings restored; if even that fails it is broken, and the pool
      // drops it on validation.
      if (this.relaxed === pending) {
        this.relaxed = undefined;
        await client.query({ text: RELAXED_SESSION_UNDO, values: [] }).catch(() => undefined);
        await Promise.resolve(pool.releaseConnection(client)).catch(() => undefined);
      }
      throw error;
    }
  }

  /** Returns the relaxed connection to the pool (before the pool closes). */
  async close(): Promise<void> {
    const pending = this.relaxed;
    this.relaxed = undefined;
    if (!pending) return;
    const client = await pending.catch(() => undefined);
    if (!client) return;
    await client.query({ text: RELAXED_SESSION_UNDO, values: [] }).catch(() => undefined);
    await Promise.resolve(poolOf(this.sequelize).releaseConnection(client)).catch(() => undefined);
  }

  async rows<T>(sql: string, params: readonly unknown[], options?: RunOptions): Promise<T[]> {
    return (await this.run(sql, params, options)).rows as T[];
  }

  async execute(sql: string, params: readonly unknown[], options?: RunOptions): Promise<number> {
    return (await this.run(sql, params, options)).rowCount ?? 0;
  }

  transaction<T>(fn: (transaction: Transaction) => Promise<T>): Promise<T> {
    return this.sequelize.transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.READ_COMMITTED }, fn);
  }
}

const COLUMN_TYPES: Record<(typeof KEYED_TASK_COLUMNS)[number], string> = {
  id: 'text', name: 'text', args: 'text', kwargs: 'text', timeout: 'float8', status: 'text', max_retries: 'int4',
  queue: 'text', priority: 'int4', run_at: 'int8', created_at: 'int8', updated_at: 'int8',
  unique_key: 'text', schedule_key: 'text', scheduled_for: 'int8', trace_context: 'text',
};

/** An INSERT of one array per column (its shape never changes with the row count). */
function unnestInsert(columns: readonly (keyof typeof COLUMN_TYPES)[]): string {
  return `INSERT INTO tw_tasks (${columns.join(', ')}) SELECT * FROM unnest(` +
    columns.map((c, i) => `$${i + 1}::${COLUMN_TYPES[c]}[]`).join(', ') + ')';
}

const INSERT_SQL = unnestInsert(NEW_TASK_COLUMNS);
const INSERT_KEYED_SQL = `${unnestInsert(KEYED_TASK_COLUMNS)} ON CONFLICT DO NOTHING RETURNING id`;

function columnArrays(records: readonly TaskRecord[], width: number, values: (r: TaskRecord) => unknown[]): unknown[][] {
  const columns: unknown[][] = Array.from({ length: width }, () => []);
  for (const record of records) values(record).forEach((value, i) => columns[i].push(value));
  return columns;
}

export const COMPLETE_SQL =
  `UPDATE tw_tasks AS t SET ${completionAssignments('$7', (c) => c, (c) => `t.${c}`)} ` +
  'FROM unnest($1::text[], $2::text[], $3::int4[], $4::int8[], $5::int8[], $6::float8[], $8::text[]) ' +
  'AS v(id, result, attempt, started_at, finished_at, duration, progress) ' +
  `WHERE ${completionFence((c) => `t.${c}`, '$7')} RETURNING t.id`;

export const postgres: Dialect = {
  name: 'postgres',
  driver: 'pg',

  connectionSettings: (url, poolMax) => ({
    url,
    options: { dialect: 'postgres', logging: false, pool: { max: poolMax, min: 0, idle: 10_000, acquire: 30_000 } },
  }),

  setUpSessions(sequelize) {
    // Set per session after connecting rather than as a startup option, which PgBouncer refuses
    // ("unsupported startup parameter") unless told to ignore it.
    setUpEachConnection<PgClient>(sequelize, async (connection) => {
      await connection.query({ text: SESSION_SETUP, values: [] });
    });
  },

  createRunner: (sequelize) => new PostgresRunner(sequelize),

  async claim(runner, params) {
    const binds = new Binds();
    const set = claimAssignments(params, binds, (c) => `t.${c}`);
    const sql =
      `UPDATE tw_tasks AS t SET ${set} FROM (SELECT id FROM tw_tasks WHERE ${readyFilter(params, binds)} ` +
      `${CLAIM_ORDER} LIMIT ${binds.add(params.limit)} FOR UPDATE SKIP LOCKED) AS c WHERE t.id = c.id RETURNING t.*`;
    return runner.rows<RawTaskRow>(sql, binds.values, { prepare: true, relaxedDurability: true });
  },

  async insert(runner, records, transaction) {
    await runner.execute(INSERT_SQL, columnArrays(records, NEW_TASK_COLUMNS.length, newTaskValues), { transaction, prepare: true });
  },

  async insertKeyed(runner, records, transaction) {
    const rows = await runner.rows<{ id: string }>(INSERT_KEYED_SQL, columnArrays(records, KEYED_TASK_COLUMNS.length, keyedTaskValues),
      { transaction, prepare: true });
    return rows.map((r) => r.id);
  },

  activeUniqueKeyFilter: partialUniqueKeyFilter,

  // ON CONFLICT DO NOTHING never raises, so it never aborts the caller's transaction.
  ignoreDuplicates: () => ' ON CONFLICT DO NOTHING',

  skipLocked: ' FOR UPDATE SKIP LOCKED',

  // Local to the transaction: the session's own setting is back after it.
  idleTransactionLimit: (seconds) => ({ begin: [`SET LOCAL idle_in_transaction_session_timeout = ${Math.ceil(seconds * 1000)}`], end: [] }),

  async complete(runner, workerId, completions) {
    const rows = await runner.rows<{ id: string }>(COMPLETE_SQL, [
      completions.map((c) => c.id), completions.map((c) => c.result), completions.map((c) => c.attempt),
      completions.map((c) => c.startedAt), completions.map((c) => c.finishedAt), completions.map((c) => c.duration), workerId,
      completions.map((c) => c.progress ?? null),
    ], { prepare: true });
    return rows.map((r) => r.id);
  },

  migrationLock: {
    transactionType: undefined,
    async acquire(sequelize, transaction) {
      await sequelize.query('SELECT pg_advisory_xact_lock($1)', { bind: [MIGRATION_LOCK_KEY], transaction });
    },
    // A transaction-level advisory lock ends with the transaction.
    async release() {},
  },

  classifyError(error) {
    // PostgreSQL puts the SQLSTATE in `code`.
    return kindOfSqlState(driverError(error)?.code) ?? 'transient';
  },
};
