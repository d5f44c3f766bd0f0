// Opens the Sequelize connection for a database URL and binds the DatabaseTask model to it.
// SQLite gets WAL (readers never block the writer), synchronous=FULL (a commit survives power loss,
// as on PostgreSQL) and a busy timeout on every connection, so several processes can share one file.
import { Sequelize } from 'sequelize-typescript';
import type { Dialect as SequelizeDialect } from 'sequelize';
import { ConfigError } from './errors';
import { redactUrl } from './config';
import { DatabaseTask } from './model';

export type DialectName = 'postgres' | 'mariadb' | 'sqlite';

const SQLITE_BUSY_TIMEOUT_MS = 10_000;

export function dialectOfUrl(url: string): DialectName {
  if (url.startsWith('sqlite:')) return 'sqlite';
  if (url.startsWith('postgres:') || url.startsWith('postgresql:')) return 'postgres';
  if (url.startsWith('mysql:') || url.startsWith('mariadb:')) return 'mariadb';
  throw new ConfigError(`databaseUrl ${redactUrl(url)}: use sqlite:path, postgres://... or mysql://... (MariaDB/MySQL)`);
}

/** 'sqlite:tasks.db', 'sqlite:/abs/tasks.db', 'sqlite::memory:' and 'sqlite://./tasks.db' all work. */
function sqliteStorage(url: string): string {
  const rest = url.slice('sqlite:'.length);
  return rest.startsWith('//') ? rest.slice(2) : rest;
}

interface SqliteConnection {
  configure(option: 'busyTimeout', ms: number): void;
  exec(sql: string, callback: (error: Error | null) => void): void;
}

/** Every new SQLite connection (Sequelize opens one per transaction) waits on a busy file. */
function tuneSqliteConnections(sequelize: Sequelize): void {
  const manager = sequelize.connectionManager as unknown as { getConnection(options?: object): Promise<SqliteConnection> };
  const original = manager.getConnection.bind(manager);
  const tuned = new WeakSet<SqliteConnection>();
  manager.getConnection = async (options?: object) => {
    const connection = await original(options);
    if (!tuned.has(connection)) {
      tuned.add(connection);
      connection.configure('busyTimeout', SQLITE_BUSY_TIMEOUT_MS);
      await new Promise<void>((resolve, reject) =>
        connection.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;', (e) => (e ? reject(e) : resolve())));
    }
    return connection;
  };
}

interface MysqlConnection {
  query(sql: string, callback: (error: Error | null) => void): void;
}

/**
 * mysql2 settings. `typeCast: true` keeps the driver's own conversions instead of Sequelize's hook,
 * which wraps every field of every row in a new object (it nearly tripled the worker's CPU in a
 * MariaDB drain) and only converts column types this schema does not have (DATE, DATETIME, GEOMETRY).
 */
const MARIADB_DRIVER_OPTIONS = { connectTimeout: 10_000, typeCast: true };

/**
 * Every MariaDB session of ours reads committed data: the default REPEATABLE READ takes gap locks
 * on the status ranges that claims, completions and lease renewals all touch, and they deadlock.
 */
function readCommittedSessions(sequelize: Sequelize): void {
  sequelize.addHook('afterConnect', async (connection: unknown) => {
    const conn = connection as MysqlConnection;
    await new Promise<void>((resolve, reject) =>
      conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', (e) => (e ? reject(e) : resolve())));
  });
}

/**
 * Our prepared statements (only ours are named: Sequelize's are not) keep one generic plan. The
 * default tries five custom plans first, and a custom plan built on statistics that predate a
 * burst of claims can be a disaster: the batched completion then joins by scanning every PROGRESS
 * row for each task of the batch (0.5 s per batch of 200 in a 10,000-task table, instead of 5 ms).
 * The generic plan reaches each row by primary key whatever the statistics say.
 */
const POSTGRES_SESSION_SETUP = 'SET plan_cache_mode TO force_generic_plan';

interface PgConnection {
  query(sql: string): Promise<unknown>;
}

/**
 * Set per session after connecting rather than as a startup option, which PgBouncer refuses
 * ("unsupported startup parameter") unless told to ignore it.
 */
function genericPlanSessions(sequelize: Sequelize): void {
  sequelize.addHook('afterConnect', async (connection: unknown) => {
    await (connection as PgConnection).query(POSTGRES_SESSION_SETUP);
  });
}

export interface DatabaseOptions {
  /** Connection pool size for PostgreSQL and MariaDB. Default 10. */
  poolMax?: number;
}

/** Opens (lazily: the first query connects) a Sequelize instance with DatabaseTask bound to it. */
export function openDatabase(url: string, options: DatabaseOptions = {}): Sequelize {
  const dialect = dialectOfUrl(url);
  const common = { logging: false as const, models: [DatabaseTask] };
  let sequelize: Sequelize;
  if (dialect === 'sqlite') {
    sequelize = new Sequelize({ ...common, dialect: 'sqlite', storage: sqliteStorage(url) });
    tuneSqliteConnections(sequelize);
  } else {
    // MariaDB and MySQL both go through Sequelize's mysql dialect and the mysql2 driver.
    const normalized = url.replace(/^(mysql|mariadb):/, 'mysql:');
    sequelize = new Sequelize(normalized, {
      ...common,
      dialect: (dialect === 'mariadb' ? 'mysql' : dialect) as SequelizeDialect,
      pool: { max: options.poolMax ?? 10, min: 0, idle: 10_000, acquire: 30_000 },
      ...(dialect === 'mariadb' ? { dialectOptions: MARIADB_DRIVER_OPTIONS } : {}),
    });
    if (dialect === 'mariadb') readCommittedSessions(sequelize);
    if (dialect === 'postgres') genericPlanSessions(sequelize);
  }
  return sequelize;
}

export function dialectOf(sequelize: Sequelize): DialectName {
  const name = sequelize.getDialect();
  if (name === 'postgres' || name === 'sqlite' || name === 'mariadb') return name;
  if (name === 'mysql') return 'mariadb';
  throw new ConfigError(`dialect ${name} is not supported: use SQLite, PostgreSQL or MariaDB/MySQL`);
}
