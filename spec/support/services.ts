// Test services: which databases and Redis the suite runs against, fresh per-suite databases, and
// the rule for an unreachable service: in CI (CI=true) it fails the run, on a laptop it skips.
import { mkdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { Sequelize } from 'sequelize';

export type TestDialect = 'sqlite' | 'postgres' | 'mariadb';
export const ALL_DIALECTS: TestDialect[] = ['sqlite', 'postgres', 'mariadb'];

export const PG_ADMIN_URL = process.env.TW_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MARIADB_ADMIN_URL = process.env.TW_TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test';
export const REDIS_URL = process.env.TW_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

const TMP = path.join(os.tmpdir(), 'tw-tests');

function adminConnection(dialect: 'postgres' | 'mariadb'): Sequelize {
  const url = dialect === 'postgres' ? PG_ADMIN_URL : MARIADB_ADMIN_URL;
  return new Sequelize(url, { logging: false, dialect: dialect === 'postgres' ? 'postgres' : 'mysql', pool: { max: 1 },
    dialectOptions: { connectTimeout: 3000 } });
}

function replaceDatabaseName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

const reachable = new Map<string, Promise<string | null>>();

/** null when reachable, else why not. Cached per service for the run. */
export function serviceProblem(service: TestDialect | 'redis'): Promise<string | null> {
  let check = reachable.get(service);
  if (!check) {
    check = (async () => {
      if (service === 'sqlite') return null;
      if (service === 'redis') {
        const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
        try {
          await redis.connect();
          await redis.ping();
          return null;
        } catch (error) {
          return `Redis at ${REDIS_URL} is unreachable (${(error as Error).message})`;
        } finally {
          redis.disconnect();
        }
      }
      const admin = adminConnection(service);
      try {
        await admin.authenticate();
        return null;
      } catch (error) {
        return `${service} is unreachable (${(error as Error).message})`;
      } finally {
        await admin.close();
      }
    })();
    reachable.set(service, check);
  }
  return check;
}

/** In a before() hook: skip the suite on a laptop, fail it in CI, when a service is down. */
export async function requireService(suite: Mocha.Context, service: TestDialect | 'redis'): Promise<void> {
  const problem = await serviceProblem(service);
  if (problem) missingPrerequisite(suite, problem, 'CI needs every service (see .ci/run)', 'start it to run these tests');
}

/** Something a suite needs is missing: in CI that fails the run; on a laptop the suite is skipped, saying why. */
export function missingPrerequisite(suite: Mocha.Context, problem: string, inCi: string, onLaptop: string): never {
  if (IN_CI) throw new Error(`${problem}: ${inCi}`);
  console.warn(`      skipping: ${problem}; ${onLaptop}`);
  return suite.skip();
}

/** Databases this run created, dropped when the run ends. */
const created: Array<{ dialect: 'postgres' | 'mariadb'; name: string }> = [];

/** Drops every database this run created (called once, after all suites have closed theirs). */
export async function dropCreatedDatabases(): Promise<void> {
  for (const dialect of ['postgres', 'mariadb'] as const) {
    const names = created.filter((c) => c.dialect === dialect).map((c) => c.name);
    if (names.length === 0) continue;
    const admin = adminConnection(dialect);
    try {
      for (const name of names) {
        await admin.query(dialect === 'postgres' ? `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)` : `DROP DATABASE IF EXISTS \`${name}\``);
      }
    } catch (error) {
      console.warn(`could not drop the test databases of ${dialect}: ${(error as Error).message}`);
    } finally {
      await admin.close();
    }
  }
  created.length = 0;
}

export interface FreshDatabaseOptions {
  /**
   * PostgreSQL only: make the database's default collation ICU en-US, as on the many servers
   * initialised with an en_US locale, instead of this machine's C.UTF-8.
   */
  linguisticCollation?: boolean;
}

/** A new, empty database for one suite; returns its URL. */
export async function freshDatabase(dialect: TestDialect, label: string, options: FreshDatabaseOptions = {}): Promise<string> {
  const name = `tw_test_${label}_${process.pid}`.replace(/[^a-z0-9_]/gi, '_').toLowerCase();
  if (dialect === 'sqlite') {
    mkdirSync(TMP, { recursive: true });
    const file = path.join(TMP, `${name}.sqlite`);
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    return `sqlite:${file}`;
  }
  const admin = adminConnection(dialect);
  try {
    const quoted = dialect === 'postgres' ? `"${name}"` : `\`${name}\``;
    await admin.query(`DROP DATABASE IF EXISTS ${quoted}${dialect === 'postgres' ? ' WITH (FORCE)' : ''}`);
    const locale = options.linguisticCollation && dialect === 'postgres'
      ? " TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
      : '';
    await admin.query(`CREATE DATABASE ${quoted}${locale}`);
    if (!created.some((c) => c.dialect === dialect && c.name === name)) created.push({ dialect, name });
  } finally {
    await admin.close();
  }
  return replaceDatabaseName(dialect === 'postgres' ? PG_ADMIN_URL : MARIADB_ADMIN_URL, name);
}

/** A Redis key/channel prefix of its own for one suite, so runs never hear each other. */
export function uniquePrefix(label: string): string {
  return `twtest-${label}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
