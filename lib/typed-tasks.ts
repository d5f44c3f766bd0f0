// Typed enqueueing: a task named by its @Task class and method, so tsc checks the arguments against
// the handler's signature. Only types plus two small runtime helpers that turn (class, method, args)
// into the plain name + options the client validates as usual.
import { ValidationError } from './errors';
import { taskNameOf, type TaskClass } from './registry';
import type { CreateTaskOptions, TaskSpec } from './types';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (...args: any[]) => unknown;

/**
 * The methods of a task class that @Task registers: public (not starting with '_') functions.
 * `TaskMethodName<typeof AppTasks>` is e.g. `'multiply' | 'sendEmail'`.
 */
export type TaskMethodName<C extends TaskClass> = {
  [K in keyof InstanceType<C>]-?: K extends string
    ? K extends `_${string}`
      ? never
      : InstanceType<C>[K] extends AnyFunction
        ? K
        : never
    : never;
}[keyof InstanceType<C>];

/** The positional arguments of `C.prototype[M]`, as a tuple: what `args` must be. */
export type TaskArgs<C extends TaskClass, M extends TaskMethodName<C>> =
  InstanceType<C>[M] extends (...args: infer A) => unknown ? A : never;

/** What the handler resolves to (the task's `resultValue` once COMPLETED, after a JSON round trip). */
export type TaskResult<C extends TaskClass, M extends TaskMethodName<C>> =
  InstanceType<C>[M] extends (...args: never[]) => infer R ? Awaited<R> : never;

/**
 * Options of a typed create: everything but `args` (given as its own, checked parameter) and
 * `kwargs` (a typed call passes every argument positionally).
 */
export type TypedCreateOptions = Omit<CreateTaskOptions, 'args' | 'kwargs'>;

/** A typed call resolved to what the string-named API takes. */
export interface ResolvedCall {
  name: string;
  options: CreateTaskOptions;
}

/**
 * Resolves (class, method, args, options) to a task name and options; throws ValidationError when
 * the class is not a @Task class, has no such public method, or args is not an array (JavaScript
 * callers, or values that bypassed the types).
 */
export function resolveTypedCall(cls: TaskClass, method: string, args: unknown, options: TypedCreateOptions = {}): ResolvedCall {
  if (typeof cls !== 'function') throw new ValidationError('a typed create needs a @Task class as its first argument');
  const name = taskNameOf(cls, method);
  const prototype = cls.prototype as Record<string, unknown>;
  if (typeof method !== 'string' || method.startsWith('_') || typeof prototype[method] !== 'function') {
    throw new ValidationError(`${cls.name} has no public method "${String(method)}" registered as a task`);
  }
  if (!Array.isArray(args)) {
    throw new ValidationError(`${cls.name}.${method}: pass the arguments as an array, e.g. create(${cls.name}, '${method}', [2, 3])`);
  }
  if (options !== null && typeof options === 'object' && ('args' in options || 'kwargs' in options)) {
    throw new ValidationError(`${cls.name}.${method}: a typed create takes its arguments as the third parameter, not in options.args/kwargs`);
  }
  return { name, options: { ...options, args } };
}

/**
 * A typed TaskSpec for createTasks / req.tasks.createMany:
 * `createTasks([taskCall(AppTasks, 'multiply', [2, 3]), taskCall(AppTasks, 'multiply', [4, 5])])`.
 */
export function taskCall<C extends TaskClass, M extends TaskMethodName<C>>(
  cls: C,
  method: M,
  args: TaskArgs<C, M>,
  options: Omit<TypedCreateOptions, 'transaction'> = {},
): TaskSpec {
  const resolved = resolveTypedCall(cls, method, args, options);
  return { name: resolved.name, ...resolved.options };
}
