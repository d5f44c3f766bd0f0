// Picks the dialect's claim for a Sequelize instance.
import type { Sequelize } from 'sequelize-typescript';
import { dialectOf } from '../db';
import type { Dialect } from './dialect';
import { mariadbDialect } from './mariadb';
import { postgresDialect } from './postgres';
import { sqliteDialect } from './sqlite';

export function dialectFor(sequelize: Sequelize): Dialect {
  switch (dialectOf(sequelize)) {
    case 'postgres': return postgresDialect;
    case 'mariadb': return mariadbDialect;
    case 'sqlite': return sqliteDialect;
  }
}
