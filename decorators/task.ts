// @Task registers each public method of a class as a task named '<namespace>.<method>';
// @TaskOptions sets one method's defaults. Both work as TC39 standard decorators (TypeScript 5+
// without experimentalDecorators) and as legacy ones (experimentalDecorators): each tells the two
// calling conventions apart at run time, and its type has an overload for each, so tsc accepts it
// in either mode. Imports only lib's registry, errors and types.
import { ValidationError } from '../lib/errors';
import { defaultRegistry, TASK_NAMESPACE, type TaskHandler, type TaskRegistry } from '../lib/registry';
import type { TaskDefaults } from '../lib/types';
import { decoratedMethod, isStandardContext, type TaskMethodDecorator } from './modes';
import { methodSchedules } from './schedule';

/**
 * @TaskOptions defaults, keyed by the method's function. Both decorator modes hand the method
 * decorator the very function that ends up on the prototype (standard decorators have no
 * Symbol.metadata on Node 20/22), and method decorators run before the class decorator.
 */
const methodOptions = new WeakMap<object, TaskDefaults>();

export interface TaskClassOptions extends TaskDefaults {
  /** Registry to add the tasks to. Default: the process-wide registry the worker reads. */
  registry?: TaskRegistry;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyClass = abstract new (...args: any[]) => any;

/** A class decorator in both modes: `(Class)` legacy, `(Class, context)` standard. */
export interface TaskClassDecorator {
  <C extends AnyClass>(target: C): void;
  <C extends AnyClass>(target: C, context: ClassDecoratorContext<C>): void;
}

/**
 * Registers every public method (names not starting with '_') as a task. The class is
 * instantiated once, with no arguments, on the first call.
 *
 * @param namespace dotted prefix, e.g. 'app.tasks'; default: the class name.
 * @param options defaults for every method (timeout, maxRetries, queue, priority).
 */
export function Task(namespace?: string | TaskClassOptions, options: TaskClassOptions = {}): TaskClassDecorator {
  return ((target: AnyClass, context?: unknown) => {
    if (context !== undefined && (!isStandardContext(context) || context.kind !== 'class')) {
      throw new ValidationError('@Task() decorates a class; use @TaskOptions({...}) on a method');
    }
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
      const methodDefaults = methodOptions.get(descriptor.value as object) ?? {};
      registry.register(`${prefix}.${method}`, (...args: unknown[]) => getInstance()[method](...args),
        { ...classDefaults, ...methodDefaults, schedule: methodSchedules(descriptor.value as object) });
    }
    Object.defineProperty(target, TASK_NAMESPACE, { value: prefix });
  }) as TaskClassDecorator;
}

/** Defaults for one method of a @Task class; they win over the class's. */
export function TaskOptions(options: TaskDefaults): TaskMethodDecorator {
  return ((target: unknown, key: unknown, descriptor?: PropertyDescriptor) => {
    methodOptions.set(decoratedMethod('@TaskOptions', target, key, descriptor), options);
  }) as TaskMethodDecorator;
}

export type { TaskMethodDecorator };
