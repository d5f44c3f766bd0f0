// Every reach into Sequelize's undocumented internals, in one place: the driver connection of a
// transaction, the connection pool the runners borrow from, SQLite's per-key connections, the CLS
// namespace and a savepoint's parent. A Sequelize upgrade that moves one of them breaks only here.
import { Sequelize as BaseSequelize, type Transaction } from 'sequelize';
import { Sequelize as TypescriptSequelize, type Sequelize } from 'sequelize-typescript';

/** The driver connection Sequelize holds for a transaction. */
export function connectionOf<C>(transaction: Transaction): C {
  return (transaction as unknown as { connection: C }).connection;
}

/** Sequelize's connection pool, as the runners borrow from it. */
export interface ConnectionPool {
  getConnection(options: object): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void> | void;
}

export function poolOf(sequelize: Sequelize): ConnectionPool {
  return sequelize.connectionManager as unknown as ConnectionPool;
}

/** Runs `fn` on the transaction's connection, or on one borrowed from the pool and given back after. */
export async function onConnection<C, T>(sequelize: Sequelize, transaction: Transaction | undefined, fn: (connection: C) => Promise<T>): Promise<T> {
  if (transaction) return fn(connectionOf<C>(transaction));
  const pool = poolOf(sequelize);
  const connection = (await pool.getConnection({ type: 'write' })) as C;
  try {
    return await fn(connection);
  } finally {
    await pool.releaseConnection(connection);
  }
}

/**
 * SQLite's connection manager keeps one connection per `uuid` (the default one, one per
 * transaction, and any key of ours) and opens it on first use.
 */
export function sqliteConnection<C>(sequelize: Sequelize, uuid?: string): Promise<C> {
  const manager = sequelize.connectionManager as unknown as { getConnection(o: object): Promise<C> };
  return manager.getConnection(uuid === undefined ? { type: 'write' } : { type: 'write', uuid });
}

/**
 * Runs `setup` once on every connection the instance hands out, including connections a user's
 * instance opened before task-worker saw it (an afterConnect hook would miss those), and SQLite's,
 * which have no afterConnect hook. A connection whose setup fails is given back and the error thrown.
 */
export function setUpEachConnection<C extends object>(sequelize: Sequelize, setup: (connection: C) => Promise<void>): void {
  const manager = sequelize.connectionManager as unknown as { getConnection(options?: object): Promise<C>; releaseConnection(c: C): Promise<void> | void };
  const original = manager.getConnection.bind(manager);
  // One setup per connection, shared by concurrent callers (SQLite hands the same connection out
  // again); a failed one is forgotten, so the next caller tries again.
  const setups = new WeakMap<C, Promise<void>>();
  manager.getConnection = async (options?: object) => {
    const connection = await original(options);
    let setting = setups.get(connection);
    if (!setting) {
      setting = setup(connection);
      setups.set(connection, setting);
      setting.catch(() => setups.delete(connection));
    }
    try {
      await setting;
    } catch (error) {
      await Promise.resolve(manager.releaseConnection(connection)).catch(() => undefined);
      throw error;
    }
    return connection;
  };
}

/**
 * Defines DatabaseTask (a sequelize-typescript model) on a plain Sequelize instance, as
 * sequelize-typescript's own addModels does on its instances: its defineModels reads the model's
 * decorators and calls Model.init with this instance.
 */
export function defineModelOn(sequelize: BaseSequelize, models: readonly unknown[]): void {
  const define = (TypescriptSequelize.prototype as unknown as { defineModels(this: BaseSequelize, models: unknown[]): unknown }).defineModels;
  define.call(sequelize, [...models]);
}

/**
 * The transaction Sequelize's CLS namespace holds for this database, if the app called
 * Sequelize.useCLS and is inside a managed transaction; our statements bypass Sequelize's query
 * path, which would otherwise join it.
 */
export function ambientTransaction(sequelize: Sequelize): Transaction | undefined {
  const namespace = (BaseSequelize as unknown as { _cls?: { get(key: string): unknown } })._cls;
  const ambient = namespace?.get('transaction') as (Transaction & { sequelize?: unknown }) | undefined;
  return ambient && ambient.sequelize === sequelize ? ambient : undefined;
}

/**
 * The transaction whose commit makes a row visible. Sequelize runs a savepoint's afterCommit
 * hooks when the savepoint is released, while the outer transaction may still roll back.
 */
export function outermostTransaction(transaction: Transaction): Transaction {
  let root = transaction;
  for (let parent = (root as { parent?: Transaction }).parent; parent; parent = (root as { parent?: Transaction }).parent) root = parent;
  return root;
}

/** The driver's own error inside a Sequelize error (or the error itself, from a runner). */
export function driverError(error: unknown): { code?: unknown; sqlState?: unknown; errno?: unknown } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const outer = error as { parent?: unknown; original?: unknown };
  return (outer.parent ?? outer.original ?? error) as { code?: unknown; sqlState?: unknown; errno?: unknown };
}
