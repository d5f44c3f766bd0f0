// Runs one task's handler and turns whatever happens into an outcome. Never writes the database,
// never throws: an unknown name, a thrown non-Error or a result that is not JSON all become errors.
import { inspect } from 'node:util';
import { taskContextStorage, type TaskContext } from './context';
import { findNonJson } from './json';
import type { TaskRegistry } from './registry';
import type { JsonObject, JsonValue, TaskOutcome } from './types';

/** What a pool needs to run a task: the claimed row's relevant fields. */
export interface TaskCall {
  id: string;
  name: string;
  queue: string;
  args: JsonValue[];
  kwargs: JsonObject;
  /** Seconds. */
  timeout: number;
  attempt: number;
}

/** The stored text of an error: name, message and stack (the stack already starts with both). */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const head = `${error.name}: ${error.message}`;
    return error.stack && error.stack.startsWith(head) ? error.stack : `${head}\n${error.stack ?? ''}`.trimEnd();
  }
  return `Non-Error thrown: ${inspect(error, { depth: 3, breakLength: Infinity })}`;
}

function serializeResult(value: unknown): TaskOutcome {
  const problem = findNonJson(value === undefined ? null : value, 'result');
  if (problem) return { ok: false, kind: 'error', error: `ResultError: the task returned a value that is not JSON: ${problem}` };
  return { ok: true, result: JSON.stringify(value === undefined ? null : value) };
}

/**
 * The context currentTask() returns; its signal is made on first read. A class, because an object
 * literal with a getter is built far slower, and the abort source stays private.
 */
class RunningTaskContext implements TaskContext {
  readonly id: string;
  readonly name: string;
  readonly queue: string;
  readonly attempt: number;

  readonly #abort: { readonly signal: AbortSignal };

  constructor(call: TaskCall, abort: { readonly signal: AbortSignal }) {
    this.#abort = abort;
    this.id = call.id;
    this.name = call.name;
    this.queue = call.queue;
    this.attempt = call.attempt;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }
}

export function taskContext(call: TaskCall, abort: { readonly signal: AbortSignal }): TaskContext {
  return new RunningTaskContext(call, abort);
}

/**
 * Resolves the handler and calls it as handler(...args) — or handler(...args, kwargs) when kwargs
 * has keys — inside the task's context.
 */
export async function executeTask(
  registry: TaskRegistry,
  moduleRoot: string | undefined,
  call: TaskCall,
  /** What currentTask() returns inside the handler: the pool's, from taskContext(). */
  context: TaskContext,
): Promise<TaskOutcome> {
  try {
    const task = registry.resolve(call.name, moduleRoot);
    const args: unknown[] = Object.keys(call.kwargs).length > 0 ? [...call.args, call.kwargs] : call.args;
    const value = await taskContextStorage.run(context, () => task.handler(...args));
    return serializeResult(value);
  } catch (error) {
    return { ok: false, kind: 'error', error: describeError(error) };
  }
}
