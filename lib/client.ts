// The producer side: createTask / createTasks / getTask / waitForCompletion. Input is validated in
// full before anything is written; the wake-up is published after the row is committed.
import type { Transaction } from 'sequelize';
import type { ResolvedConfig } from './config';
import { toModel } from './db/rows';
import { ambientTransaction, outermostTransaction } from './db/sequelize-internals';
import { TaskWorkerError, UnknownTaskError, ValidationError } from './errors';
import { newTaskId, isTaskId } from './ids';
import { findNonJson, isPlainObject } from './json';
import type { DatabaseTask } from './model';
import type { Notifier } from './notifier/notifier';
import { assertTaskName, type TaskClass, type TaskRegistry } from './registry';
import type { TaskStore } from './store/task-store';
import type { CreateTaskOptions, JsonObject, JsonValue, TaskRecord, TaskSpec } from './types';
import { resolveTypedCall, type TaskArgs, type TaskMethodName, type TypedCreateOptions } from './typed-tasks';
import { checkMaxRetries, checkPriority, checkQueue, checkTimeout, label, type Where } from './validate';

export interface WaitOptions {
  /** Seconds to wait before giving up with null. Default 300, as in the seed. */
  timeout?: number;
}

const CREATE_KEYS = new Set(['args', 'kwargs', 'timeout', 'queue', 'priority', 'runAt', 'delay', 'maxRetries', 'transaction']);

export class TaskClient {
  constructor(
    private readonly store: TaskStore,
    private readonly notifier: Notifier,
    private readonly registry: TaskRegistry,
    private readonly config: ResolvedConfig,
  ) {}

  /** Builds a validated, unsaved record; throws ValidationError / UnknownTaskError. */
  private buildRecord(name: unknown, options: CreateTaskOptions, now: number, where: Where, nameKey = false): TaskRecord {
    assertTaskName(name);
    if (!isPlainObject(options)) throw new ValidationError(`${label(where)}: options must be an object like { args: [2, 3] }`);
    for (const key of Object.keys(options)) {
      if (!CREATE_KEYS.has(key) && !(nameKey && key === 'name')) {
        throw new ValidationError(`${label(where)}: unknown option "${key}"; use ${[...CREATE_KEYS].join(', ')}`);
      }
    }
    const checkRegistered = this.registry.size > 0 || this.config.moduleRoot !== undefined;
    if (checkRegistered && !this.registry.isKnown(name, this.config.moduleRoot)) {
      throw new UnknownTaskError(name, `no handler is registered under this name; registered: ${this.registry.names().slice(0, 20).join(', ') || 'none'}`);
    }
    const defaults = this.registry.get(name)?.defaults ?? {};
    const args = options.args ?? [];
    if (!Array.isArray(args)) throw new ValidationError(`${label(where)}: args must be an array (positional arguments); got ${typeof args}`);
    const kwargs = options.kwargs ?? {};
    if (!isPlainObject(kwargs)) throw new ValidationError(`${label(where)}: kwargs must be a plain object`);
    const problem = findNonJson(args, 'args') ?? findNonJson(kwargs, 'kwargs');
    if (problem) throw new ValidationError(`${label(where)}: arguments must be plain JSON; ${problem}`);
    if (options.runAt !== undefined && options.delay !== undefined) throw new ValidationError(`${label(where)}: give runAt or delay, not both`);
    let runAt = now;
    if (options.runAt !== undefined) {
      if (!(options.runAt instanceof Date) || Number.isNaN(options.runAt.getTime())) throw new ValidationError(`${label(where)}: runAt must be a valid Date`);
      runAt = options.runAt.getTime();
    } else if (options.delay !== undefined) {
      if (typeof options.delay !== 'number' || !Number.isFinite(options.delay) || options.delay < 0) {
        throw new ValidationError(`${label(where)}: delay must be a number of seconds, 0 or more; got ${String(options.delay)}`);
      }
      runAt = now + Math.round(options.delay * 1000);
    }
    const timeout = checkTimeout(where, options.timeout ?? defaults.timeout ?? this.config.defaultTimeout);
    const maxRetries = options.maxRetries ?? defaults.maxRetries;
    return {
      id: newTaskId(now),
      name,
      args: args as JsonValue[],
      kwargs: kwargs as JsonObject,
      timeout,
      status: 'PENDING',
      result: null,
      error: null,
      retryCount: 0,
      maxRetries: maxRetries === undefined ? null : checkMaxRetries(where, maxRetries),
      queue: checkQueue(where, options.queue ?? defaults.queue ?? 'default'),
      priority: checkPriority(where, options.priority ?? defaults.priority ?? 0),
      runAt,
      createdAt: now,
      updatedAt: now,
      startedAt: null,
      finishedAt: null,
      duration: null,
      lockedBy: null,
      leaseExpiresAt: null,
    };
  }

  private announce(records: readonly TaskRecord[], transaction: Transaction | undefined): void {
    const publish = () => {
      // One wake-up per distinct queue and start time is enough to wake every idle worker.
      const seen = new Set<string>();
      for (const r of records) {
        const key = `${r.queue}|${r.runAt}`;
        if (seen.has(key)) continue;
        seen.add(key);
        this.notifier.publish('created', { id: r.id, queue: r.queue, runAt: r.runAt });
      }
    };
    if (transaction) outermostTransaction(transaction).afterCommit(publish);
    else publish();
  }

  /**
   * The transaction to write in: the caller's, else the one Sequelize's CLS holds for this
   * database (apps that called Sequelize.useCLS expect every query in a managed transaction to
   * join it, and our statements bypass Sequelize's query path).
   */
  private transactionFor(explicit: Transaction | undefined): Transaction | undefined {
    return explicit ?? ambientTransaction(this.store.sequelize);
  }

  /** Saves a PENDING task and wakes a worker; returns the saved row. */
  createTask(name: string, options?: CreateTaskOptions): Promise<DatabaseTask>;
  /**
   * The same, naming the task by its @Task class and method: tsc checks `args` against the
   * handler's signature, e.g. `createTask(AppTasks, 'multiply', [2, 3], { queue: 'math' })`.
   */
  createTask<C extends TaskClass, M extends TaskMethodName<C>>(cls: C, method: M, args: TaskArgs<C, M>, options?: TypedCreateOptions): Promise<DatabaseTask>;
  async createTask(target: string | TaskClass, second?: unknown, args?: unknown, typedOptions?: TypedCreateOptions): Promise<DatabaseTask> {
    const { name, options } = typeof target === 'function'
      ? resolveTypedCall(target, second as string, args, typedOptions)
      : { name: target, options: (second ?? {}) as CreateTaskOptions };
    const record = this.buildRecord(name, options ?? {}, Date.now(), `createTask("${String(name)}")`);
    const transaction = this.transactionFor(options?.transaction);
    await this.store.insert([record], transaction);
    this.announce([record], transaction);
    return toModel(record);
  }

  /** Saves many tasks at once (one statement per 1,000, all or none); returns them in order. */
  async createTasks(specs: readonly TaskSpec[], options: { transaction?: Transaction } = {}): Promise<DatabaseTask[]> {
    if (!Array.isArray(specs)) throw new ValidationError('createTasks: pass an array of { name, args, ... }');
    const now = Date.now();
    const records = specs.map((spec, i) => {
      if (!isPlainObject(spec)) throw new ValidationError(`createTasks: item ${i} must be an object like { name, args }`);
      return this.buildRecord(spec.name, spec, now, () => `createTasks[${i}] ("${String(spec.name)}")`, true);
    });
    if (records.length === 0) return [];
    const transaction = this.transactionFor(options.transaction);
    const inserted = this.store.insert(records, transaction);
    // The models (a third of the client's CPU time here) are built while the database works on the
    // insert: setImmediate runs after the statement has been sent. Dropped if the insert fails.
    const models = new Promise<DatabaseTask[]>((resolve) => setImmediate(() => resolve(records.map(toModel))));
    await inserted;
    this.announce(records, transaction);
    return models;
  }

  async getTask(id: string): Promise<DatabaseTask | null> {
    if (!isTaskId(id)) return null;
    const record = await this.store.get(id);
    return record ? toModel(record) : null;
  }

  /**
   * Resolves with the task once it is COMPLETED, or FAILED with no retry left; null after `timeout`
   * seconds. Subscribes first, then reads the row, so a completion is never missed; polls as well,
   * so it works without Redis.
   */
  async waitForCompletion(id: string, options: WaitOptions = {}): Promise<DatabaseTask | null> {
    const timeoutSeconds = options.timeout ?? 300;
    if (typeof timeoutSeconds !== 'number' || !Number.isFinite(timeoutSeconds) || timeoutSeconds < 0) {
      throw new ValidationError(`waitForCompletion: timeout must be a number of seconds, 0 or more; got ${String(timeoutSeconds)}`);
    }
    if (!isTaskId(id)) throw new ValidationError(`waitForCompletion: "${String(id)}" is not a task id`);
    const deadline = Date.now() + timeoutSeconds * 1000;
    let wake: () => void = () => undefined;
    let signalled = false; // an event that arrives while the row is being read is not lost
    const onEvent = (event: { id: string; ids?: string[] }) => {
      if (event.id !== id && !event.ids?.includes(id)) return;
      signalled = true;
      wake();
    };
    const unsubscribers = await Promise.all([this.notifier.subscribe('finished', onEvent), this.notifier.subscribe('failed', onEvent)]);
    try {
      for (;;) {
        signalled = false;
        const record = await this.store.get(id);
        if (!record) throw new TaskWorkerError('TW_NOT_FOUND', `waitForCompletion: no task with id ${id}`);
        if (record.status === 'COMPLETED' || (record.status === 'FAILED' && record.runAt === null)) return toModel(record);
        const left = deadline - Date.now();
        if (left <= 0) return null;
        if (signalled) continue;
        // A referenced timer: a script awaiting its task must not exit early.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, this.config.pollIntervalMs));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      unsubscribers.forEach((unsubscribe) => unsubscribe());
    }
  }
}
