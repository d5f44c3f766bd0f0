// What each migration receives from the runner.
import type { QueryInterface, Transaction } from 'sequelize';
import type { DialectName } from '../db/dialect';

export interface MigrationContext {
  queryInterface: QueryInterface;
  transaction: Transaction | undefined;
  dialect: DialectName;
}
