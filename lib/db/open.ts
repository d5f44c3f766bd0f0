// Opens the Sequelize instance for a database URL, with the dialect's driver and session settings,
// and binds the DatabaseTask model to it. The first query connects.
import { Sequelize } from 'sequelize-typescript';
import { DatabaseTask } from '../model';
import { dialectFor, dialectNameOfUrl } from './index';

export interface DatabaseOptions {
  /** Connection pool size for PostgreSQL and MariaDB. Default 10. */
  poolMax?: number;
}

export function openDatabase(url: string, options: DatabaseOptions = {}): Sequelize {
  const dialect = dialectFor(dialectNameOfUrl(url));
  const settings = dialect.connectionSettings(url, options.poolMax ?? 10);
  const sequelizeOptions = { ...settings.options, models: [DatabaseTask] };
  const sequelize = settings.url === undefined ? new Sequelize(sequelizeOptions) : new Sequelize(settings.url, sequelizeOptions);
  dialect.setUpSessions(sequelize);
  return sequelize;
}
