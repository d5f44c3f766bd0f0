// TaskWorker: one object that owns the connections (database, Redis), the client and the workers
// of a process. Apps create one, use its client methods, and start workers from it.
import type { Sequelize as PlainSequelize } from 'sequelize';
import type { Registry } from 'prom-client';
import type { Sequelize } from 'sequelize-typescript';
import { TaskAdmin } from './admin';
import { TaskClient, type GetTaskOptions, type ProgressListener, type WaitOptions } from './client';
import { redactUrl, resolveConfig, type ResolvedConfig, type TaskWorkerOptions } from './config';
import { adoptDatabase, openDatabase } from './db/open';
import { ConfigError } from './errors';
import { ClusterLocks } from './locks';
import { createLogger, type Logger } from './logger';
import { migrate, pendingMigrations } from './migrate';
import { DatabaseTask } from './model';
import { TaskMetrics } from './metrics';
import { startMetricsServer, type MetricsServer } from './metrics-http';
import { loadTaskModules } from './modules';
import { CombinedNotifier } from './notifier/combined-notifier';
import { MemoryNotifier } from './notifier/memory-notifier';
import type { Notifier } from './notifier/notifier';
import { RedisNotifier } from './notifier/redis-notifier';
import { InlinePool } from './pool/inline-pool';
import type { TaskPool } from './pool/pool';
import { ThreadPool } from './pool/thread-pool';
import { RedisConnection } from './redis';
import { defaultRegistry, type TaskClass, type TaskRegistry } from './registry';
import { normalizeSchedule, type ScheduleDefinition } from './schedule-spec';
import { Scheduler } from './scheduler';
import { Schedules } from './schedules';
import { TaskStore } from './store/task-store';
import { TaskTypeCache } from './task-types';
import { preloadTracing, traceAttempt } from './tracing';
import type { CreateTaskOptions, TaskSpec } from './types';
import type { TaskArgs, TaskMethodName, TypedCreateOptions } from './typed-tasks';
import { newWorkerId, Worker } from './worker';

export interface TaskWorkerInit extends TaskWorkerOptions {
  /**
   * Use the app's Sequelize instance (plain `sequelize` or `sequelize-typescript`) instead of opening
   * one from databaseUrl: DatabaseTask is defined on it and the dialect's session settings are
   * applied to its connections. close() leaves it open.
   */
  sequelize?: Sequelize | PlainSequelize;
  /** Registry of handlers; default: the process-wide one that @Task fills. */
  registry?: TaskRegistry;
  /** A pino logger; default: one at config.logLevel. */
  logger?: Logger;
  /** Register the Prometheus metrics in this prom-client registry (e.g. its global `register`); default: one of this TaskWorker's own. */
  metricsRegistry?: Registry;
}

export class TaskWorker {
  readonly config: ResolvedConfig;
  readonly sequelize: Sequelize;
  readonly store: TaskStore;
  readonly registry: TaskRegistry;
  readonly logger: Logger;
  readonly notifier: Notifier;
  readonly client: TaskClient;
  /** Operator actions: list, show, retry, cancel, purge, stats, schedules. */
  readonly admin: TaskAdmin;
  /** Recurring tasks: upsert, remove, pause, resume, list, runNow. */
  readonly schedules: Schedules;
  private readonly redis: RedisConnection | undefined;
  private readonly taskTypes: TaskTypeCache;
  private readonly ownsSequelize: boolean;
  private readonly workers = new Set<Worker>();
  private readonly pools = new WeakMap<Worker, TaskPool>();
  /** The configuration's schedules, checked; undefined when it has no `schedules` key. */
  private readonly configSchedules: ScheduleDefinition[] | undefined;
  private scheduler: Scheduler | undefined;
  private readonly metricsRegistry: Registry | undefined;
  private taskMetrics: TaskMetrics | undefined;
  private metricsServer: Promise<MetricsServer | undefined> | undefined;

  constructor(init: TaskWorkerInit = {}, env: NodeJS.ProcessEnv = process.env) {
    const { sequelize, registry, logger, metricsRegistry, ...options } = init;
    this.metricsRegistry = metricsRegistry;
    this.config = resolveConfig(options, env);
    this.logger = logger ?? createLogger(this.config.logLevel);
    this.registry = registry ?? defaultRegistry;
    this.ownsSequelize = sequelize === undefined;
    if (sequelize) {
      this.sequelize = adoptDatabase(sequelize);
    } else {
      this.sequelize = openDatabase(this.config.databaseUrl);
    }
    this.store = new TaskStore(this.sequelize);
    const memory = new MemoryNotifier();
    if (this.config.redisUrl) {
      const settings = { url: this.config.redisUrl, password: this.config.redisPassword };
      this.redis = new RedisConnection(settings, 'publisher', this.logger);
      this.notifier = new CombinedNotifier([memory, new RedisNotifier(settings, this.config.channelPrefix, this.logger, this.redis)]);
    } else {
      this.notifier = memory;
    }
    this.configSchedules = this.config.schedules === undefined ? undefined
      : Object.entries(this.config.schedules).map(([key, spec]) => normalizeSchedule(key, spec, 'configuration key "schedules"'));
    this.taskTypes = new TaskTypeCache(this.store.taskTypes, this.logger);
    this.client = new TaskClient(this.store, this.notifier, this.registry, this.config, this.taskTypes);
    this.schedules = new Schedules(this.store, this.client, this.registry, this.config, this.logger);
    this.admin = new TaskAdmin(this.store, this.notifier, this.config, this.schedules);
  }

  /** Applies pending schema migrations; returns the names applied. */
  migrate(): Promise<string[]> {
    return migrate(this.sequelize);
  }

  pendingMigrations(): Promise<string[]> {
    return pendingMigrations(this.sequelize);
  }

  createTask(name: string, options?: CreateTaskOptions): Promise<DatabaseTask>;
  /** Names the task by its @Task class and method; tsc checks `args` (see TaskClient.createTask). */
  createTask<C extends TaskClass, M extends TaskMethodName<C>>(cls: C, method: M, args: TaskArgs<C, M>, options?: TypedCreateOptions): Promise<DatabaseTask>;
  createTask(...call: unknown[]): Promise<DatabaseTask> {
    return (this.client.createTask as (...a: unknown[]) => Promise<DatabaseTask>).apply(this.client, call);
  }

  createTasks(specs: readonly TaskSpec[], options?: Parameters<TaskClient['createTasks']>[1]): Promise<DatabaseTask[]> {
    return this.client.createTasks(specs, options);
  }

  /** The task, with its progress; `{ attempts: true }` loads every attempt too. */
  getTask(id: string, options?: GetTaskOptions): Promise<DatabaseTask | null> {
    return this.client.getTask(id, options);
  }

  /**
   * Cancels a task: one that has not started fails for good at once; a running one has its worker
   * abort its signal and end it, FAILED for good with a CancelledError (see TaskAdmin.cancel).
   */
  cancel(id: string, reason?: string): Promise<DatabaseTask> {
    return this.admin.cancel(id, reason);
  }

  /**
   * Calls `listener` with task `id`'s progress as its worker writes it (from any process with
   * Redis); resolves with the function that stops listening (see TaskClient.onProgress).
   */
  onProgress(id: string, listener: ProgressListener): Promise<() => void> {
    return this.client.onProgress(id, listener);
  }

  /**
   * This TaskWorker's Prometheus metrics, made on first use (counting starts then): serve them with
   * metricsHandler(tw), koaMetricsHandler(tw), or the metricsPort option.
   */
  get metrics(): TaskMetrics {
    this.taskMetrics ??= new TaskMetrics({ client: this.client, store: this.store, workers: () => this.workers }, { registry: this.metricsRegistry });
    return this.taskMetrics;
  }

  waitForCompletion(id: string, options?: WaitOptions): Promise<DatabaseTask | null> {
    return this.client.waitForCompletion(id, options);
  }

  /**
   * The worker's pool. Both load `modules` in this thread too, so this process's registry knows
   * the handlers (for its logs, its task types and its own createTask calls); pool threads load
   * them again, each into its own default registry.
   */
  private createPool(): TaskPool {
    const { config } = this;
    const loadModules = () => loadTaskModules(config.modules);
    if (config.pool === 'inline') {
      return new InlinePool(config.concurrency, this.registry, config.moduleRoot, loadModules, { logger: this.logger });
    }
    if (this.registry !== defaultRegistry) {
      throw new ConfigError("a registry passed to new TaskWorker({ registry }) does not reach pool threads (each thread loads " +
        "`modules` into its own default registry): choose pool: 'inline' to run that registry's handlers, or register the " +
        'tasks with registerTask/@Task in task files passed as modules and leave registry out');
    }
    if (config.modules.length === 0 && config.moduleRoot === undefined) {
      throw new ConfigError("pool 'thread' runs tasks in threads that must load your task files: pass modules " +
        "(tw-worker --require ./dist/tasks.js) or moduleRoot, or choose pool: 'inline'");
    }
    return new ThreadPool({ size: config.concurrency, modules: config.modules, moduleRoot: config.moduleRoot,
      memoryLimitMb: config.threadMemoryLimitMb, recycleMb: config.threadRecycleMemoryMb,
      onRecycle: (held) => this.logger.info({ heldMb: Math.round(held / 1048576), threadRecycleMemory: config.threadRecycleMemoryMb },
        'a pool thread held more memory than threadRecycleMemory after its task: replaced by a fresh one') },
    (error) => this.logger.error({ err: error.message }, 'a pool thread could not be started; its slot waits while the pool keeps trying'),
    loadModules, () => ({ tasks: this.registry.names(), schedules: this.registry.declaredSchedules() }));
  }

  /**
   * Records this process's handlers and their defaults as task types, for enqueuers that do not
   * load the handlers (best effort: on failure the worker runs on, and they use the config's defaults).
   */
  private async recordTaskTypes(): Promise<void> {
    const types = this.registry.all().map(({ name, defaults }) => ({ name, defaults }));
    try {
      await this.store.taskTypes.record(types, Date.now());
      this.taskTypes.invalidate();
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, "could not record the task types (run migrations?): processes that enqueue without loading the handlers use the config's defaults");
    }
  }

  /** A worker with this instance's config; call start() on it. */
  createWorker(): Worker {
    const locks = new ClusterLocks(this.store.locks, newWorkerId(), this.config.channelPrefix, this.redis);
    const pool = this.createPool();
    const worker = new Worker({ config: this.config, store: this.store, notifier: this.notifier, locks, pool, logger: this.logger,
      startup: { database: redactUrl(this.config.databaseUrl), taskNames: () => this.registry.names(), recordTaskTypes: () => this.recordTaskTypes(), preload: preloadTracing }, wrapAttempt: traceAttempt });
    this.workers.add(worker);
    this.pools.set(worker, pool);
    this.taskMetrics?.attach(worker);
    return worker;
  }

  /** Serves the metrics on config.metricsPort, once per TaskWorker; a port in use fails the start. */
  private serveMetrics(): Promise<MetricsServer | undefined> {
    const { metricsPort, metricsHost } = this.config;
    this.metricsServer ??= metricsPort === null ? Promise.resolve(undefined)
      : startMetricsServer(this, { port: metricsPort, host: metricsHost }).then((server) => {
        this.logger.info({ port: server.port, host: metricsHost ?? 'all interfaces' }, 'metrics served at /metrics');
        return server;
      }, (error: Error) => {
        throw new ConfigError(`metricsPort ${metricsPort}: cannot serve metrics (${error.message}); choose another port`);
      });
    return this.metricsServer;
  }

  /**
   * Creates and starts a worker, and this process's scheduler: the schedules declared in the task
   * modules (@Schedule, registerTask) and in the configuration are checked (a bad one fails the
   * start: nothing is written), stored (retried in the background while the database is away),
   * then fired when due, unless the configuration says `scheduler: false`.
   */
  async startWorker(): Promise<Worker> {
    await this.serveMetrics();
    const worker = this.createWorker();
    this.logger.debug({ database: redactUrl(this.config.databaseUrl) }, 'starting worker');
    await worker.prepare();
    const declared = this.pools.get(worker)!.declarations();
    const plan = this.schedules.plan({ code: declared.schedules, tasks: declared.tasks }, this.configSchedules);
    await worker.start();
    if (!this.scheduler) {
      this.scheduler = new Scheduler({ store: this.store, client: this.client, config: this.config, logger: this.logger });
      this.scheduler.start(() => this.schedules.sync(plan), this.config.scheduler);
    }
    return worker;
  }

  /** Stops this instance's workers gracefully, then closes Redis and (if opened here) the database. */
  async close(): Promise<void> {
    await this.scheduler?.stop();
    await Promise.all([...this.workers].map((w) => w.stop()));
    await (await this.metricsServer?.catch(() => undefined))?.close();
    await this.notifier.close();
    await this.redis?.close();
    await this.store.close();
    if (this.ownsSequelize) await this.sequelize.close();
  }
}
