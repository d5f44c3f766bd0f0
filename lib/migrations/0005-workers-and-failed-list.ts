// The worker registry (tw_workers: one row per live worker process, heartbeated, deleted on a clean
// stop, kept a day after a worker is lost) and, on PostgreSQL and SQLite, the partial index that
// lists tasks failed for good newest first, by queue or by name: only rows that failed for good
// enter it, so a task that succeeds never touches it. MariaDB has no partial indexes and gets none.
import { DataTypes } from 'sequelize';
import type { MigrationContext } from './context';

export const name = '0005-workers-and-failed-list';

export async function up({ context }: { context: MigrationContext }): Promise<void> {
  const { queryInterface, transaction, dialect } = context;
  const tableOptions = dialect === 'mariadb' ? { transaction, charset: 'utf8mb4', collate: 'utf8mb4_bin' } : { transaction };
  await queryInterface.createTable('tw_workers', {
    id: { type: DataTypes.STRING(100), primaryKey: true, allowNull: false },
    host: { type: DataTypes.STRING(255), allowNull: false },
    pid: { type: DataTypes.INTEGER, allowNull: false },
    /** JSON array of the queues it takes; [] for every queue. */
    queues: { type: DataTypes.TEXT, allowNull: false },
    concurrency: { type: DataTypes.INTEGER, allowNull: false },
    prefetch: { type: DataTypes.INTEGER, allowNull: false },
    pool: { type: DataTypes.STRING(16), allowNull: false },
    lease_ms: { type: DataTypes.INTEGER, allowNull: false },
    /** Tasks executing at the last heartbeat. */
    running: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    started_at: { type: DataTypes.BIGINT, allowNull: false },
    last_seen_at: { type: DataTypes.BIGINT, allowNull: false },
    /** last_seen_at + lease: past it, the worker is lost (its tasks are being recovered). */
    expires_at: { type: DataTypes.BIGINT, allowNull: false },
  }, tableOptions);
  if (dialect === 'mariadb') return;
  // "Failed for good, newest first", with an index condition on queue or name: an ordered scan of
  // ids that never visits the rows it skips (deferred join in store/dashboard-statements.ts).
  await queryInterface.sequelize.query(
    "CREATE INDEX tw_tasks_failed_list ON tw_tasks (id, queue, name) WHERE status = 'FAILED' AND run_at IS NULL", { transaction });
}

export async function down({ context }: { context: MigrationContext }): Promise<void> {
  const { queryInterface, transaction, dialect } = context;
  if (dialect !== 'mariadb') await queryInterface.sequelize.query('DROP INDEX tw_tasks_failed_list', { transaction });
  await queryInterface.dropTable('tw_workers', { transaction });
}
