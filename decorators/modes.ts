// The two decorator calling conventions, told apart at run time: legacy (experimentalDecorators)
// passes (prototype, name, descriptor) to a method decorator, standard (TC39, TypeScript 5+'s
// default) passes (method, context). Method decorators key what they record by the method's
// function, which both conventions hand over and which stays on the prototype (Node 20/22 have no
// Symbol.metadata for standard decorators to share).
import { ValidationError } from '../lib/errors';

/** A method decorator in both modes: `(prototype, name, descriptor)` legacy, `(method, context)` standard. */
export interface TaskMethodDecorator {
  (target: object, propertyKey: string | symbol, descriptor?: PropertyDescriptor): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  (method: (this: any, ...args: any[]) => any, context: ClassMethodDecoratorContext): void;
}

interface StandardContext {
  kind: string;
  name: string | symbol;
  static?: boolean;
  private?: boolean;
}

export function isStandardContext(value: unknown): value is StandardContext {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string';
}

/**
 * The decorated method's function, in either convention; throws when the target is not a public
 * instance method (what a @Task class turns into tasks).
 */
export function decoratedMethod(decorator: string, target: unknown, key: unknown, descriptor?: PropertyDescriptor): object {
  if (isStandardContext(key)) {
    if (key.kind !== 'method' || key.static || key.private) {
      throw new ValidationError(`${decorator} applies to a public instance method of a @Task class; ${String(key.name)} is a ` +
        `${key.static ? 'static ' : ''}${key.private ? 'private ' : ''}${key.kind}`);
    }
    return target as object;
  }
  const method = descriptor?.value ?? (target as Record<string | symbol, unknown>)[key as string | symbol];
  if (typeof method !== 'function') throw new ValidationError(`${decorator} applies to a method; ${String(key)} is not one`);
  return method as object;
}
