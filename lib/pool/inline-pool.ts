// Runs tasks on the worker's own event loop: no thread hop, fastest for I/O-bound tasks. A timeout
// aborts the task's AbortSignal and fails the task at once, but a busy loop cannot be stopped here:
// use the thread pool for tasks that may hang the CPU.
import { taskContext, taskContextStorage } from '../context';
import { executeTask } from '../executor';
import { LazyAbortController } from './lazy-abort';
import type { TaskRegistry } from '../registry';
import { TaskTimeoutError } from '../task-errors';
import type { ProgressSink } from '../progress';
import type { TaskCall, TaskOutcome } from '../types';
import { startTaskTimer, timeoutOutcome, type TaskDeclarations, type TaskPool } from './pool';

/** A running task, by id: how to abort its signal and how to end its run early. */
interface InlineRun {
  abort: (reason: Error) => void;
  end: (outcome: TaskOutcome) => void;
}

export class InlinePool implements TaskPool {
  /** Aborts the signal of each running task. */
  private readonly controllers = new Set<(reason: Error) => void>();
  private readonly byId = new Map<string, InlineRun>();

  constructor(
    /** Tasks it runs at once: the worker's concurrency (it never queues a run). */
    readonly capacity: number,
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

  run(call: TaskCall, progress?: ProgressSink): Promise<TaskOutcome> {
    const controller = new LazyAbortController();
    const context = taskContext(call, controller, progress);
    // Abort listeners run inside abort(): give them the task's context, so currentTask() works there.
    const abort = (reason: Error) => taskContextStorage.run(context, () => controller.abort(reason));
    this.controllers.add(abort);
    const run: InlineRun = { abort, end: () => undefined };
    this.byId.set(call.id, run);
    return new Promise<TaskOutcome>((resolve) => {
      run.end = resolve;
      const cancelTimer = startTaskTimer(call.timeout, () => {
        abort(new TaskTimeoutError(call.timeout));
        resolve(timeoutOutcome(call.timeout));
      });
      executeTask(this.registry, this.moduleRoot, call, context).then((outcome) => {
        cancelTimer();
        resolve(outcome); // ignored if the timeout already resolved
      });
    }).finally(() => {
      this.controllers.delete(abort);
      if (this.byId.get(call.id) === run) this.byId.delete(call.id);
    });
  }

  takeBackUnstarted(): string[] {
    return []; // every run handed over has started
  }

  abortTask(id: string, reason: Error): boolean {
    const run = this.byId.get(id);
    run?.abort(reason);
    return run !== undefined;
  }

  endTask(id: string, outcome: TaskOutcome): void {
    this.byId.get(id)?.end(outcome);
  }

  async close(): Promise<void> {
    for (const abort of this.controllers) abort(new Error('worker stopped'));
  }
}
