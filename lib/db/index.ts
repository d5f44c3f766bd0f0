// The one place that picks a database's dialect, from a URL or from a Sequelize instance.
import type { Sequelize } from 'sequelize-typescript';
import { ConfigError } from '../errors';
import { redactUrl } from '../config';
import type { Dialect, DialectName } from './dialect';
import { mariadb } from './mariadb';
import { postgres } from './postgres';
import { sqlite } from './sqlite';

export type { Dialect, DialectName } from './dialect';

const DIALECTS: Record<DialectName, Dialect> = { postgres, mariadb, sqlite };

export function dialectNameOfUrl(url: string): DialectName {
  if (url.startsWith('sqlite:')) return 'sqlite';
  if (url.startsWith('postgres:') || url.startsWith('postgresql:')) return 'postgres';
  if (url.startsWith('mysql:') || url.startsWith('mariadb:')) return 'mariadb';
  throw new ConfigError(`databaseUrl ${redactUrl(url)}: use sqlite:path, postgres://... or mysql://... (MariaDB/MySQL)`);
}

/** The dialect of a Sequelize instance; MySQL is served by the MariaDB dialect. */
export function dialectNameOf(sequelize: Sequelize): DialectName {
  const name = sequelize.getDialect();
  if (name === 'postgres' || name === 'sqlite' || name === 'mariadb') return name;
  if (name === 'mysql') return 'mariadb';
  throw new ConfigError(`dialect ${name} is not supported: use SQLite, PostgreSQL or MariaDB/MySQL`);
}

export function dialectFor(target: Sequelize | DialectName): Dialect {
  return DIALECTS[typeof target === 'string' ? target : dialectNameOf(target)];
}
