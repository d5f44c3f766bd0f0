// @Task registers each public method of a class as a task named '<namespace>.<method>';
// @TaskOptions sets one method's defaults. Imports only lib's registry and types.
import 'reflect-metadata';
import { defaultRegistry, TASK_NAMESPACE, type TaskHandler, type TaskRegistry } from '../lib/registry';
import type { TaskDefaults } from '../lib/types';
import { methodSchedules } from './schedule';

const METHOD_OPTIONS = Symbol('task-worker.method-options');

export interface TaskClassOptions extends TaskDefaults {
  /** Registry to add the tasks to. Default: the process-wide registry the worker reads. */
  registry?: TaskRegistry;
}

/**
 * Registers every public method (names not starting with '_') as a task. The class is
 * instantiated once, with no arguments, on the first call.
 *
 * @param namespace dotted prefix, e.g. 'app.tasks'; default: the class name.
 * @param options defaults for every method (timeout, maxRetries, queue, priority).
 */
export function Task(namespace?: string | TaskClassOptions, options: TaskClassOptions = {}): ClassDecorator {
  return (target) => {
    const resolvedOptions = typeof namespace === 'object' ? namespace : options;
    const prefix = typeof namespace === 'string' ? namespace : target.name;
    const { registry = defaultRegistry, ...classDefaults } = resolvedOptions;
    let instance: Record<string, TaskHandler> | undefined;
    const getInstance = () => (instance ??= new (target as unknown as new () => Record<string, TaskHandler>)());
    const prototype = target.prototype as Record<string, unknown>;
    for (const method of Object.getOwnPropertyNames(prototype)) {
      if (method === 'constructor' || method.startsWith('_')) continue;
      const descriptor = Object.getOwnPropertyDescriptor(prototype, method);
      if (typeof descriptor?.value !== 'function') continue;
      const methodDefaults = (Reflect.getMetadata(METHOD_OPTIONS, prototype, method) ?? {}) as TaskDefaults;
      registry.register(`${prefix}.${method}`, (...args: unknown[]) => getInstance()[method](...args),
        { ...classDefaults, ...methodDefaults, schedule: methodSchedules(prototype, method) });
    }
    Object.defineProperty(target, TASK_NAMESPACE, { value: prefix });
  };
}

/** Defaults for one method of a @Task class; they win over the class's. */
export function TaskOptions(options: TaskDefaults): MethodDecorator {
  return (target, propertyKey) => {
    Reflect.defineMetadata(METHOD_OPTIONS, options, target, propertyKey);
  };
}
