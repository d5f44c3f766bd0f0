// The task types workers serve: each worker records its registered handlers' defaults (queue,
// priority, timeout, max_retries; NULL where the handler sets none) at start, so that a process
// that enqueues by name without loading the handler applies them too (see lib/task-types.ts).
import { DataTypes } from 'sequelize';
import type { MigrationContext } from './context';

export const name = '0007-task-types';

export async function up({ context }: { context: MigrationContext }): Promise<void> {
  const { queryInterface, transaction, dialect } = context;
  const tableOptions = dialect === 'mariadb' ? { transaction, charset: 'utf8mb4', collate: 'utf8mb4_bin' } : { transaction };
  await queryInterface.createTable('tw_task_types', {
    name: { type: DataTypes.STRING(200), primaryKey: true, allowNull: false },
    queue: { type: DataTypes.STRING(64) },
    priority: { type: DataTypes.INTEGER },
    timeout: { type: DataTypes.DOUBLE },
    max_retries: { type: DataTypes.INTEGER },
    updated_at: { type: DataTypes.BIGINT, allowNull: false },
  }, tableOptions);
}

export async function down({ context }: { context: MigrationContext }): Promise<void> {
  await context.queryInterface.dropTable('tw_task_types', { transaction: context.transaction });
}
