// Input options -> resolved config, resolved once. Undefined keys are dropped before defaults,
// every bound check names its key, and the environment is read here (and in the CLI) only.
import { ConfigError } from './errors';
import { redactUrl } from './redact-url';
import type { ScheduleSpec } from './schedule-spec';

export { redactUrl };

export type PoolKind = 'thread' | 'inline';

/** Everything a TaskWorker can be given. Seconds everywhere, as in the seed. */
export interface TaskWorkerOptions {
  /** sqlite:path, postgres://..., mysql:// or mariadb://... Default: env DATABASE_URL, else sqlite:task-worker.sqlite. */
  databaseUrl?: string;
  /** redis:// or rediss:// URL for wake-ups and locks. Default: env REDIS_URL; none means polling only. */
  redisUrl?: string | null;
  /** Overrides the URL's password. Default: env REDIS_PASSWORD. */
  redisPassword?: string;
  /** Prefix of pub/sub channels and lock keys, so apps sharing a Redis server do not hear each other. Default 'tw'. */
  channelPrefix?: string;
  /** Tasks run at once by one worker. Default 1. */
  concurrency?: number;
  /** Retries after the first attempt for tasks that set no maxRetries. Default 0. */
  retry?: number;
  /** Only take tasks of these queues. Default: every queue. */
  queues?: string[];
  /** Seconds between database polls when no wake-up arrives. Default 1. */
  pollInterval?: number;
  /** Seconds a claim stays valid without a heartbeat; a dead worker's tasks are retried after it. Default 30. */
  leaseTime?: number;
  /** First retry delay in seconds; doubles each retry, with jitter. Default 1. */
  backoffBase?: number;
  /** Longest retry delay in seconds. Default 3600. */
  backoffCap?: number;
  /** 'thread' (default: a task past its timeout is killed) or 'inline' (same event loop, timeout aborts a signal). */
  pool?: PoolKind;
  /** Files that register tasks (with @Task or registerTask); loaded by the worker and by each pool thread. */
  modules?: string[];
  /** Directory under which unregistered names like 'app.tasks.multiply' resolve to app/tasks.js's export multiply. */
  moduleRoot?: string;
  /** Seconds that shutdown waits for running tasks before giving them back. Default 30. */
  shutdownGrace?: number;
  /** Default task timeout in seconds. Default 300. */
  defaultTimeout?: number;
  /** Completion batch: results are written together when several finish within this many ms. Default 2. */
  completionBatchDelay?: number;
  /**
   * Tasks a worker claims beyond its free slots and keeps (leased) in memory, so a freed slot starts
   * the next task without a database round trip. Default 'auto': about what its slots start within
   * 0.1 s (up to 500 for short tasks, none for tasks of a second or more), and a task kept over 1 s
   * goes back to the table. A number keeps that many, however long they wait.
   */
  prefetch?: number | 'auto';
  /** Heap limit of each pool thread in MiB; a task that goes over fails alone. Default 512. */
  threadMemoryLimit?: number;
  /**
   * A pool thread holding more than this many MiB after a task (its heap plus off-heap memory:
   * Buffers, external strings, which threadMemoryLimit does not bound) is replaced by a fresh one,
   * so that memory goes back to the system. Default 512.
   */
  threadRecycleMemory?: number;
  /** pino level: fatal, error, warn, info, debug, trace or silent. Default: env TW_LOG_LEVEL, else 'info'. */
  logLevel?: string;
  /**
   * Schedules by key, stored when a worker starts: { nightly: { cron: '0 3 * * *', task: 'app.tasks.report' } }.
   * A worker whose configuration has this key removes the config schedules no longer in it.
   */
  schedules?: Record<string, ScheduleSpec>;
  /** Whether workers started here fire due schedules (any number may; each fire time still makes one task). Default true. */
  scheduler?: boolean;
  /**
   * Serve Prometheus metrics at http://<metricsHost>:<metricsPort>/metrics once a worker starts
   * (0: any free port, logged). Default: none (mount metricsHandler(tw) in your app instead).
   */
  metricsPort?: number | null;
  /** Interface the metrics server listens on. Default: every interface. */
  metricsHost?: string;
}

export interface ResolvedConfig {
  databaseUrl: string;
  redisUrl: string | null;
  redisPassword: string | undefined;
  channelPrefix: string;
  concurrency: number;
  retry: number;
  queues: string[];
  pollIntervalMs: number;
  leaseMs: number;
  heartbeatMs: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  pool: PoolKind;
  modules: string[];
  moduleRoot: string | undefined;
  shutdownGraceMs: number;
  defaultTimeout: number;
  completionBatchDelayMs: number;
  prefetch: number | 'auto';
  threadMemoryLimitMb: number;
  threadRecycleMemoryMb: number;
  logLevel: string;
  /** As given; checked in full (normalizeSchedule) when the TaskWorker is created. Undefined: the key was absent. */
  schedules: Record<string, unknown> | undefined;
  scheduler: boolean;
  metricsPort: number | null;
  metricsHost: string | undefined;
}

/** Shortest accepted leaseTime, in seconds. */
export const MIN_LEASE_SECONDS = 1;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
export const DEFAULT_DATABASE_URL = 'sqlite:task-worker.sqlite';
export const QUEUE_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

function dropUndefined<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function positiveNumber(key: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new ConfigError(`${key} must be a number of seconds above 0 and at most ${max}; got ${String(value)}`);
  }
  return value;
}

function prefetchSetting(value: unknown): number | 'auto' {
  if (value === undefined || value === 'auto') return 'auto';
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 10_000) {
    throw new ConfigError(`prefetch must be 'auto' or a whole number from 0 to 10000; got ${String(value)}`);
  }
  return value;
}

function integerIn(key: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${key} must be a whole number from ${min} to ${max}; got ${String(value)}`);
  }
  return value;
}

function urlWithScheme(key: string, value: unknown, schemes: string[]): string {
  if (typeof value !== 'string' || !schemes.some((s) => value.startsWith(s))) {
    throw new ConfigError(`${key} must start with ${schemes.join(' or ')}; got ${typeof value === 'string' ? redactUrl(value) : String(value)}`);
  }
  return value;
}


/** Resolves options over the environment and defaults; throws ConfigError naming the bad key. */
export function resolveConfig(options: TaskWorkerOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const known = new Set<string>([
    'databaseUrl', 'redisUrl', 'redisPassword', 'channelPrefix', 'concurrency', 'retry', 'queues',
    'pollInterval', 'leaseTime', 'backoffBase', 'backoffCap', 'pool', 'modules', 'moduleRoot',
    'shutdownGrace', 'defaultTimeout', 'completionBatchDelay', 'prefetch', 'threadMemoryLimit', 'threadRecycleMemory', 'logLevel', 'schedules', 'scheduler',
    'metricsPort', 'metricsHost',
  ]);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new ConfigError(`unknown option "${key}"; known options: ${[...known].join(', ')}`);
  }
  const o = dropUndefined(options);
  const envRedis = env.REDIS_URL === '' ? undefined : env.REDIS_URL;
  const redisRaw = o.redisUrl === undefined ? envRedis ?? null : o.redisUrl;
  // A lease shorter than a second is renewed (every third of it) no faster than a busy database
  // answers: tasks would be swept from live workers and run again and again.
  const leaseSeconds = o.leaseTime ?? 30;
  if (typeof leaseSeconds !== 'number' || !Number.isFinite(leaseSeconds) || leaseSeconds < MIN_LEASE_SECONDS || leaseSeconds > 86_400) {
    throw new ConfigError(`leaseTime must be a number of seconds from ${MIN_LEASE_SECONDS} to 86400; got ${String(leaseSeconds)}`);
  }
  const pool = o.pool ?? 'thread';
  if (pool !== 'thread' && pool !== 'inline') throw new ConfigError(`pool must be 'thread' or 'inline'; got ${String(pool)}`);
  const queues = o.queues ?? [];
  if (!Array.isArray(queues)) throw new ConfigError('queues must be an array of queue names');
  for (const q of queues) {
    if (typeof q !== 'string' || !QUEUE_NAME_PATTERN.test(q)) {
      throw new ConfigError(`queues: "${String(q)}" is not a queue name (1-64 of A-Z a-z 0-9 _ . : -)`);
    }
  }
  const modules = o.modules ?? [];
  if (!Array.isArray(modules) || modules.some((m) => typeof m !== 'string' || m === '')) {
    throw new ConfigError('modules must be an array of file paths that register tasks');
  }
  const prefix = o.channelPrefix ?? (env.TW_CHANNEL_PREFIX || undefined) ?? 'tw';
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix)) {
    throw new ConfigError(`channelPrefix must be 1-64 of A-Z a-z 0-9 _ . : -; got ${String(prefix)}`);
  }
  const backoffBase = positiveNumber('backoffBase', o.backoffBase ?? 1, 86_400);
  const backoffCap = positiveNumber('backoffCap', o.backoffCap ?? 3600, 30 * 86_400);
  if (backoffCap < backoffBase) throw new ConfigError(`backoffCap (${backoffCap}) must not be below backoffBase (${backoffBase})`);
  const batchDelay = o.completionBatchDelay ?? 2;
  if (typeof batchDelay !== 'number' || !Number.isFinite(batchDelay) || batchDelay < 0 || batchDelay > 1000) {
    throw new ConfigError(`completionBatchDelay must be 0 to 1000 ms; got ${String(batchDelay)}`);
  }
  if (o.moduleRoot !== undefined && (typeof o.moduleRoot !== 'string' || o.moduleRoot === '')) {
    throw new ConfigError('moduleRoot must be a directory path');
  }
  const schedules = o.schedules as unknown;
  if (schedules !== undefined && (typeof schedules !== 'object' || schedules === null || Array.isArray(schedules))) {
    throw new ConfigError("schedules must be an object of schedules by key, e.g. { nightly: { cron: '0 3 * * *', task: 'app.tasks.report' } }");
  }
  const scheduler = o.scheduler ?? true;
  if (typeof scheduler !== 'boolean') throw new ConfigError(`scheduler must be true or false; got ${String(scheduler)}`);
  const metricsPort = o.metricsPort ?? null;
  if (metricsPort !== null) integerIn('metricsPort', metricsPort, 0, 65_535);
  if (o.metricsHost !== undefined && (typeof o.metricsHost !== 'string' || o.metricsHost === '')) {
    throw new ConfigError(`metricsHost must be a host name or address, e.g. '127.0.0.1'; got ${String(o.metricsHost)}`);
  }
  const logLevel = o.logLevel ?? env.TW_LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`logLevel must be one of ${LOG_LEVELS.join(', ')}; got ${logLevel}`);
  return {
    databaseUrl: urlWithScheme('databaseUrl', o.databaseUrl ?? env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
      ['sqlite:', 'postgres:', 'postgresql:', 'mysql:', 'mariadb:']),
    redisUrl: redisRaw === null ? null : urlWithScheme('redisUrl', redisRaw, ['redis://', 'rediss://']),
    redisPassword: o.redisPassword ?? (env.REDIS_PASSWORD || undefined),
    channelPrefix: prefix,
    concurrency: integerIn('concurrency', o.concurrency ?? 1, 1, 1000),
    retry: integerIn('retry', o.retry ?? 0, 0, 1000),
    queues,
    pollIntervalMs: positiveNumber('pollInterval', o.pollInterval ?? 1, 3600) * 1000,
    leaseMs: leaseSeconds * 1000,
    heartbeatMs: Math.max(50, Math.floor((leaseSeconds * 1000) / 3)),
    backoffBaseMs: backoffBase * 1000,
    backoffCapMs: backoffCap * 1000,
    pool,
    modules,
    moduleRoot: o.moduleRoot,
    shutdownGraceMs: positiveNumber('shutdownGrace', o.shutdownGrace ?? 30, 86_400) * 1000,
    defaultTimeout: positiveNumber('defaultTimeout', o.defaultTimeout ?? 300, 30 * 86_400),
    completionBatchDelayMs: batchDelay,
    prefetch: prefetchSetting(o.prefetch),
    threadMemoryLimitMb: integerIn('threadMemoryLimit', o.threadMemoryLimit ?? 512, 16, 65_536),
    threadRecycleMemoryMb: integerIn('threadRecycleMemory', o.threadRecycleMemory ?? 512, 16, 1_048_576),
    logLevel,
    schedules: schedules as Record<string, unknown> | undefined,
    scheduler,
    metricsPort,
    metricsHost: o.metricsHost,
  };
}
