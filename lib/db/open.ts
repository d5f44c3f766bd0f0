// Opens the Sequelize instance for a database URL, with the dialect's driver and session settings,
// and binds the DatabaseTask model to it; or adopts an app's own instance (plain Sequelize or
// sequelize-typescript) the same way. The first query connects.
import { Sequelize as BaseSequelize } from 'sequelize';
import { Sequelize } from 'sequelize-typescript';
import { redactUrl } from '../config';
import { ConfigError } from '../errors';
import { DatabaseTask } from '../model';
import { requireDriver } from './driver';
import { dialectFor, dialectNameOf, dialectNameOfUrl } from './index';
import { defineModelOn } from './sequelize-internals';

export interface DatabaseOptions {
  /** Connection pool size for PostgreSQL and MariaDB. Default 10. */
  poolMax?: number;
}

export function openDatabase(url: string, options: DatabaseOptions = {}): Sequelize {
  const dialect = dialectFor(dialectNameOfUrl(url));
  requireDriver(dialect, redactUrl(url));
  const settings = dialect.connectionSettings(url, options.poolMax ?? 10);
  const sequelizeOptions = { ...settings.options, models: [DatabaseTask] };
  const sequelize = settings.url === undefined ? new Sequelize(sequelizeOptions) : new Sequelize(settings.url, sequelizeOptions);
  dialect.setUpSessions(sequelize);
  return sequelize;
}

/** Instances already set up: two TaskWorkers over one app instance set it up once. */
const adopted = new WeakSet<BaseSequelize>();

/**
 * Makes an app's Sequelize instance ready for task-worker: DatabaseTask defined on it (with
 * sequelize-typescript's addModels, or on a plain instance as addModels would) and the dialect's
 * session settings applied to each of its connections, those already open included.
 */
export function adoptDatabase(sequelize: unknown): Sequelize {
  if (!(sequelize instanceof BaseSequelize)) {
    throw new ConfigError('sequelize must be a Sequelize instance (from the "sequelize" or "sequelize-typescript" package); ' +
      'to let task-worker open the database itself, pass databaseUrl instead');
  }
  const instance = sequelize as Sequelize;
  const dialect = dialectFor(dialectNameOf(instance));
  if (!adopted.has(sequelize)) {
    adopted.add(sequelize);
    dialect.setUpSessions(instance);
  }
  if (typeof instance.addModels === 'function') instance.addModels([DatabaseTask]);
  else defineModelOn(sequelize, [DatabaseTask]);
  return instance;
}
