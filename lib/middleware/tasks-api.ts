// The `tasks` object that the Express and Koa middleware attach to each request: a thin wrapper over
// TaskClient whose input errors become HTTP 400/404 errors, and whose wait() is bounded so a
// request cannot hang for the client's 300-second default.
import { TaskClient, type GetTaskOptions, type ProgressListener, type WaitOptions } from '../client';
import { ConfigError } from '../errors';
import type { DatabaseTask } from '../model';
import type { TaskClass } from '../registry';
import type { TaskArgs, TaskMethodName, TypedCreateOptions } from '../typed-tasks';
import type { CreateTaskOptions, TaskSpec } from '../types';
import type { Transaction } from 'sequelize';
import { toHttpError } from './http-errors';

/** What `req.tasks` (Express) and `ctx.tasks` (Koa) offer. */
export interface TasksApi {
  /** Enqueues a task by name: `create('app.tasks.multiply', { args: [2, 3] })`. */
  create(name: string, options?: CreateTaskOptions): Promise<DatabaseTask>;
  /** Enqueues a task by class and method; tsc checks `args`: `create(AppTasks, 'multiply', [2, 3])`. */
  create<C extends TaskClass, M extends TaskMethodName<C>>(cls: C, method: M, args: TaskArgs<C, M>, options?: TypedCreateOptions): Promise<DatabaseTask>;
  /** Enqueues many tasks at once, all or none (use taskCall() for typed items). */
  createMany(specs: readonly TaskSpec[], options?: { transaction?: Transaction }): Promise<DatabaseTask[]>;
  /** The task (with its latest `progress`), or null when there is none with this id (or the id is malformed). */
  get(id: string, options?: GetTaskOptions): Promise<DatabaseTask | null>;
  /**
   * The task once it is COMPLETED or FAILED for good; null when `timeout` seconds pass first.
   * Default timeout: the middleware's waitTimeout; at most its maxWaitTimeout.
   */
  wait(id: string, options?: WaitOptions): Promise<DatabaseTask | null>;
  /**
   * Calls `listener` with the task's progress as its worker writes it (e.g. to stream it to a
   * browser with server-sent events); resolves with the function that stops it: call it when the
   * request closes.
   */
  onProgress(id: string, listener: ProgressListener): Promise<() => void>;
}

/** Something that owns a TaskClient: a TaskWorker, or the client itself. */
export type TaskSource = TaskClient | { readonly client: TaskClient };

export interface TaskMiddlewareOptions {
  /** Seconds wait() waits when the route passes no timeout. Default 30. */
  waitTimeout?: number;
  /** Longest wait() a route may ask for, in seconds; longer requests are cut to it. Default 120. */
  maxWaitTimeout?: number;
}

function seconds(key: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(`taskMiddleware: ${key} must be a number of seconds, 0 or more; got ${String(value)}`);
  }
  return value;
}

function clientOf(source: TaskSource): TaskClient {
  if (source instanceof TaskClient) return source;
  if (source && typeof source === 'object' && 'client' in source && source.client instanceof TaskClient) return source.client;
  throw new ConfigError('taskMiddleware(tw): pass your TaskWorker (or its TaskClient), e.g. app.use(taskMiddleware(tw))');
}

async function mapped<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toHttpError(error);
  }
}

/** Builds the request-independent `tasks` object the middleware attach (one per app). */
export function createTasksApi(source: TaskSource, options: TaskMiddlewareOptions = {}): TasksApi {
  const client = clientOf(source);
  const waitTimeout = seconds('waitTimeout', options.waitTimeout ?? 30);
  const maxWaitTimeout = seconds('maxWaitTimeout', options.maxWaitTimeout ?? 120);
  const create = client.createTask as (...call: unknown[]) => Promise<DatabaseTask>;
  const api = {
    create: (...call: unknown[]) => mapped(() => create.apply(client, call)),
    createMany: (specs: readonly TaskSpec[], createOptions?: { transaction?: Transaction }) =>
      mapped(() => client.createTasks(specs, createOptions)),
    get: (id: string, getOptions?: GetTaskOptions) => mapped(() => client.getTask(id, getOptions)),
    onProgress: (id: string, listener: ProgressListener) => mapped(() => client.onProgress(id, listener)),
    wait: (id: string, waitOptions: WaitOptions = {}) => {
      const requested = waitOptions.timeout ?? waitTimeout;
      const timeout = typeof requested === 'number' && requested > maxWaitTimeout ? maxWaitTimeout : requested;
      return mapped(() => client.waitForCompletion(id, { ...waitOptions, timeout }));
    },
  };
  return api as TasksApi;
}
