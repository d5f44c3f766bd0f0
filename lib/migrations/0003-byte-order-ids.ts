// PostgreSQL only: the id and queue columns take the "C" (byte-wise) collation. Ids are
// time-ordered strings whose ASCII order is their creation order, and the claim breaks ties by
// id; under a database's linguistic default collation (en_US: "a" before "B") tasks created in
// the same millisecond were claimed out of order. Byte-wise comparison is also what the indexes
// holding these columns compare fastest. The statement rebuilds those indexes, not the table.
// SQLite compares bytes already, and 0001 gave MariaDB's tables the binary collation.
import type { MigrationContext } from './context';

export const name = '0003-byte-order-ids';

async function setCollation(context: MigrationContext, collation: string): Promise<void> {
  const { queryInterface, transaction, dialect } = context;
  if (dialect !== 'postgres') return;
  await queryInterface.sequelize.query(
    `ALTER TABLE tw_tasks ALTER COLUMN id TYPE varchar(22) COLLATE ${collation}, ALTER COLUMN queue TYPE varchar(64) COLLATE ${collation}`,
    { transaction },
  );
}

export async function up({ context }: { context: MigrationContext }): Promise<void> {
  await setCollation(context, '"C"');
}

export async function down({ context }: { context: MigrationContext }): Promise<void> {
  await setCollation(context, '"default"');
}
