// tw.schedules: schedules declared at run time (upsert, remove, pause, resume, list, run now), and
// the sync at worker start that stores the schedules declared in code (@Schedule, registerTask's
// `schedule`) and in configuration (`schedules`). Every declaration is checked in full before
// anything is written. What fires them is the Scheduler's (scheduler.ts).
import type { Logger } from 'pino';
import type { TaskClient } from './client';
import type { ResolvedConfig } from './config';
import { formatDuration } from './duration';
import { ScheduleError, TaskWorkerError, UnknownTaskError } from './errors';
import { nextFireAfter } from './fire-times';
import type { DatabaseTask } from './model';
import type { TaskRegistry } from './registry';
import {
  catchUpText, checkScheduleKey, normalizeSchedule, recurrenceOf, sameRecurrence, type ScheduleDefinition, type ScheduleSource, type ScheduleSpec,
} from './schedule-spec';
import type { ScheduleListRow, ScheduleRecord } from './store/schedule-statements';
import type { TaskStore } from './store/task-store';
import type { TaskStatus } from './types';
import { toModel } from './db/rows';

/** A schedule as tw.schedules.list() and tw-admin show it. */
export interface ScheduleInfo extends Pick<ScheduleDefinition, 'key' | 'task' | 'timezone' | 'args' | 'kwargs' | 'queue' | 'priority' | 'maxRetries' | 'timeout'> {
  /** The cron expression, or null for an `every` schedule. */
  cron: string | null;
  /** The interval as a duration ('30s'), or null for a cron schedule. */
  every: string | null;
  /** 'none', 'latest', a count ('5') or a duration ('6h'). */
  catchUp: string;
  /** Who declared it: 'code' and 'config' schedules are synced at worker start; 'runtime' ones only change through tw.schedules. */
  source: ScheduleSource;
  paused: boolean;
  /** When it fires next (null: paused, or never again). */
  nextFireAt: Date | null;
  /** The latest fire time a task was made for, that task, and its status now (null once purged). */
  lastFireAt: Date | null;
  lastTaskId: string | null;
  lastTaskStatus: TaskStatus | null;
  /** The last task FAILED and a retry is due. */
  lastTaskRetrying: boolean;
}

/** What the worker found declared in its task modules (see TaskPool.declarations). */
export interface Declared {
  /** Schedules declared in code. */
  code: ScheduleDefinition[];
  /** The tasks this worker registers: code schedules of these tasks that are no longer declared are removed. */
  tasks: string[];
}

export interface SyncResult {
  added: string[];
  changed: string[];
  removed: string[];
}

/** A sync checked in full and ready to write. */
export interface SyncPlan {
  entries: Array<{ definition: ScheduleDefinition; source: ScheduleSource }>;
  tasks: string[];
  /** Config schedules are only removed by a worker whose configuration has a `schedules` key. */
  configAuthoritative: boolean;
}

const WRITE_ROUNDS = 5;

/** Everything a declaration decides, as comparable text. */
function definitionText(d: ScheduleDefinition): string {
  return JSON.stringify([d.task, d.cron, d.everyMs, d.timezone, d.args, d.kwargs, d.queue, d.priority, d.maxRetries, d.timeout, catchUpText(d.catchUp)]);
}

function toInfo(row: ScheduleRecord & Partial<Pick<ScheduleListRow, 'lastTaskStatus' | 'lastTaskRetrying'>>): ScheduleInfo {
  const date = (ms: number | null) => (ms === null ? null : new Date(ms));
  return {
    key: row.key, task: row.task, cron: row.cron, every: row.everyMs === null ? null : formatDuration(row.everyMs), timezone: row.timezone,
    args: row.args, kwargs: row.kwargs, queue: row.queue, priority: row.priority, maxRetries: row.maxRetries, timeout: row.timeout,
    catchUp: catchUpText(row.catchUp), source: row.source, paused: row.paused, nextFireAt: row.paused ? null : date(row.nextFireAt),
    lastFireAt: date(row.lastFireAt), lastTaskId: row.lastTaskId, lastTaskStatus: row.lastTaskStatus ?? null,
    lastTaskRetrying: row.lastTaskRetrying ?? false,
  };
}

export class Schedules {
  constructor(
    private readonly store: TaskStore,
    private readonly client: TaskClient,
    private readonly registry: TaskRegistry,
    private readonly config: ResolvedConfig,
    private readonly logger: Logger,
    /** The time source (tests inject one). */
    private readonly clock: () => number = Date.now,
  ) {}

  private notFound(key: string): never {
    throw new TaskWorkerError('TW_NOT_FOUND', `no schedule with key "${key}"; tw-admin schedules lists them`);
  }

  /** Throws UnknownTaskError when the task is not registered here (only checked where handlers are registered, as createTask does). */
  private checkTask(definition: ScheduleDefinition, known: readonly string[] = []): void {
    const { registry, config } = this;
    if (known.includes(definition.task)) return;
    if (registry.size === 0 && config.moduleRoot === undefined && known.length === 0) return;
    if (!registry.isKnown(definition.task, config.moduleRoot)) {
      throw new UnknownTaskError(definition.task, `schedule "${definition.key}" runs it, but no handler is registered under this name; ` +
        `registered: ${[...new Set([...known, ...registry.names()])].slice(0, 20).join(', ') || 'none'}`);
    }
  }

  /**
   * Creates or changes a run-time schedule. A change of its expression, interval or zone restarts
   * it from now; a change of anything else keeps its next fire time. Schedules declared in code or
   * configuration are changed there, not here (pause and resume work on every schedule).
   */
  async upsert(key: string, spec: ScheduleSpec): Promise<ScheduleInfo> {
    const definition = normalizeSchedule(key, spec, 'tw.schedules.upsert');
    this.checkTask(definition);
    const existing = await this.store.schedules.get(key);
    if (existing && existing.source !== 'runtime') {
      throw new ScheduleError(key, `declared in ${existing.source === 'code' ? 'code (@Schedule or registerTask)' : 'the configuration'}; ` +
        'change it there, or use another key for a run-time schedule');
    }
    await this.write(definition, 'runtime', existing);
    return (await this.get(key))!;
  }

  /** Writes a definition over what was read; true when something changed. */
  private async write(definition: ScheduleDefinition, source: ScheduleSource, existing: ScheduleRecord | null): Promise<boolean> {
    const { schedules } = this.store;
    let current = existing;
    for (let round = 0; round < WRITE_ROUNDS; round++) {
      const now = this.clock();
      if (!current) {
        const next = nextFireAfter(recurrenceOf(definition), now);
        if (await schedules.insert(definition, source, next, false, now)) return true;
      } else {
        if (current.source === source && definitionText(current) === definitionText(definition)) return false;
        // Paused schedules restart from now when resumed; a running one keeps its place unless its times changed.
        const next = sameRecurrence(current, definition) || current.paused ? undefined : nextFireAfter(recurrenceOf(definition), now);
        if (await schedules.update(definition, source, next, current.updatedAt, now)) return true;
      }
      current = await schedules.get(definition.key); // another process wrote it meanwhile: look again
    }
    throw new TaskWorkerError('TW_SCHEDULE_CONFLICT', `schedule "${definition.key}" kept changing while it was being written; try again`);
  }

  /** Deletes a schedule (its tasks stay); false when there was none. A code or config schedule comes back at the next worker start while it is still declared. */
  async remove(key: string): Promise<boolean> {
    return this.store.schedules.remove(checkScheduleKey(key));
  }

  /** Stops a schedule from firing until resume(); it survives restarts and syncs. */
  async pause(key: string): Promise<ScheduleInfo> {
    if (!(await this.store.schedules.setPaused(checkScheduleKey(key), true, undefined, this.clock()))) this.notFound(key);
    return (await this.get(key))!;
  }

  /** Fires again from now on: fire times that passed while it was paused are skipped, not caught up. */
  async resume(key: string): Promise<ScheduleInfo> {
    const record = await this.store.schedules.get(checkScheduleKey(key));
    if (!record) this.notFound(key);
    const now = this.clock();
    const next = record.paused ? nextFireAfter(recurrenceOf(record), now) : undefined;
    await this.store.schedules.setPaused(key, false, next, now);
    return (await this.get(key))!;
  }

  async get(key: string): Promise<ScheduleInfo | null> {
    const row = (await this.store.schedules.list()).find((r) => r.key === key);
    return row ? toInfo(row) : null;
  }

  /** Every schedule, by key. */
  async list(): Promise<ScheduleInfo[]> {
    return (await this.store.schedules.list()).map(toInfo);
  }

  /**
   * Makes a task of the schedule now, out of turn, whether it is paused or not; its scheduledFor is
   * now. The schedule's own fire times are not changed.
   */
  async runNow(key: string): Promise<DatabaseTask> {
    const record = await this.store.schedules.get(checkScheduleKey(key));
    if (!record) this.notFound(key);
    const now = this.clock();
    const task = this.client.scheduledRecord(record, now, now);
    const inserted = await this.store.schedules.boundedTransaction(30, async (transaction) => {
      const ids = await this.store.insertKeyed([task], transaction);
      if (ids.has(task.id)) await this.store.schedules.recordRun(key, now, task.id, now, transaction);
      return ids.has(task.id);
    });
    if (!inserted) throw new TaskWorkerError('TW_SCHEDULE_CONFLICT', `schedule "${key}" already has a task for ${new Date(now).toISOString()}; try again`);
    this.client.announce([task], undefined);
    return toModel(task);
  }

  /**
   * Checks the declared schedules in full (throws ScheduleError / UnknownTaskError, nothing written):
   * the code's, and the configuration's when it has a `schedules` key (an absent key leaves the
   * stored config schedules alone; an empty one removes them).
   */
  plan(declared: Declared, configSchedules: ScheduleDefinition[] | undefined): SyncPlan {
    const entries: SyncPlan['entries'] = declared.code.map((definition) => ({ definition, source: 'code' as const }));
    for (const definition of configSchedules ?? []) {
      if (declared.code.some((d) => d.key === definition.key)) {
        throw new ScheduleError(definition.key, 'declared both in code and in the configuration; give one of them another key');
      }
      this.checkTask(definition, declared.tasks);
      entries.push({ definition, source: 'config' });
    }
    return { entries, tasks: declared.tasks, configAuthoritative: configSchedules !== undefined };
  }

  /**
   * Stores a plan: adds and changes the declared schedules, and removes the code schedules of this
   * worker's tasks that are no longer declared (and, when the configuration is authoritative, the
   * config schedules no longer in it). Run-time schedules are never removed; one whose key is now
   * declared in code or configuration is taken over by the declaration.
   */
  async sync(plan: SyncPlan): Promise<SyncResult> {
    const result: SyncResult = { added: [], changed: [], removed: [] };
    for (const { definition, source } of plan.entries) {
      const existing = await this.store.schedules.get(definition.key);
      if (existing?.source === 'runtime') {
        this.logger.warn({ schedule: definition.key, source }, 'a run-time schedule is now declared in code or configuration: the declaration replaces it');
      }
      if (await this.write(definition, source, existing)) (existing ? result.changed : result.added).push(definition.key);
    }
    const keys = (source: ScheduleSource) => plan.entries.filter((e) => e.source === source).map((e) => e.definition.key);
    result.removed.push(...await this.store.schedules.removeStale('code', keys('code'), plan.tasks));
    if (plan.configAuthoritative) result.removed.push(...await this.store.schedules.removeStale('config', keys('config')));
    if (result.added.length + result.changed.length + result.removed.length > 0) this.logger.info(result, 'schedules synced');
    return result;
  }
}
