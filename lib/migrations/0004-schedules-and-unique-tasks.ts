// Recurring and unique tasks. The task row gains the schedule key and fire time it was made for,
// unique together, so one fire time of a schedule can never have two tasks whoever races to make
// them; and a unique key, unique among tasks that are not final (PENDING, PROGRESS, or FAILED with
// a retry due). PostgreSQL and SQLite say "not final" with a partial unique index; MariaDB has no
// partial index, so a generated column holds the key while the task is not final and NULL after
// (NULLs never collide), with a unique index on it. tw_schedules holds the schedules themselves.
import { DataTypes } from 'sequelize';
import type { MigrationContext } from './context';

export const name = '0004-schedules-and-unique-tasks';

/** A task that may still run; the same literal predicate as the claim's statuses, so the planners can match it. */
export const NOT_FINAL = "(status IN ('PENDING', 'PROGRESS') OR (status = 'FAILED' AND run_at IS NOT NULL))";

export async function up({ context }: { context: MigrationContext }): Promise<void> {
  const { queryInterface, transaction, dialect } = context;
  const sequelize = queryInterface.sequelize;
  await queryInterface.addColumn('tw_tasks', 'unique_key', { type: DataTypes.STRING(255) }, { transaction });
  await queryInterface.addColumn('tw_tasks', 'schedule_key', { type: DataTypes.STRING(200) }, { transaction });
  await queryInterface.addColumn('tw_tasks', 'scheduled_for', { type: DataTypes.BIGINT }, { transaction });
  if (dialect === 'mariadb') {
    await sequelize.query(
      `ALTER TABLE tw_tasks ADD COLUMN unique_active VARCHAR(255) AS (CASE WHEN ${NOT_FINAL} THEN unique_key END) VIRTUAL`,
      { transaction });
    await sequelize.query('CREATE UNIQUE INDEX tw_tasks_unique_active ON tw_tasks (unique_active)', { transaction });
    await sequelize.query('CREATE UNIQUE INDEX tw_tasks_schedule_fire ON tw_tasks (schedule_key, scheduled_for)', { transaction });
  } else {
    // Partial: the many tasks without a key never enter these indexes.
    await sequelize.query(`CREATE UNIQUE INDEX tw_tasks_unique_active ON tw_tasks (unique_key) WHERE unique_key IS NOT NULL AND ${NOT_FINAL}`,
      { transaction });
    await sequelize.query('CREATE UNIQUE INDEX tw_tasks_schedule_fire ON tw_tasks (schedule_key, scheduled_for) WHERE schedule_key IS NOT NULL',
      { transaction });
  }

  const tableOptions = dialect === 'mariadb' ? { transaction, charset: 'utf8mb4', collate: 'utf8mb4_bin' } : { transaction };
  const longText = dialect === 'mariadb' ? DataTypes.TEXT('long') : DataTypes.TEXT;
  await queryInterface.createTable('tw_schedules', {
    schedule_key: { type: DataTypes.STRING(200), primaryKey: true, allowNull: false },
    task: { type: DataTypes.STRING(200), allowNull: false },
    cron: { type: DataTypes.STRING(200) },
    every_ms: { type: DataTypes.BIGINT },
    timezone: { type: DataTypes.STRING(64), allowNull: false },
    args: { type: longText, allowNull: false },
    kwargs: { type: longText, allowNull: false },
    queue: { type: DataTypes.STRING(64) },
    priority: { type: DataTypes.INTEGER },
    max_retries: { type: DataTypes.INTEGER },
    timeout: { type: DataTypes.DOUBLE },
    catch_up: { type: DataTypes.STRING(32), allowNull: false },
    source: { type: DataTypes.STRING(16), allowNull: false },
    paused: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    // The first fire time not yet handled; advanced by compare-and-set in the transaction that
    // inserts the fire's tasks. Null: the schedule never fires again.
    next_fire_at: { type: DataTypes.BIGINT },
    last_fire_at: { type: DataTypes.BIGINT },
    last_task_id: { type: DataTypes.STRING(22) },
    created_at: { type: DataTypes.BIGINT, allowNull: false },
    updated_at: { type: DataTypes.BIGINT, allowNull: false },
  }, tableOptions);
  await queryInterface.addIndex('tw_schedules', ['next_fire_at'], { name: 'tw_schedules_next', transaction });
}

export async function down({ context }: { context: MigrationContext }): Promise<void> {
  const { queryInterface, transaction, dialect } = context;
  const sequelize = queryInterface.sequelize;
  await queryInterface.dropTable('tw_schedules', { transaction });
  if (dialect === 'mariadb') {
    await sequelize.query('DROP INDEX tw_tasks_schedule_fire ON tw_tasks', { transaction });
    await sequelize.query('DROP INDEX tw_tasks_unique_active ON tw_tasks', { transaction });
    await sequelize.query('ALTER TABLE tw_tasks DROP COLUMN unique_active', { transaction });
  } else {
    await sequelize.query('DROP INDEX tw_tasks_schedule_fire', { transaction });
    await sequelize.query('DROP INDEX tw_tasks_unique_active', { transaction });
  }
  // A plain DROP COLUMN everywhere: Sequelize's SQLite removeColumn rebuilds the table and loses its indexes.
  for (const column of ['scheduled_for', 'schedule_key', 'unique_key']) {
    await sequelize.query(`ALTER TABLE tw_tasks DROP COLUMN ${column}`, { transaction });
  }
}
