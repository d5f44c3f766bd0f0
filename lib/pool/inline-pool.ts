// Runs tasks on the worker's own event loop: no thread hop, fastest for I/O-bound tasks. A timeout
// aborts the task's AbortSignal and fails the task at once, but a busy loop cannot be stopped here:
// use the thread pool for tasks that may hang the CPU.
import { executeTask, type TaskCall } from '../executor';
import type { TaskRegistry } from '../registry';
import { TaskTimeoutError } from '../errors';
import type { TaskOutcome } from '../types';
import { timeoutOutcome, type TaskPool } from './pool';

export class InlinePool implements TaskPool {
  private readonly controllers = new Set<AbortController>();

  constructor(
    private readonly registry: TaskRegistry,
    private readonly moduleRoot: string | undefined,
    private readonly loadModules: () => void,
  ) {}

  async start(): Promise<void> {
    this.loadModules();
  }

  run(call: TaskCall): Promise<TaskOutcome> {
    const controller = new AbortController();
    this.controllers.add(controller);
    return new Promise<TaskOutcome>((resolve) => {
      const timer = setTimeout(() => {
        controller.abort(new TaskTimeoutError(call.timeout));
        resolve(timeoutOutcome(call.timeout));
      }, call.timeout * 1000);
      executeTask(this.registry, this.moduleRoot, call, controller.signal).then((outcome) => {
        clearTimeout(timer);
        resolve(outcome); // ignored if the timeout already resolved
      });
    }).finally(() => this.controllers.delete(controller));
  }

  async close(): Promise<void> {
    for (const controller of this.controllers) controller.abort(new Error('worker stopped'));
  }
}
