// The producer side: createTask / createTasks / getTask / waitForCompletion. Input is validated in
// full before anything is written; the wake-up is published after the row is committed. A task's
// defaults come from its createTask options, else this process's registry, else the task type a
// worker recorded (lib/task-types.ts), else the config.
import type { Transaction } from 'sequelize';
import { taskWithAttempts } from './attempts';
import { CompletionWaits } from './completion-waits';
import type { ResolvedConfig } from './config';
import { toModel } from './db/rows';
import { ambientTransaction, outermostTransaction } from './db/sequelize-internals';
import { TaskWorkerError, UnknownTaskError, ValidationError } from './errors';
import { newTaskId, isTaskId } from './ids';
import { findNonJson, isPlainObject } from './json';
import type { DatabaseTask } from './model';
import type { Notifier } from './notifier/notifier';
import type { ScheduleDefinition } from './schedule-spec';
import { parseProgress, type TaskProgress } from './progress';
import { assertTaskName, INHERITED_HINT, isInheritedName, type TaskClass, type TaskRegistry } from './registry';
import type { TaskStore } from './store/task-store';
import type { TaskTypeCache } from './task-types';
import type { CreateTaskOptions, JsonObject, JsonValue, TaskDefaults, TaskRecord, TaskSpec } from './types';
import { resolveTypedCall, type TaskArgs, type TaskMethodName, type TypedCreateOptions } from './typed-tasks';
import { traceCreate } from './tracing';
import { checkMaxRetries, checkPriority, checkQueue, checkRunAt, checkTimeout, describeValue, label, MAX_ARGUMENT_DEPTH, type Where } from './validate';

export interface GetTaskOptions {
  /** Also load every attempt (`task.attempts`): one more query. Default false. */
  attempts?: boolean;
}

export interface WaitOptions extends GetTaskOptions {
  /** Seconds to wait before giving up with null. Default 300, as in the seed. */
  timeout?: number;
}

/** Hears the tasks this client saved, once they are committed (metrics count them). */
export type CreatedListener = (records: readonly TaskRecord[]) => void;

/** Hears the progress of one task (see TaskClient.onProgress). */
export type ProgressListener = (progress: TaskProgress) => void;

const CREATE_KEYS = new Set(['args', 'kwargs', 'timeout', 'queue', 'priority', 'runAt', 'delay', 'maxRetries', 'uniqueKey', 'transaction']);
const UNIQUE_KEY_MAX = 255;
/** Rounds of insert-then-look-up before giving up on a unique key whose holder keeps finishing in between. */
const UNIQUE_ROUNDS = 5;

export class TaskClient {
  private readonly createdListeners = new Set<CreatedListener>();
  private readonly waits: CompletionWaits;

  constructor(
    private readonly store: TaskStore,
    private readonly notifier: Notifier,
    private readonly registry: TaskRegistry,
    private readonly config: ResolvedConfig,
    private readonly taskTypes: TaskTypeCache,
  ) {
    this.waits = new CompletionWaits(store, notifier, config.pollIntervalMs);
  }

  /**
   * The defaults of each name, checked against what is known: a name this process's registry
   * knows takes its handler's defaults (no query); any other is looked up in the task types that
   * workers recorded. A name known to neither is refused once anything is known at all (handlers
   * here, a module root, or a worker's record); before any worker has run, every valid name is
   * accepted, as a worker may bring its handler later.
   */
  private async defaultsFor(names: readonly unknown[]): Promise<Map<string, TaskDefaults>> {
    const found = new Map<string, TaskDefaults>();
    const missing: string[] = [];
    for (const name of new Set(names)) {
      assertTaskName(name);
      const registered = this.registry.get(name);
      if (registered) found.set(name, registered.defaults);
      else missing.push(name);
    }
    if (missing.length === 0) return found;
    const stored = await this.taskTypes.lookup(missing);
    const checked = this.registry.size > 0 || this.config.moduleRoot !== undefined || stored.size > 0;
    for (const name of missing) {
      const exportName = name.slice(name.lastIndexOf('.') + 1);
      if (isInheritedName(exportName)) throw new UnknownTaskError(name, INHERITED_HINT(exportName));
      const defaults = stored.get(name);
      if (defaults) found.set(name, defaults);
      else if (!checked || this.registry.isKnown(name, this.config.moduleRoot)) found.set(name, {});
      else {
        const known = [...new Set([...this.registry.names(), ...stored.keys()])].sort();
        throw new UnknownTaskError(name, `no handler is registered under this name, here or by any worker that has started; registered: ${known.slice(0, 20).join(', ') || 'none'}`);
      }
    }
    return found;
  }

  /**
   * Builds a validated, unsaved record; throws ValidationError. `known`: each name's handler
   * defaults, from defaultsFor (which refused unknown names); undefined takes this process's
   * registry as it is, without a name check (a schedule fires tasks that may be registered only in
   * other workers). `nameKey`: the options may carry the name (createTasks' items).
   */
  buildRecord(name: unknown, options: CreateTaskOptions, now: number, where: Where, known: ReadonlyMap<string, TaskDefaults> | undefined, nameKey = false): TaskRecord {
    assertTaskName(name);
    if (!isPlainObject(options)) throw new ValidationError(`${label(where)}: options must be an object like { args: [2, 3] }`);
    for (const key of Object.keys(options)) {
      if (!CREATE_KEYS.has(key) && !(nameKey && key === 'name')) {
        throw new ValidationError(`${label(where)}: unknown option "${key}"; use ${[...CREATE_KEYS].join(', ')}`);
      }
    }
    const defaults = (known ? known.get(name) : this.registry.get(name)?.defaults) ?? {};
    const args = options.args ?? [];
    if (!Array.isArray(args)) throw new ValidationError(`${label(where)}: args must be an array (positional arguments); got ${typeof args}`);
    const kwargs = options.kwargs ?? {};
    if (!isPlainObject(kwargs)) throw new ValidationError(`${label(where)}: kwargs must be a plain object`);
    const problem = findNonJson(args, 'args', MAX_ARGUMENT_DEPTH) ?? findNonJson(kwargs, 'kwargs', MAX_ARGUMENT_DEPTH);
    if (problem) throw new ValidationError(`${label(where)}: arguments must be plain JSON; ${problem}`);
    const runAt = checkRunAt(where, options.runAt, options.delay, now);
    const { uniqueKey } = options;
    if (uniqueKey !== undefined && (typeof uniqueKey !== 'string' || uniqueKey.length === 0 || uniqueKey.length > UNIQUE_KEY_MAX)) {
      throw new ValidationError(`${label(where)}: uniqueKey must be a string of 1 to ${UNIQUE_KEY_MAX} characters; got ${describeValue(uniqueKey)}`);
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
      uniqueKey: uniqueKey ?? null,
      scheduleKey: null,
      scheduledFor: null,
      progress: null,
      errorCode: null,
      lastWorker: null,
      cancelRequested: null,
      traceContext: null,
    };
  }

  /**
   * Inserts records some of which carry a unique key. Returns, in order, each saved task or the
   * task not yet final that already held its key (marked `deduplicated`), and the records saved.
   */
  private async insertUnique(records: readonly TaskRecord[], transaction: Transaction | undefined): Promise<{ tasks: DatabaseTask[]; saved: TaskRecord[] }> {
    const results = new Map<string, DatabaseTask>();
    const saved: TaskRecord[] = [];
    let pending = records;
    for (let round = 1; pending.length > 0; round++) {
      if (round > UNIQUE_ROUNDS) {
        throw new TaskWorkerError('TW_UNIQUE_CONFLICT', `createTask: the tasks holding uniqueKey ${JSON.stringify(pending[0].uniqueKey)} ` +
          'kept finishing while this create looked for them; try again');
      }
      const inserted = await this.store.insertKeyed(pending, transaction);
      const missing = pending.filter((r) => !inserted.has(r.id));
      for (const r of pending) {
        if (!inserted.has(r.id)) continue;
        results.set(r.id, toModel(r));
        saved.push(r);
      }
      if (missing.length === 0) break;
      // Each one met a task holding its key: return that task (committed, or written earlier in this transaction).
      const holders = await this.store.activeByUniqueKeys([...new Set(missing.map((r) => r.uniqueKey!))], transaction);
      const byKey = new Map(holders.map((h) => [h.uniqueKey!, h]));
      pending = missing.filter((r) => {
        const holder = byKey.get(r.uniqueKey!);
        if (!holder) return true; // it became final in between: insert again
        const task = toModel(holder);
        task.deduplicated = true;
        results.set(r.id, task);
        return false;
      });
    }
    return { tasks: records.map((r) => results.get(r.id)!), saved };
  }

  /**
   * Writes new records: a plain insert, or (some carry a unique key) the deduplicating one. Outside
   * a caller's transaction a deadlock between creators of the same key is retried here.
   */
  private async save(records: TaskRecord[], transaction: Transaction | undefined): Promise<{ tasks: DatabaseTask[] | null; saved: TaskRecord[] }> {
    if (!records.some((r) => r.uniqueKey !== null)) {
      await this.store.insert(records, transaction);
      return { tasks: null, saved: records };
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.insertUnique(records, transaction);
      } catch (error) {
        if (transaction || attempt >= UNIQUE_ROUNDS || this.store.classifyError(error) !== 'conflict') throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
      }
    }
  }

  /**
   * A new task for a schedule's fire time, claimable from that time on. Its name is not checked
   * against this process's registry: the task may be registered only in other workers.
   */
  scheduledRecord(schedule: ScheduleDefinition, fireAt: number, now: number): TaskRecord {
    const options: CreateTaskOptions = { args: schedule.args, kwargs: schedule.kwargs };
    if (schedule.queue !== null) options.queue = schedule.queue;
    if (schedule.priority !== null) options.priority = schedule.priority;
    if (schedule.maxRetries !== null) options.maxRetries = schedule.maxRetries;
    if (schedule.timeout !== null) options.timeout = schedule.timeout;
    const record = this.buildRecord(schedule.task, options, now, `schedule "${schedule.key}"`, undefined);
    return { ...record, runAt: fireAt, scheduleKey: schedule.key, scheduledFor: fireAt };
  }

  /** Publishes the wake-ups of saved records: at once, or after the caller's transaction commits. */
  announce(records: readonly TaskRecord[], transaction: Transaction | undefined): void {
    if (records.length === 0) return;
    const publish = () => {
      for (const listener of this.createdListeners) listener(records);
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
    const known = await this.defaultsFor([name]);
    const record = this.buildRecord(name, options ?? {}, Date.now(), `createTask("${String(name)}")`, known);
    const transaction = this.transactionFor(options?.transaction);
    return traceCreate([record], async () => {
      const { tasks, saved } = await this.save([record], transaction);
      this.announce(saved, transaction);
      return tasks ? tasks[0] : toModel(record);
    });
  }

  /**
   * Saves many tasks at once (one statement per 1,000, all or none); returns them in order. An item
   * whose uniqueKey is held by a task not yet final (or by an earlier item) returns that task, `deduplicated`.
   */
  async createTasks(specs: readonly TaskSpec[], options: { transaction?: Transaction } = {}): Promise<DatabaseTask[]> {
    if (!Array.isArray(specs)) throw new ValidationError('createTasks: pass an array of { name, args, ... }');
    specs.forEach((spec, i) => {
      if (!isPlainObject(spec)) throw new ValidationError(`createTasks: item ${i} must be an object like { name, args }`);
    });
    const known = await this.defaultsFor(specs.map((spec) => spec.name));
    const now = Date.now();
    const records = specs.map((spec, i) => this.buildRecord(spec.name, spec, now, () => `createTasks[${i}] ("${String(spec.name)}")`, known, true));
    if (records.length === 0) return [];
    const transaction = this.transactionFor(options.transaction);
    return traceCreate(records, async () => {
      if (records.some((r) => r.uniqueKey !== null)) {
        const { tasks, saved } = await this.save(records, transaction);
        this.announce(saved, transaction);
        return tasks!;
      }
      const inserted = this.store.insert(records, transaction);
      // The models (a third of the client's CPU time here) are built while the database works on the
      // insert: setImmediate runs after the statement has been sent. Dropped if the insert fails.
      const models = new Promise<DatabaseTask[]>((resolve) => setImmediate(() => resolve(records.map(toModel))));
      await inserted;
      this.announce(records, transaction);
      return models;
    });
  }

  /** The task, with its progress; with `{ attempts: true }` every attempt too. Null when there is none. */
  async getTask(id: string, options: GetTaskOptions = {}): Promise<DatabaseTask | null> {
    if (!isTaskId(id)) return null;
    const record = await this.store.get(id);
    if (!record) return null;
    return options.attempts ? taskWithAttempts(this.store, record) : toModel(record);
  }

  /** Calls `listener` with the tasks this client saves (after their transaction commits); returns the remover. */
  onCreated(listener: CreatedListener): () => void {
    this.createdListeners.add(listener);
    return () => this.createdListeners.delete(listener);
  }

  /**
   * Calls `listener` with task `id`'s progress: first the stored one (if any), then each new report
   * as its worker writes it (a few times a second at most). With Redis this works from any process;
   * without, this process hears its own workers at once and others' by reading the row every poll
   * interval until the task is final. Resolves once listening, with the function that stops it.
   */
  async onProgress(id: string, listener: ProgressListener): Promise<() => void> {
    if (!isTaskId(id)) throw new ValidationError(`onProgress: ${describeValue(id)} is not a task id`);
    if (typeof listener !== 'function') throw new ValidationError('onProgress: pass a function (progress) => void');
    let last = -Infinity;
    let stopped = false;
    const deliver = (progress: TaskProgress | null) => {
      if (stopped || !progress || progress.at.getTime() <= last) return;
      last = progress.at.getTime();
      try {
        listener(progress);
      } catch (error) {
        // A message handler must not throw into the notifier: the error is reported, the listening goes on.
        process.emitWarning(`onProgress listener of task ${id} threw: ${(error as Error)?.message ?? String(error)}`);
      }
    };
    const unsubscribe = await this.notifier.subscribe('progress', (event) => {
      if (event.id === id) deliver(parseProgress(event.progress));
    });
    let timer: NodeJS.Timeout | undefined;
    const stop = () => {
      stopped = true;
      clearTimeout(timer);
      unsubscribe();
    };
    const read = async () => {
      const record = await this.store.get(id).catch(() => undefined);
      if (record) deliver(parseProgress(record.progress));
      const final = record === null || (record && (record.status === 'COMPLETED' || (record.status === 'FAILED' && record.runAt === null)));
      if (!stopped && !final && this.config.redisUrl === null) timer = setTimeout(() => void read(), this.config.pollIntervalMs).unref();
    };
    await read();
    return stop;
  }

  /**
   * Resolves with the task once it is COMPLETED, or FAILED with no retry left; null after `timeout`
   * seconds. Subscribes first, then reads the row, so a completion is never missed. It polls as well
   * (lib/completion-waits.ts), so it works without Redis: the waits of this client share one query
   * per poll interval, and one every 10 s while Redis delivers messages.
   */
  async waitForCompletion(id: string, options: WaitOptions = {}): Promise<DatabaseTask | null> {
    const timeoutSeconds = options.timeout ?? 300;
    if (typeof timeoutSeconds !== 'number' || !Number.isFinite(timeoutSeconds) || timeoutSeconds < 0) {
      throw new ValidationError(`waitForCompletion: timeout must be a number of seconds, 0 or more; got ${describeValue(timeoutSeconds)}`);
    }
    if (!isTaskId(id)) throw new ValidationError(`waitForCompletion: ${describeValue(id)} is not a task id`);
    const deadline = Date.now() + timeoutSeconds * 1000;
    let wake: () => void = () => undefined;
    let signalled = false; // a wake that arrives while the row is being read is not lost
    const remove = await this.waits.add(id, () => {
      signalled = true;
      wake();
    });
    try {
      for (;;) {
        signalled = false;
        const record = await this.store.get(id);
        if (!record) throw new TaskWorkerError('TW_NOT_FOUND', `waitForCompletion: no task with id ${id}`);
        if (record.status === 'COMPLETED' || (record.status === 'FAILED' && record.runAt === null)) {
          return options.attempts ? taskWithAttempts(this.store, record) : toModel(record);
        }
        const left = deadline - Date.now();
        if (left <= 0) return null;
        if (signalled) continue;
        // A referenced timer: a script awaiting its task must not exit early.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      remove();
    }
  }
}
