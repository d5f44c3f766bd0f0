// Seeing and steering running work. The task row gains its latest progress (JSON), the code of its
// last error, the worker that ran its last finished attempt, a pending cancel of its running
// attempt, and the trace context of the span that created it. tw_task_attempts keeps the failed
// attempts of each task (the last ATTEMPTS_KEPT; a success is the task row itself), and tw_queues
// the queues an operator paused.
import { DataTypes } from 'sequelize';
import type { MigrationContext } from './context';

export const name = '0006-observability';

const TASK_COLUMNS = ['progress', 'error_code', 'last_worker', 'cancel_requested', 'trace_context'] as const;

export async function up({ context }: { context: MigrationContext }): Promise<void> {
  const { queryInterface, transaction, dialect } = context;
  const tableOptions = dialect === 'mariadb' ? { transaction, charset: 'utf8mb4', collate: 'utf8mb4_bin' } : { transaction };
  const longText = dialect === 'mariadb' ? DataTypes.TEXT('long') : DataTypes.TEXT;
  // { percent, info, at } as JSON; info is at most 4,000 characters (lib/progress.ts).
  await queryInterface.addColumn('tw_tasks', 'progress', { type: DataTypes.TEXT }, { transaction });
  await queryInterface.addColumn('tw_tasks', 'error_code', { type: DataTypes.STRING(32) }, { transaction });
  await queryInterface.addColumn('tw_tasks', 'last_worker', { type: DataTypes.STRING(100) }, { transaction });
  // The CancelledError text the running attempt ends with; set only while the task is PROGRESS.
  await queryInterface.addColumn('tw_tasks', 'cancel_requested', { type: DataTypes.TEXT }, { transaction });
  await queryInterface.addColumn('tw_tasks', 'trace_context', { type: DataTypes.STRING(1024) }, { transaction });

  await queryInterface.createTable('tw_task_attempts', {
    task_id: { type: DataTypes.STRING(22), primaryKey: true, allowNull: false },
    // 1, 2, 3... per task, across operator retries (which start retry_count at 0 again).
    seq: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    attempt: { type: DataTypes.INTEGER, allowNull: false },
    error_code: { type: DataTypes.STRING(32), allowNull: false },
    error: { type: longText },
    worker: { type: DataTypes.STRING(100) },
    started_at: { type: DataTypes.BIGINT },
    finished_at: { type: DataTypes.BIGINT, allowNull: false },
    duration: { type: DataTypes.DOUBLE },
  }, tableOptions);
  if (dialect === 'postgres') {
    // Byte-wise like tw_tasks.id (migration 0003).
    await queryInterface.sequelize.query('ALTER TABLE tw_task_attempts ALTER COLUMN task_id TYPE varchar(22) COLLATE "C"', { transaction });
  }

  await queryInterface.createTable('tw_queues', {
    name: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
    // Null: the queue runs. Else when it was paused: workers claim none of its tasks.
    paused_at: { type: DataTypes.BIGINT },
    updated_at: { type: DataTypes.BIGINT, allowNull: false },
  }, tableOptions);
  if (dialect === 'postgres') {
    await queryInterface.sequelize.query('ALTER TABLE tw_queues ALTER COLUMN name TYPE varchar(64) COLLATE "C"', { transaction });
  }
}

export async function down({ context }: { context: MigrationContext }): Promise<void> {
  const { queryInterface, transaction } = context;
  await queryInterface.dropTable('tw_queues', { transaction });
  await queryInterface.dropTable('tw_task_attempts', { transaction });
  // A plain DROP COLUMN everywhere: Sequelize's SQLite removeColumn rebuilds the table and loses its indexes.
  for (const column of [...TASK_COLUMNS].reverse()) {
    await queryInterface.sequelize.query(`ALTER TABLE tw_tasks DROP COLUMN ${column}`, { transaction });
  }
}
