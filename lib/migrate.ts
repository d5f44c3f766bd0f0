// Runs the schema migrations with Umzug, identically on every dialect. One migrator at a time:
// the run holds the dialect's migration lock (see lib/db), so workers starting together do not
// race; a second run finds nothing pending and does nothing.
import type { UmzugStorage } from 'umzug';
import { QueryTypes, type Transaction } from 'sequelize';
import type { Sequelize } from 'sequelize-typescript';
import { dialectFor } from './db/index';
import type { Dialect } from './db/dialect';
import type { MigrationContext } from './migrations/context';
import * as createTasks from './migrations/0001-create-tasks';
import * as partialIndexes from './migrations/0002-partial-indexes';
import * as byteOrderIds from './migrations/0003-byte-order-ids';
import * as schedules from './migrations/0004-schedules-and-unique-tasks';
import * as workersAndFailedList from './migrations/0005-workers-and-failed-list';
import * as observability from './migrations/0006-observability';
import * as taskTypes from './migrations/0007-task-types';

const MIGRATIONS = [createTasks, partialIndexes, byteOrderIds, schedules, workersAndFailedList, observability, taskTypes];
const MIGRATION_TABLE = 'tw_migrations';

/** Umzug storage in our own table, writing inside the migration's transaction. */
function transactionalStorage(sequelize: Sequelize, transaction: Transaction | undefined): UmzugStorage<MigrationContext> {
  const ensureTable = () => sequelize.getQueryInterface().createTable(
    MIGRATION_TABLE, { name: { type: 'VARCHAR(255)', primaryKey: true, allowNull: false } }, { transaction });
  return {
    async executed() {
      await ensureTable();
      const rows = await sequelize.query<{ name: string }>(`SELECT name FROM ${MIGRATION_TABLE} ORDER BY name`,
        { type: QueryTypes.SELECT, transaction });
      return rows.map((row) => row.name);
    },
    async logMigration({ name }) {
      await sequelize.query(`INSERT INTO ${MIGRATION_TABLE} (name) VALUES ($1)`, { bind: [name], transaction });
    },
    async unlogMigration({ name }) {
      await sequelize.query(`DELETE FROM ${MIGRATION_TABLE} WHERE name = $1`, { bind: [name], transaction });
    },
  };
}

/**
 * Umzug is loaded only when migrations run: it brings its command-line stack along (16 MiB of
 * resident memory), which a worker that never migrates should not carry.
 */
async function buildUmzug(sequelize: Sequelize, dialect: Dialect, transaction: Transaction | undefined) {
  const { Umzug } = await import('umzug');
  const context: MigrationContext = { queryInterface: sequelize.getQueryInterface(), transaction, dialect: dialect.name };
  return new Umzug<MigrationContext>({
    migrations: MIGRATIONS.map((m) => ({ name: m.name, up: m.up, down: m.down })),
    context,
    storage: transactionalStorage(sequelize, transaction),
    logger: undefined,
  });
}

async function withMigrationLock<T>(sequelize: Sequelize, dialect: Dialect, run: (t: Transaction) => Promise<T>): Promise<T> {
  const lock = dialect.migrationLock;
  return sequelize.transaction({ type: lock.transactionType }, async (transaction) => {
    await lock.acquire(sequelize, transaction);
    try {
      return await run(transaction);
    } finally {
      await lock.release(sequelize, transaction);
    }
  });
}

/** Applies every pending migration; returns the names applied (empty when up to date). */
export async function migrate(sequelize: Sequelize): Promise<string[]> {
  const dialect = dialectFor(sequelize);
  return withMigrationLock(sequelize, dialect, async (transaction) => {
    const applied = await (await buildUmzug(sequelize, dialect, transaction)).up();
    return applied.map((m) => m.name);
  });
}

/** Names of the migrations not yet applied. */
export async function pendingMigrations(sequelize: Sequelize): Promise<string[]> {
  const pending = await (await buildUmzug(sequelize, dialectFor(sequelize), undefined)).pending();
  return pending.map((m) => m.name);
}
