// The dashboard's JSON endpoints: reading (queues, a page of tasks, a task with its attempts,
// workers) and the actions, which are TaskAdmin's, with tw-admin's semantics: retry and cancel one
// task (a running one too), retry the failed tasks of a filter, purge finished tasks older than an
// age, pause and resume a queue. Query and body values are checked here; a bad one is a 400 that
// says what is expected.
import type { TaskAdmin } from '../admin';
import { attemptsOf } from '../attempts';
import { parseDuration, purgeAgeProblem } from '../duration';
import { isTaskId } from '../ids';
import { STATUS_FILTERS, type StatusFilter, type TaskFilter } from '../store/dashboard-statements';
import type { TaskStore } from '../store/task-store';
import type { ActionResultJson, OverviewJson, TaskDetailJson, TaskPageJson, WorkersJson } from './client/api-types';
import { DashboardHttpError } from './http';
import { OverviewSource } from './overview';
import { detailJson, summaryJson } from './task-json';
import { workersJson } from './workers-view';

function bad(message: string): DashboardHttpError {
  return new DashboardHttpError(400, 'BAD_REQUEST', message);
}

function text(value: unknown, key: string, max: number): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || value.length > max) throw bad(`${key} must be text of at most ${max} characters`);
  return value;
}

/** Epoch milliseconds, or an ISO-8601 date. */
function time(value: unknown, key: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ms = typeof value === 'number' ? value : /^\d+$/.test(String(value)) ? Number(value) : Date.parse(String(value));
  if (!Number.isFinite(ms) || ms < 0) throw bad(`${key} must be a time: epoch milliseconds or an ISO-8601 date`);
  return ms;
}

function cursor(value: unknown, key: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (!isTaskId(value)) throw bad(`${key} must be a task id`);
  return value;
}

function statusFilter(value: unknown): StatusFilter | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (!(STATUS_FILTERS as readonly unknown[]).includes(value)) throw bad(`status must be one of ${STATUS_FILTERS.join(', ')}`);
  return value as StatusFilter;
}

/** The list's filter from a query string or a body (the same keys). */
export function taskFilter(get: (key: string) => unknown): TaskFilter {
  return {
    status: statusFilter(get('status')),
    queue: text(get('queue'), 'queue', 64),
    name: text(get('name'), 'name', 200),
    createdFrom: time(get('from'), 'from'),
    createdTo: time(get('to'), 'to'),
  };
}

function taskId(id: string): string {
  if (!isTaskId(id)) throw bad(`"${id}" is not a task id`);
  return id;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

export interface DashboardSource {
  readonly store: TaskStore;
  readonly admin: TaskAdmin;
}

export class DashboardApi {
  private readonly overviewSource: OverviewSource;

  constructor(private readonly source: DashboardSource, private readonly pageSize: number) {
    this.overviewSource = new OverviewSource(source.store.dashboard, source.store.workers);
  }

  async overview(): Promise<OverviewJson> {
    const [overview, queues] = await Promise.all([this.overviewSource.overview(), this.source.store.queues.list()]);
    const paused = new Set(queues.filter((q) => q.pausedAt !== null).map((q) => q.name));
    return { ...overview, queues: overview.queues.map((q) => ({ ...q, paused: paused.has(q.name) })) };
  }

  async tasks(query: URLSearchParams): Promise<TaskPageJson> {
    const filter = taskFilter((key) => query.get(key) ?? undefined);
    const before = cursor(query.get('before'), 'before');
    const after = cursor(query.get('after'), 'after');
    if (before !== undefined && after !== undefined) throw bad('give before or after, not both');
    const limitText = query.get('limit');
    const limit = limitText === null ? this.pageSize : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw bad('limit must be a whole number from 1 to 500');
    const started = performance.now();
    const rows = await this.source.store.dashboard.page(filter, { before, after, limit: limit + 1 });
    const queryMs = Math.round((performance.now() - started) * 10) / 10;
    // One row more than shown says whether there is a page beyond, in the direction of travel.
    const more = rows.length > limit;
    const shown = after !== undefined ? rows.slice(more ? 1 : 0) : rows.slice(0, limit);
    const first = shown[0]?.id ?? null;
    const last = shown[shown.length - 1]?.id ?? null;
    return {
      tasks: shown.map(summaryJson),
      newer: after !== undefined ? (more ? first : null) : before !== undefined ? first ?? before : null,
      older: after !== undefined ? last ?? after : more ? last : null,
      queryMs,
    };
  }

  async task(id: string, readOnly: boolean): Promise<TaskDetailJson> {
    const detail = await this.detail(taskId(id), readOnly);
    if (!detail) throw new DashboardHttpError(404, 'TW_NOT_FOUND', `no task with id ${id} (it may have been purged)`);
    return detail;
  }

  private async detail(id: string, readOnly: boolean): Promise<TaskDetailJson | undefined> {
    const [record, attempts] = await Promise.all([this.source.store.get(id), this.source.store.attempts.list(id)]);
    return record ? detailJson(record, readOnly, attemptsOf(record, attempts)) : undefined;
  }

  workers(): Promise<WorkersJson> {
    return workersJson(this.source.store.workers, this.source.store.dashboard);
  }

  async retry(id: string): Promise<ActionResultJson> {
    const task = await this.source.admin.retry(taskId(id));
    return { message: `Task ${task.id} (${task.name}) is PENDING again, with its retries reset: a worker will run it now.`,
      task: await this.detail(task.id, false) };
  }

  async cancel(id: string, body: Record<string, unknown>): Promise<ActionResultJson> {
    const reason = text(body.reason, 'reason', 500);
    const task = await this.source.admin.cancel(taskId(id), reason);
    const message = task.status === 'PROGRESS'
      ? `Task ${task.id} (${task.name}) is being cancelled: its worker aborts it (at once with Redis, else within a heartbeat); it then ends FAILED with a CancelledError.`
      : `Task ${task.id} (${task.name}) is cancelled: FAILED for good with a CancelledError; it will not run.`;
    return { message, task: await this.detail(task.id, false) };
  }

  /** Pauses or resumes a queue for every worker (TaskAdmin.pauseQueue / resumeQueue). */
  async queue(name: string, action: 'pause' | 'resume'): Promise<ActionResultJson> {
    const state = action === 'pause' ? await this.source.admin.pauseQueue(name) : await this.source.admin.resumeQueue(name);
    return {
      message: state.paused ? `Queue ${name} is paused: no worker claims its tasks; running ones finish.` : `Queue ${name} runs again.`,
      paused: state.paused,
    };
  }

  async retryFailed(body: Record<string, unknown>): Promise<ActionResultJson> {
    const filter = taskFilter((key) => body[key]);
    if (filter.status !== undefined && filter.status !== 'FAILED' && filter.status !== 'FAILED_FINAL' && filter.status !== 'RETRYING') {
      throw bad('a bulk retry takes FAILED tasks only: status must be FAILED, FAILED_FINAL or RETRYING');
    }
    const dryRun = body.dryRun === true;
    const result = await this.source.admin.retryFailed({
      status: filter.status, queue: filter.queue, name: filter.name,
      createdFrom: filter.createdFrom === undefined ? undefined : new Date(filter.createdFrom),
      createdTo: filter.createdTo === undefined ? undefined : new Date(filter.createdTo),
    }, { dryRun });
    const what = plural(result.retried, 'failed task');
    return { message: dryRun ? `${what} would be retried.` : `${what} retried: PENDING again, with their retries reset.`,
      retried: result.retried, dryRun };
  }

  async purge(body: Record<string, unknown>): Promise<ActionResultJson> {
    const olderThan = text(body.olderThan, 'olderThan', 40);
    if (olderThan === undefined) throw bad('olderThan is required: an age such as 7d, 12h, 30min or 1d12h');
    const problem = purgeAgeProblem(olderThan);
    if (problem) throw bad(problem);
    const olderThanMs = parseDuration(olderThan)!;
    const dryRun = body.dryRun === true;
    const result = await this.source.admin.purge(olderThanMs, { dryRun });
    const deleted = result.completed + result.failed;
    const detail = `finished tasks older than ${olderThan} (${result.completed.toLocaleString('en-US')} COMPLETED, ` +
      `${result.failed.toLocaleString('en-US')} FAILED for good)`;
    return { message: dryRun ? `${plural(deleted, 'task')} would be deleted: ${detail}.` : `Deleted ${plural(deleted, 'task')}: ${detail}.`,
      deleted, dryRun };
  }
}
