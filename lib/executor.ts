// Runs one task's handler and turns whatever happens into an outcome. Never writes the database,
// never throws: an unknown name, a thrown non-Error or a result that is not JSON all become errors.
import { taskContextStorage, type TaskContext } from './context';
import { describeError } from './describe-error';
import { findNonJson } from './json';
import type { TaskRegistry } from './registry';
import { PermanentError, ResultError } from './task-errors';
import type { TaskCall, TaskOutcome } from './types';

export { describeError };

function serializeResult(value: unknown): TaskOutcome {
  const problem = findNonJson(value === undefined ? null : value, 'result');
  if (problem) return { ok: false, kind: 'error', code: 'TW_RESULT', error: ResultError.notJson(problem).storedText };
  return { ok: true, result: JSON.stringify(value === undefined ? null : value) };
}

/**
 * Resolves the handler and calls it as handler(...args) — or handler(...args, kwargs) when kwargs
 * has keys — inside the task's context.
 */
export async function executeTask(
  registry: TaskRegistry,
  moduleRoot: string | undefined,
  call: TaskCall,
  /** What currentTask() returns inside the handler: the pool's, from taskContext() (context.ts). */
  context: TaskContext,
): Promise<TaskOutcome> {
  try {
    const task = registry.resolve(call.name, moduleRoot);
    const args: unknown[] = Object.keys(call.kwargs).length > 0 ? [...call.args, call.kwargs] : call.args;
    const value = await taskContextStorage.run(context, () => task.handler(...args));
    return serializeResult(value);
  } catch (error) {
    return failedWith(error);
  }
}

/** The outcome of a handler that threw `error`, whatever it is (describing it never throws). */
export function failedWith(error: unknown): TaskOutcome {
  if (PermanentError.is(error)) return { ok: false, kind: 'error', code: 'TW_PERMANENT', final: true, error: describeError(error) };
  return { ok: false, kind: 'error', error: describeError(error) };
}
