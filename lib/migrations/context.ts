// What each migration receives from the runner.
import type { QueryInterface, Transaction } from 'sequelize';
import type { DialectName } from '../db';

export interface MigrationContext {
  queryInterface: QueryInterface;
  transaction: Transaction | undefined;
  dialect: DialectName;
}
