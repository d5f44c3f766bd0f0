// @Schedule on a method of a @Task class: the method also runs by itself, on a cron expression or
// a fixed interval. Records the declaration for @Task, which registers it with the task; a method
// may carry several (give each a `key`). The checks run at registration, when the class loads.
import 'reflect-metadata';
import type { ScheduleOptions, TaskScheduleOptions } from '../lib/schedule-spec';

const METHOD_SCHEDULES = Symbol('task-worker.method-schedules');

/**
 * Runs the method on a schedule: `@Schedule('0 3 * * *', { timezone: 'Europe/Berlin' })`, or
 * `@Schedule({ every: '30s' })`. Options: args, kwargs, timezone, queue, priority, maxRetries,
 * timeout, catchUp, and key (default: the task name).
 */
export function Schedule(cron: string, options?: Omit<TaskScheduleOptions, 'cron' | 'every'>): MethodDecorator;
export function Schedule(options: TaskScheduleOptions): MethodDecorator;
export function Schedule(cronOrOptions: string | TaskScheduleOptions, options: Omit<TaskScheduleOptions, 'cron' | 'every'> = {}): MethodDecorator {
  const declared: TaskScheduleOptions = typeof cronOrOptions === 'string' ? { ...options, cron: cronOrOptions } : cronOrOptions;
  return (target, propertyKey) => {
    const list = (Reflect.getMetadata(METHOD_SCHEDULES, target, propertyKey) ?? []) as TaskScheduleOptions[];
    // Decorators apply bottom-up: unshift keeps the order they are written in.
    Reflect.defineMetadata(METHOD_SCHEDULES, [declared, ...list], target, propertyKey);
  };
}

/** The schedules declared on one method with @Schedule (undefined when none), for @Task. */
export function methodSchedules(prototype: object, method: string): TaskScheduleOptions[] | undefined {
  const list = Reflect.getMetadata(METHOD_SCHEDULES, prototype, method) as TaskScheduleOptions[] | undefined;
  return list && list.length > 0 ? list : undefined;
}

export type { ScheduleOptions, TaskScheduleOptions };
