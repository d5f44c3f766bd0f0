// Stops, restarts and flushes the local test services for the outage specs, with the same commands
// CI uses to start them, and waits until each answers again. Every spec that stops a service
// calls ensureServicesUp() in an after hook, so the machine is always left with all of them running.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { waitFor } from './wait';

const run = promisify(execFile);

const REDIS_START = ['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', '6379', '--save', '', '--appendonly', 'no',
  '--dir', '/var/lib/redis', '--logfile', '/var/log/redis/ci.log'];

function postgresVersion(): string {
  return readdirSync('/etc/postgresql')[0];
}

async function succeeds(command: string, args: string[]): Promise<boolean> {
  try {
    await run(command, args, { timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

export const postgresUp = () => succeeds('pg_isready', ['-h', '127.0.0.1', '-p', '5432']);
export const redisUp = () => succeeds('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'ping']);
export const mariadbUp = () => succeeds('mariadb-admin', ['-h', '127.0.0.1', '-uroot', 'ping']);

/** Fast shutdown (open connections are cut); resolves once the server is down. */
export async function stopPostgres(): Promise<void> {
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', postgresVersion(), 'main', 'stop', '-m', 'fast'], { timeout: 60_000 });
}

/** Starts the server and waits until it answers. */
export async function startPostgres(): Promise<void> {
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', postgresVersion(), 'main', 'start'], { timeout: 60_000 });
  await waitFor('PostgreSQL to answer', postgresUp, 60_000, 200);
}

/** SHUTDOWN NOSAVE: Redis goes away, and with it every key (it keeps nothing on disk). */
export async function stopRedis(): Promise<void> {
  await run('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'shutdown', 'nosave']).catch(() => undefined);
  await waitFor('Redis to stop', async () => !(await redisUp()), 20_000, 100);
}

export async function startRedis(): Promise<void> {
  if (await redisUp()) return;
  await run('mkdir', ['-p', '/var/lib/redis', '/var/log/redis']);
  await run('redis-server', REDIS_START);
  await waitFor('Redis to answer', redisUp, 30_000, 100);
}

export async function flushRedis(url: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    await redis.flushall();
  } finally {
    redis.disconnect();
  }
}

/** For after hooks: starts whatever the outage specs may have stopped, and waits for it. */
export async function ensureServicesUp(): Promise<void> {
  if (!(await redisUp())) await startRedis();
  if (!(await postgresUp())) {
    await run('pg_ctlcluster', ['--skip-systemctl-redirect', postgresVersion(), 'main', 'start']).catch(() => undefined);
    await waitFor('PostgreSQL to answer', postgresUp, 60_000, 200);
  }
  if (!(await mariadbUp())) {
    await run('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', '/usr/sbin/mariadbd']).catch(() => undefined);
    await waitFor('MariaDB to answer', mariadbUp, 60_000, 200);
  }
}
