// @Schedule on a method of a @Task class: the method also runs by itself, on a cron expression or
// a fixed interval. Records the declaration for @Task, which registers it with the task; a method
// may carry several (give each a `key`). The checks run at registration, when the class loads.
// Works as a standard (TC39) and as a legacy decorator, like @TaskOptions (see modes.ts).
import type { ScheduleOptions, TaskScheduleOptions } from '../lib/schedule-spec';
import { decoratedMethod, type TaskMethodDecorator } from './modes';

/** The schedules declared on each method, keyed by the method's function. */
const methodScheduleLists = new WeakMap<object, TaskScheduleOptions[]>();

/**
 * Runs the method on a schedule: `@Schedule('0 3 * * *', { timezone: 'Europe/Berlin' })`, or
 * `@Schedule({ every: '30s' })`. Options: args, kwargs, timezone, queue, priority, maxRetries,
 * timeout, catchUp, and key (default: the task name).
 */
export function Schedule(cron: string, options?: Omit<TaskScheduleOptions, 'cron' | 'every'>): TaskMethodDecorator;
export function Schedule(options: TaskScheduleOptions): TaskMethodDecorator;
export function Schedule(cronOrOptions: string | TaskScheduleOptions, options: Omit<TaskScheduleOptions, 'cron' | 'every'> = {}): TaskMethodDecorator {
  const declared: TaskScheduleOptions = typeof cronOrOptions === 'string' ? { ...options, cron: cronOrOptions } : cronOrOptions;
  return ((target: unknown, key: unknown, descriptor?: PropertyDescriptor) => {
    const method = decoratedMethod('@Schedule', target, key, descriptor);
    // Decorators apply bottom-up: prepending keeps the order they are written in.
    methodScheduleLists.set(method, [declared, ...(methodScheduleLists.get(method) ?? [])]);
  }) as TaskMethodDecorator;
}

/** The schedules declared with @Schedule on one method, given its function (undefined when none), for @Task. */
export function methodSchedules(method: object): TaskScheduleOptions[] | undefined {
  const list = methodScheduleLists.get(method);
  return list && list.length > 0 ? list : undefined;
}

export type { ScheduleOptions, TaskScheduleOptions };
