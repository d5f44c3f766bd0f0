// Everything MariaDB (and MySQL): connection and session settings, the statement runner over mysql2
// connections, the claim, the bulk completion, the migration lock and the reading of its errors.
//
// Every session reads committed data: the default REPEATABLE READ takes gap locks on the status
// ranges that claims, completions and lease renewals all touch, and they deadlock. The claim is
// SELECT ... FOR UPDATE SKIP LOCKED then UPDATE, in one transaction. MariaDB has no UPDATE ...
// RETURNING, so the claim returns the selected rows with its changes applied, and a batch of
// completions first locks the rows this worker still holds, then updates exactly those.
import { Transaction } from 'sequelize';
import type { Sequelize } from 'sequelize-typescript';
import { Binds } from './binds';
import { destroyWhenDropped, type DroppableConnection } from './mariadb-dropped';
import type { Dialect } from './dialect';
import type { RawTaskRow } from './rows';
import { toQuestionMarks, type RunOptions, type SqlRunner } from './runner';
import { driverError, onConnection, setUpEachConnection } from './sequelize-internals';
import { CLAIM_ORDER, claimAssignments, completionAssignments, insertKeyedValues, insertValues, NO_CANCEL_PENDING, readyFilter } from './shared-sql';
import { kindOfSqlState } from './sqlstate';

const SESSION_SETUP = 'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED';

/**
 * mysql2 settings. `typeCast: true` keeps the driver's own conversions instead of Sequelize's hook,
 * which wraps every field of every row in a new object (it nearly tripled the worker's CPU in a
 * MariaDB drain) and only converts column types this schema does not have (DATE, DATETIME, GEOMETRY).
 */
const DRIVER_OPTIONS = { connectTimeout: 10_000, typeCast: true };

/*
 * The runner: fixed-shape statements are server-side prepared (execute, cached per connection);
 * variable-shape ones (bulk inserts, IN lists) go through the driver's escaping, so the server's
 * prepared-statement cap is safe.
 */
type Callback = (error: Error | null, result: unknown) => void;

interface MysqlConnection {
  execute(sql: string, values: unknown[], callback: Callback): void;
  query(sql: string, values: unknown[], callback: Callback): void;
}

class MariadbRunner implements SqlRunner {
  constructor(private readonly sequelize: Sequelize) {}

  private async run(sql: string, params: readonly unknown[], options?: RunOptions): Promise<unknown> {
    const { text, values } = toQuestionMarks(sql, params);
    const call = (connection: MysqlConnection) =>
      new Promise<unknown>((resolve, reject) => {
        const done: Callback = (error, result) => (error ? reject(error) : resolve(result));
        if (options?.prepare) connection.execute(text, values, done);
        else connection.query(text, values, done);
      });
    return onConnection(this.sequelize, options?.transaction, call);
  }

  async rows<T>(sql: string, params: readonly unknown[], options?: RunOptions): Promise<T[]> {
    return (await this.run(sql, params, options)) as T[];
  }

  async execute(sql: string, params: readonly unknown[], options?: RunOptions): Promise<number> {
    return ((await this.run(sql, params, options)) as { affectedRows: number }).affectedRows;
  }

  transaction<T>(fn: (transaction: Transaction) => Promise<T>): Promise<T> {
    return this.sequelize.transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.READ_COMMITTED }, fn);
  }
}

export const mariadb: Dialect = {
  name: 'mariadb',
  driver: 'mysql2',

  connectionSettings: (url, poolMax) => ({
    // MariaDB and MySQL both go through Sequelize's mysql dialect and the mysql2 driver.
    url: url.replace(/^(mysql|mariadb):/, 'mysql:'),
    options: { dialect: 'mysql', logging: false, pool: { max: poolMax, min: 0, idle: 10_000, acquire: 30_000 }, dialectOptions: DRIVER_OPTIONS },
  }),

  setUpSessions(sequelize) {
    setUpEachConnection<MysqlConnection & DroppableConnection>(sequelize, async (connection) => {
      destroyWhenDropped(connection);
      await new Promise<void>((resolve, reject) => connection.query(SESSION_SETUP, [], (e) => (e ? reject(e) : resolve())));
    });
  },

  createRunner: (sequelize) => new MariadbRunner(sequelize),

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
        progress: null,
        retry_count: Number(row.retry_count) + retryIncrement,
        max_retries: row.max_retries ?? params.defaultMaxRetries,
      }));
    });
  },

  insert: insertValues,

  async insertKeyed(runner, records, transaction) {
    const binds = new Binds();
    await runner.execute(insertKeyedValues(records, binds, mariadb.ignoreDuplicates('id')), binds.values, { transaction });
    // No RETURNING on MySQL: read back which of our (fresh, unique) ids are there.
    const read = new Binds();
    const rows = await runner.rows<{ id: string }>(`SELECT id FROM tw_tasks WHERE id IN (${read.list(records.map((r) => r.id))})`,
      read.values, { transaction });
    return rows.map((r) => r.id);
  },

  // The generated column unique_active (migration 0004) holds the key while the task is not final.
  activeUniqueKeyFilter: (binds, keys) => `unique_active IN (${binds.list(keys)})`,

  // A no-op update rather than INSERT IGNORE, which would also turn other errors into warnings.
  ignoreDuplicates: (column) => ` ON DUPLICATE KEY UPDATE ${column} = ${column}`,

  skipLocked: ' FOR UPDATE SKIP LOCKED',

  idleTransactionLimit: (seconds) => ({
    begin: [`SET SESSION idle_transaction_timeout = ${Math.ceil(seconds)}`],
    end: ['SET SESSION idle_transaction_timeout = DEFAULT'],
  }),

  async complete(runner, workerId, completions) {
    return runner.transaction(async (transaction) => {
      const lockBinds = new Binds();
      const held = await runner.rows<{ id: string; retry_count: number | string }>(
        `SELECT id, retry_count FROM tw_tasks WHERE status = 'PROGRESS' AND locked_by = ${lockBinds.add(workerId)} ` +
          `AND id IN (${lockBinds.list(completions.map((c) => c.id))}) AND ${NO_CANCEL_PENDING()} FOR UPDATE`, lockBinds.values, { transaction });
      const attempts = new Map(held.map((r) => [r.id, Number(r.retry_count)]));
      const owned = completions.filter((c) => attempts.get(c.id) === c.attempt);
      if (owned.length === 0) return [];
      const binds = new Binds();
      const worker = binds.add(workerId);
      const rows = owned.map((c, i) => {
        const values = [c.id, c.result, c.startedAt, c.finishedAt, c.duration, c.progress ?? null].map((v) => binds.add(v));
        return i === 0
          ? `SELECT ${values[0]} AS id, ${values[1]} AS result, ${values[2]} AS started_at, ${values[3]} AS finished_at, ` +
            `${values[4]} AS duration, ${values[5]} AS progress`
          : `SELECT ${values.join(', ')}`;
      });
      await runner.execute(
        `UPDATE tw_tasks AS t JOIN (${rows.join(' UNION ALL ')}) AS v ON t.id = v.id SET ${completionAssignments(worker, (c) => `t.${c}`)}`,
        binds.values, { transaction });
      return owned.map((c) => c.id);
    });
  },

  migrationLock: {
    transactionType: undefined,
    // A session lock: DDL commits implicitly on MariaDB, so a transaction alone would not hold it.
    async acquire(sequelize, transaction) {
      await sequelize.query("SELECT GET_LOCK('tw_migrate', 60)", { transaction });
    },
    async release(sequelize, transaction) {
      await sequelize.query("SELECT RELEASE_LOCK('tw_migrate')", { transaction });
    },
  },

  classifyError(error) {
    const cause = driverError(error);
    // 1213 deadlock, 1205 lock wait timeout: rolled back, run it again.
    if (cause?.errno === 1213 || cause?.errno === 1205) return 'conflict';
    // A statement over max_allowed_packet: the server also drops the connection (SQLSTATE 08S01).
    if (cause?.errno === 1153) return 'permanent';
    // mysql2 puts the SQLSTATE in `sqlState`; its `code` is a name like ER_DATA_TOO_LONG.
    return kindOfSqlState(cause?.sqlState) ?? 'transient';
  },
};
