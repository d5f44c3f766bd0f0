// Runs tasks on the worker's own event loop: no thread hop, fastest for I/O-bound tasks. A timeout
// aborts the task's AbortSignal and fails the task at once, but a busy loop cannot be stopped here:
// use the thread pool for tasks that may hang the CPU.
import { taskContext, taskContextStorage } from '../context';
import { executeTask } from '../executor';
import { LazyAbortController } from './lazy-abort';
import type { TaskRegistry } from '../registry';
import { TaskTimeoutError } from '../task-errors';
import type { TaskCall, TaskOutcome } from '../types';
import { startTaskTimer, timeoutOutcome, type TaskDeclarations, type TaskPool } from './pool';

export class InlinePool implements TaskPool {
  /** Aborts the signal of each running task. */
  private readonly controllers = new Set<(reason: Error) => void>();

  constructor(
    private readonly registry: TaskRegistry,
    private readonly moduleRoot: string | undefined,
    private readonly loadModules: () => Promise<void>,
  ) {}

  async start(): Promise<void> {
    await this.loadModules();
  }

  declarations(): TaskDeclarations {
    return { tasks: this.registry.names(), schedules: this.registry.declaredSchedules() };
  }

  run(call: TaskCall): Promise<TaskOutcome> {
    const controller = new LazyAbortController();
    const context = taskContext(call, controller);
    // Abort listeners run inside abort(): give them the task's context, so currentTask() works there.
    const abort = (reason: Error) => taskContextStorage.run(context, () => controller.abort(reason));
    this.controllers.add(abort);
    return new Promise<TaskOutcome>((resolve) => {
      const cancelTimer = startTaskTimer(call.timeout, () => {
        abort(new TaskTimeoutError(call.timeout));
        resolve(timeoutOutcome(call.timeout));
      });
      executeTask(this.registry, this.moduleRoot, call, context).then((outcome) => {
        cancelTimer();
        resolve(outcome); // ignored if the timeout already resolved
      });
    }).finally(() => this.controllers.delete(abort));
  }

  async close(): Promise<void> {
    for (const abort of this.controllers) abort(new Error('worker stopped'));
  }
}
