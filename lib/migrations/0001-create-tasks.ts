// The first schema: the task table with the seed's columns plus queue, priority, run_at,
// max_retries and the lease columns; the lock table for the database-only lock fallback.
import { DataTypes } from 'sequelize';
import type { MigrationContext } from './context';

export const name = '0001-create-tasks';

export async function up({ context }: { context: MigrationContext }): Promise<void> {
  const { queryInterface, transaction, dialect } = context;
  // Binary collation on MariaDB: ids and names compare case-sensitively, as on the other databases.
  const tableOptions = dialect === 'mariadb' ? { transaction, charset: 'utf8mb4', collate: 'utf8mb4_bin' } : { transaction };
  // LONGTEXT on MariaDB, whose plain TEXT stops at 64 KiB; TEXT (unbounded) on the others.
  const longText = dialect === 'mariadb' ? DataTypes.TEXT('long') : DataTypes.TEXT;
  await queryInterface.createTable('tw_tasks', {
    id: { type: DataTypes.STRING(22), primaryKey: true, allowNull: false },
    name: { type: DataTypes.STRING(200), allowNull: false },
    args: { type: longText, allowNull: false },
    kwargs: { type: longText, allowNull: false },
    timeout: { type: DataTypes.DOUBLE, allowNull: false },
    status: { type: DataTypes.STRING(16), allowNull: false },
    result: { type: longText },
    error: { type: longText },
    retry_count: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    max_retries: { type: DataTypes.INTEGER },
    queue: { type: DataTypes.STRING(64), allowNull: false, defaultValue: 'default' },
    priority: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    run_at: { type: DataTypes.BIGINT },
    created_at: { type: DataTypes.BIGINT, allowNull: false },
    updated_at: { type: DataTypes.BIGINT, allowNull: false },
    started_at: { type: DataTypes.BIGINT },
    finished_at: { type: DataTypes.BIGINT },
    duration: { type: DataTypes.DOUBLE },
    locked_by: { type: DataTypes.STRING(100) },
    lease_expires_at: { type: DataTypes.BIGINT },
  }, tableOptions);
  // The claim walks one of these two in order (status equal, then priority, run_at, id) and
  // stops after LIMIT rows: an index scan whatever the size of the finished history.
  await queryInterface.addIndex('tw_tasks', ['status', 'priority', 'run_at', 'id'], { name: 'tw_tasks_claim', transaction });
  await queryInterface.addIndex('tw_tasks', ['status', 'queue', 'priority', 'run_at', 'id'], { name: 'tw_tasks_claim_queue', transaction });
  // Purging finished tasks by age, and listing by status, without a full scan.
  await queryInterface.addIndex('tw_tasks', ['status', 'finished_at'], { name: 'tw_tasks_finished', transaction });

  await queryInterface.createTable('tw_locks', {
    name: { type: DataTypes.STRING(100), primaryKey: true, allowNull: false },
    owner: { type: DataTypes.STRING(100), allowNull: false },
    expires_at: { type: DataTypes.BIGINT, allowNull: false },
  }, tableOptions);
}

export async function down({ context }: { context: MigrationContext }): Promise<void> {
  const { queryInterface, transaction } = context;
  await queryInterface.dropTable('tw_locks', { transaction });
  await queryInterface.dropTable('tw_tasks', { transaction });
}
