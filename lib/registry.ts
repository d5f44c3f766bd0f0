// The task registry: dotted names -> handlers with their defaults. Names not registered may
// resolve like the seed's 'module.function' paths, but only to files under a configured root
// (no '..', no absolute paths, nothing in node_modules, symlinks followed and checked), and only to
// a function the module itself exports: never to an inherited member such as toString or
// constructor. What a root resolved stays with that root, so a worker without one never runs it.
import { existsSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { DuplicateTaskError, ScheduleError, UnknownTaskError, ValidationError } from './errors';
import { taskSchedules, type ScheduleDefinition, type TaskScheduleOptions } from './schedule-spec';
import type { TaskDefaults } from './types';
import { checkDefaults, describeValue } from './validate';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TaskHandler = (...args: any[]) => unknown;

export interface RegisteredTask {
  name: string;
  handler: TaskHandler;
  defaults: TaskDefaults;
  /** The schedules the task declares for itself, synced at worker start. */
  schedules: ScheduleDefinition[];
}

/** What a task may declare at registration: its defaults, and when it runs by itself. */
export interface TaskRegistration extends TaskDefaults {
  /** A cron expression, schedule options, or a list of them (give each a `key` then). */
  schedule?: string | TaskScheduleOptions | Array<string | TaskScheduleOptions>;
}

const SEGMENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const FILE_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;
export const TASK_NAME_MAX = 200;

/** Throws ValidationError unless `name` is dotted identifiers, like 'app.tasks.multiply'. */
export function assertTaskName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > TASK_NAME_MAX) {
    throw new ValidationError(`task name must be a non-empty string of at most ${TASK_NAME_MAX} characters; got ${describeValue(name)}`);
  }
  if (!name.split('.').every((s) => SEGMENT.test(s))) {
    throw new ValidationError(`task name "${name}" must be dot-separated identifiers, like "app.tasks.multiply"`);
  }
}

/**
 * Names every object or function has without exporting them (toString, hasOwnProperty, valueOf,
 * __lookupGetter__, constructor, call, apply, bind, ...): never a task, whatever the module exports.
 */
export function isInheritedName(name: string): boolean {
  return name === '__proto__' || name === 'prototype' || name in Object.prototype || name in Function.prototype;
}

export const INHERITED_HINT = (exportName: string): string =>
  `"${exportName}" is a member every object or function inherits, never a task; register the handler, or export it under another name`;

/** `object[key]` when the object itself has that property (not inherited), else undefined. */
function ownExport(object: unknown, key: string): unknown {
  if ((typeof object !== 'object' && typeof object !== 'function') || object === null) return undefined;
  return Object.prototype.hasOwnProperty.call(object, key) ? (object as Record<string, unknown>)[key] : undefined;
}

function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

export class TaskRegistry {
  private readonly tasks = new Map<string, RegisteredTask>();
  /** Names resolved under each module root, by root: never visible to a caller with another root (or none). */
  private readonly fromModules = new Map<string, Map<string, RegisteredTask>>();

  get size(): number {
    return this.tasks.size;
  }

  names(): string[] {
    return [...this.tasks.keys()].sort();
  }

  /** Every registered task (not the names resolved under a module root), by name. */
  all(): RegisteredTask[] {
    return this.names().map((name) => this.tasks.get(name)!);
  }

  register(name: string, handler: TaskHandler, registration: TaskRegistration = {}): RegisteredTask {
    assertTaskName(name);
    if (typeof handler !== 'function') throw new ValidationError(`registerTask("${name}"): the handler must be a function`);
    if (this.tasks.has(name)) throw new DuplicateTaskError(name);
    const { schedule, ...defaults } = registration;
    const checked = { ...checkDefaults(`task "${name}"`, defaults) };
    const schedules = taskSchedules(name, schedule, `declared by task "${name}"`);
    const keys = new Set<string>();
    for (const s of schedules) {
      const owner = this.scheduleOwner(s.key);
      if (owner || keys.has(s.key)) {
        throw new ScheduleError(s.key, `declared twice (by task "${owner ?? name}" and task "${name}"); give each schedule its own key`);
      }
      keys.add(s.key);
    }
    const task = { name, handler, defaults: checked, schedules };
    this.tasks.set(name, task);
    return task;
  }

  private scheduleOwner(key: string): string | undefined {
    for (const task of this.tasks.values()) if (task.schedules.some((s) => s.key === key)) return task.name;
    return undefined;
  }

  /** Every schedule the registered tasks declare. */
  declaredSchedules(): ScheduleDefinition[] {
    return [...this.tasks.values()].flatMap((t) => t.schedules);
  }

  /** A registered task (not a name resolved under a module root: see resolve). */
  get(name: string): RegisteredTask | undefined {
    return this.tasks.get(name);
  }

  /** The module file that `name` would load under `root`, or null; never a path outside root. */
  moduleFileFor(name: string, root: string): { file: string; exportName: string } | null {
    const segments = name.split('.');
    if (segments.length < 2 || !segments.slice(0, -1).every((s) => FILE_SEGMENT.test(s))) return null;
    if (isInheritedName(segments[segments.length - 1])) return null;
    const realRoot = realpathSync(root);
    const base = path.join(realRoot, ...segments.slice(0, -1));
    let resolved: string;
    try {
      resolved = require.resolve(base);
    } catch {
      return null;
    }
    if (!existsSync(resolved)) return null;
    const real = realpathSync(resolved);
    if (!isInside(realRoot, real) || real.split(path.sep).includes('node_modules')) return null;
    return { file: real, exportName: segments[segments.length - 1] };
  }

  /**
   * A registered task, else the function exported under `root` (loaded once, then cached).
   * Throws UnknownTaskError saying how to make the name known.
   */
  resolve(name: string, root: string | undefined): RegisteredTask {
    const known = this.get(name) ?? (root === undefined ? undefined : this.fromModules.get(root)?.get(name));
    if (known) return known;
    const hint = root
      ? `register it with @Task or registerTask, or export a function "${name.split('.').pop()}" from a module under ${root}`
      : 'register it with @Task or registerTask (and load that file with --require), or set moduleRoot';
    const exportName = name.slice(name.lastIndexOf('.') + 1);
    if (isInheritedName(exportName)) throw new UnknownTaskError(name, INHERITED_HINT(exportName));
    const located = root ? this.moduleFileFor(name, root) : null;
    if (!located) throw new UnknownTaskError(name, hint);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exported = require(located.file) as unknown;
    const candidate = ownExport(exported, located.exportName) ?? ownExport(ownExport(exported, 'default'), located.exportName);
    // Importing the module may itself have registered the name with @Task.
    const registered = this.get(name);
    if (registered) return registered;
    if (typeof candidate !== 'function') throw new UnknownTaskError(name, `${located.file} has no exported function "${located.exportName}"`);
    const task = { name, handler: candidate as TaskHandler, defaults: {}, schedules: [] };
    let resolved = this.fromModules.get(root!);
    if (!resolved) this.fromModules.set(root!, (resolved = new Map()));
    resolved.set(name, task);
    return task;
  }

  /**
   * True when `name` would resolve, without importing anything: registered, or a module file under
   * the root and an export name that no object or function inherits (toString, constructor, ...).
   */
  isKnown(name: string, root: string | undefined): boolean {
    return this.get(name) !== undefined || (root !== undefined && this.moduleFileFor(name, root) !== null);
  }

  /** Removes every registration (tests). */
  clear(): void {
    this.tasks.clear();
    this.fromModules.clear();
  }
}

/** The process-wide registry that @Task and registerTask write to; each pool thread has its own copy. */
export const defaultRegistry = new TaskRegistry();

/**
 * Registers a plain function under a dotted name, with its defaults and (option `schedule`) the
 * schedule it runs on by itself: registerTask('app.cleanup', fn, { schedule: '0 3 * * *' }).
 */
export function registerTask(name: string, handler: TaskHandler, registration?: TaskRegistration): RegisteredTask {
  return defaultRegistry.register(name, handler, registration);
}

/** Where @Task records a class's namespace, so callers can name a task by class and method. */
export const TASK_NAMESPACE = Symbol.for('task-worker.namespace');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TaskClass = abstract new (...args: any[]) => object;

/** The registered name of `Class.method`; throws when the class was not decorated with @Task. */
export function taskNameOf(cls: TaskClass, method: string): string {
  const namespace = (cls as unknown as Record<symbol, string | undefined>)[TASK_NAMESPACE];
  if (namespace === undefined) {
    throw new ValidationError(`${cls.name} is not a task class: decorate it with @Task()`);
  }
  return `${namespace}.${method}`;
}
