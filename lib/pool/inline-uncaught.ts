// Contains what an inline task throws outside its promise. A timer or callback a task started runs
// on the worker's own event loop, so its `throw` is an uncaught exception of the whole process, and
// Node's default is to exit: every task of the worker would be lost and the task recovered on
// another worker, to crash it too. The task's context (AsyncLocalStorage) travels with the async
// work it starts, so the process-wide 'uncaughtException' listener installed here finds which task
// threw: that task fails, or (it already ended) the error is logged, and the worker goes on.
// Anything thrown with no task context (the application's or the engine's own code, or a callback a
// task registered on an object made outside it, such as a shared connection) is left to Node's
// default, exit code 1, unless the application listens for 'uncaughtException' itself.
import { taskContextStorage, type TaskContext } from '../context';
import { describeError } from '../describe-error';

export interface UncaughtCatcher {
  /** Fails the running task of `context` with `error`; false when no such task runs in this pool. */
  failRunning(error: unknown, context: TaskContext): boolean;
  /** Told of an error thrown by the leftover work of a task that already ended. */
  reportStray(error: unknown, context: TaskContext): void;
}

const catchers = new Set<UncaughtCatcher>();

function onUncaught(error: unknown): void {
  const context = taskContextStorage.getStore();
  if (context) {
    for (const catcher of catchers) if (catcher.failRunning(error, context)) return;
    catchers.values().next().value?.reportStray(error, context);
    return;
  }
  // Not a task's: another listener (the application's) decides; alone, do what Node does without one.
  if (process.listenerCount('uncaughtException') > 1) return;
  process.stderr.write(`Uncaught ${describeError(error)}\n`);
  process.exit(1);
}

/** Routes uncaught exceptions from tasks to `catcher` until the returned function is called. */
export function catchUncaught(catcher: UncaughtCatcher): () => void {
  if (catchers.size === 0) process.on('uncaughtException', onUncaught);
  catchers.add(catcher);
  return () => {
    if (!catchers.delete(catcher)) return;
    if (catchers.size === 0) process.off('uncaughtException', onUncaught);
  };
}
