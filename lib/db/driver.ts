// The database drivers are optional peer dependencies: an app installs the one it uses. Before
// Sequelize loads it, this says which package is missing, or that sqlite3's native part was never
// built (its install script skipped: --ignore-scripts, or an npm that blocks unapproved scripts).
import * as path from 'node:path';
import { ConfigError } from '../errors';
import type { Dialect } from './dialect';

/** Where Sequelize requires drivers from, so the check finds what Sequelize would. */
function sequelizeFolder(): string {
  return path.dirname(require.resolve('sequelize/package.json'));
}

/** Throws ConfigError naming the package to install, or how to build sqlite3's native module. */
export function requireDriver(dialect: Pick<Dialect, 'name' | 'driver'>, databaseUrl: string): void {
  const { driver } = dialect;
  let file: string;
  try {
    file = require.resolve(driver, { paths: [sequelizeFolder()] });
  } catch {
    throw new ConfigError(`${databaseUrl} needs the ${dialect.name} driver: npm install ${driver}`);
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(file);
  } catch (error) {
    const message = (error as Error).message;
    if (driver === 'sqlite3' && /bindings file|node_sqlite3\.node|NODE_MODULE_VERSION|was compiled against/i.test(message)) {
      throw new ConfigError(`the sqlite3 package is installed but its native module is missing or built for another Node ` +
        `(${message.split('\n')[0]}): its install script was skipped (--ignore-scripts, or npm blocking unapproved scripts): run ` +
        '`npm install-scripts approve sqlite3 && npm rebuild sqlite3` (or add "allowScripts": { "sqlite3": true } to package.json)');
    }
    throw new ConfigError(`loading the ${dialect.name} driver (${driver}) failed: ${message.split('\n')[0]}`);
  }
}
