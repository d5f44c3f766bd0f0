// Picks the statement runner for a Sequelize instance's dialect.
import type { Sequelize } from 'sequelize-typescript';
import { dialectOf } from '../db';
import { MysqlRunner } from './mysql-runner';
import { PostgresRunner } from './postgres-runner';
import type { SqlRunner } from './runner';
import { SqliteRunner } from './sqlite-runner';

export function runnerFor(sequelize: Sequelize): SqlRunner {
  switch (dialectOf(sequelize)) {
    case 'postgres': return new PostgresRunner(sequelize);
    case 'mariadb': return new MysqlRunner(sequelize);
    case 'sqlite': return new SqliteRunner(sequelize);
  }
}
