// The schedules page's data and actions: every schedule as TaskAdmin lists it (the list tw-admin
// schedules prints: definition, next and last fire, the last fire's task and its state), and
// pause, resume and run now with tw-admin's semantics, each answering what changed in a sentence.
import type { ScheduleInfo } from '../schedules';
import { checkScheduleKey } from '../schedule-spec';
import type { JsonObject, JsonValue } from '../types';
import type { DashboardSource } from './api';
import type { ActionResultJson, ScheduleJson, SchedulesJson } from './client/api-types';
import { DashboardHttpError } from './http';
import { detailJson } from './task-json';

export type ScheduleAction = 'pause' | 'resume' | 'run-now';

/** Characters of a schedule's arguments shown on the page (the rest: tw-admin schedules --json). */
const ARGS_PREVIEW = 200;

function argsPreview(args: JsonValue[], kwargs: JsonObject): string {
  const text = JSON.stringify(args) + (Object.keys(kwargs).length > 0 ? ` ${JSON.stringify(kwargs)}` : '');
  return text.length > ARGS_PREVIEW ? `${text.slice(0, ARGS_PREVIEW - 1)}\u2026` : text;
}

/** A time for a sentence: the server does not know the browser's zone, so UTC, as tw-admin prints it. */
function utc(date: Date | number | null): string {
  return date === null ? 'never' : `${new Date(date).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function scheduleJson(s: ScheduleInfo): ScheduleJson {
  return {
    key: s.key, task: s.task, cron: s.cron, every: s.every, timezone: s.timezone, catchUp: s.catchUp, source: s.source, queue: s.queue,
    argsPreview: argsPreview(s.args, s.kwargs), paused: s.paused, nextFireAt: s.nextFireAt?.getTime() ?? null,
    lastFireAt: s.lastFireAt?.getTime() ?? null, lastTaskId: s.lastTaskId,
    lastTaskState: s.lastTaskStatus === null ? null : s.lastTaskRetrying ? 'RETRYING' : s.lastTaskStatus,
  };
}

/** A schedule key from a URL path segment; a bad one is a 400 that says what a key may hold. */
function keyFrom(segment: string): string {
  let key = segment;
  try {
    key = decodeURIComponent(segment);
    return checkScheduleKey(key);
  } catch {
    throw new DashboardHttpError(400, 'BAD_REQUEST', `"${key}" is not a schedule key: 1-200 of A-Z a-z 0-9 _ . : / -`);
  }
}

export class ScheduleApi {
  constructor(private readonly source: DashboardSource) {}

  async list(): Promise<SchedulesJson> {
    return { now: Date.now(), schedules: (await this.source.admin.schedules()).map(scheduleJson) };
  }

  private async current(key: string): Promise<ScheduleInfo | undefined> {
    return (await this.source.admin.schedules()).find((s) => s.key === key);
  }

  /** `segment`: the key as it stands in the URL (encoded). */
  async act(segment: string, action: ScheduleAction): Promise<ActionResultJson> {
    const { admin, store } = this.source;
    const key = keyFrom(segment);
    // Read first only to say what changed; the action itself is TaskAdmin's, as in tw-admin.
    const was = await store.schedules.get(key);
    if (!was) throw new DashboardHttpError(404, 'TW_NOT_FOUND', `no schedule with key "${key}" (it may have been removed)`);
    if (action === 'run-now') {
      const task = await admin.runScheduleNow(key);
      const [record, schedule] = await Promise.all([store.get(task.id), this.current(key)]);
      return {
        message: `Task ${task.id} (${task.name}) created for schedule ${key}, for now (${utc(task.scheduledFor)}): it is ${task.status}. ` +
          `The schedule's own fire times do not move${was.paused ? ', and it stays paused' : ''}.`,
        task: record ? detailJson(record, false) : undefined,
        schedule: schedule && scheduleJson(schedule),
      };
    }
    const now = action === 'pause' ? await admin.pauseSchedule(key) : await admin.resumeSchedule(key);
    const name = `Schedule ${key} (${now.task})`;
    let message: string;
    if (action === 'pause') {
      message = was.paused ? `${name} was already paused: nothing changed.`
        : `${name} is paused: it makes no task until it is resumed (this survives restarts and worker starts).`;
    } else {
      message = !was.paused ? `${name} was not paused: nothing changed; next fire ${utc(now.nextFireAt)}.`
        : `${name} is running again: next fire ${utc(now.nextFireAt)}; the fire times it missed while paused are skipped.`;
    }
    return { message, schedule: scheduleJson(now) };
  }
}
