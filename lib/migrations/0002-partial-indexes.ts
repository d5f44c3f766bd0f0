// Partial indexes on PostgreSQL and SQLite: each index holds only the rows of the status it
// serves. A task's row then enters two or three indexes in its whole life instead of every index
// at every state change (a claim adds one entry instead of four, a completion one instead of
// four), and the claim walks an index of ready tasks only. MariaDB has no partial indexes and
// keeps the full ones of 0001.
import type { MigrationContext } from './context';

export const name = '0002-partial-indexes';

const RETRYABLE = "status = 'FAILED' AND run_at IS NOT NULL";

/** name, columns, predicate. The claim's WHERE names the status as a literal, so both planners match it. */
const PARTIAL_INDEXES: ReadonlyArray<readonly [string, string, string]> = [
  ['tw_tasks_pending', 'priority, run_at, id', "status = 'PENDING'"],
  ['tw_tasks_pending_queue', 'queue, priority, run_at, id', "status = 'PENDING'"],
  ['tw_tasks_retry', 'priority, run_at, id', RETRYABLE],
  ['tw_tasks_retry_queue', 'queue, priority, run_at, id', RETRYABLE],
  // The stale-lease sweep, lease renewal and the lost-lease check.
  ['tw_tasks_leases', 'lease_expires_at', "status = 'PROGRESS'"],
  // Purging finished tasks by age.
  ['tw_tasks_completed', 'finished_at', "status = 'COMPLETED'"],
  ['tw_tasks_failed', 'finished_at', "status = 'FAILED' AND run_at IS NULL"],
];

const FULL_INDEXES = ['tw_tasks_claim', 'tw_tasks_claim_queue', 'tw_tasks_finished'];

export async function up({ context }: { context: MigrationContext }): Promise<void> {
  const { queryInterface, transaction, dialect } = context;
  if (dialect === 'mariadb') return;
  const sequelize = queryInterface.sequelize;
  for (const [index, columns, predicate] of PARTIAL_INDEXES) {
    await sequelize.query(`CREATE INDEX ${index} ON tw_tasks (${columns}) WHERE ${predicate}`, { transaction });
  }
  for (const index of FULL_INDEXES) await sequelize.query(`DROP INDEX ${index}`, { transaction });
}

export async function down({ context }: { context: MigrationContext }): Promise<void> {
  const { queryInterface, transaction, dialect } = context;
  if (dialect === 'mariadb') return;
  await queryInterface.addIndex('tw_tasks', ['status', 'priority', 'run_at', 'id'], { name: 'tw_tasks_claim', transaction });
  await queryInterface.addIndex('tw_tasks', ['status', 'queue', 'priority', 'run_at', 'id'], { name: 'tw_tasks_claim_queue', transaction });
  await queryInterface.addIndex('tw_tasks', ['status', 'finished_at'], { name: 'tw_tasks_finished', transaction });
  for (const [index] of PARTIAL_INDEXES) await queryInterface.sequelize.query(`DROP INDEX ${index}`, { transaction });
}
