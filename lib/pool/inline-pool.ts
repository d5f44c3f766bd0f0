// Runs tasks on the worker's own event loop: no thread hop, fastest for I/O-bound tasks. A timeout
// aborts the task's AbortSignal and fails the task, but a busy loop cannot be stopped here: use the
// thread pool for tasks that may hang the CPU. A task that timed out (or threw outside its promise)
// keeps its slot, and so its lease, until its handler has really ended: its retry cannot start on
// this live worker while it still runs. That hold is bounded (see holdMs): a handler that never
// settles frees its slot after it, and is then left to run unheard. What a task throws outside its
// promise (a timer's `throw null`) fails that task alone (inline-uncaught.ts).
import { taskContext, taskContextStorage, type TaskContext } from '../context';
import { describeError } from '../describe-error';
import { executeTask, failedWith } from '../executor';
import { LazyAbortController } from './lazy-abort';
import type { TaskRegistry } from '../registry';
import { TaskTimeoutError } from '../task-errors';
import type { ProgressSink } from '../progress';
import type { TaskCall, TaskOutcome } from '../types';
import { catchUncaught } from './inline-uncaught';
import { startTaskTimer, timeoutOutcome, type TaskDeclarations, type TaskPool } from './pool';

/** A running task, by id: its context, how to abort its signal, end its run early, or fail it. */
interface InlineRun {
  context: TaskContext;
  abort: (reason: Error) => void;
  end: (outcome: TaskOutcome) => void;
  /** Fails the run with `outcome` once its handler has ended (or the hold has passed). */
  fail: (outcome: TaskOutcome, reason: Error) => void;
}

/** What the pool logs with (a pino logger). */
export interface PoolLogger {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface InlinePoolOptions {
  /** Logs uncaught errors of tasks and handlers held past their timeout. */
  logger?: PoolLogger;
  /**
   * How long a timed-out (or failed) handler that goes on running may keep its slot, in ms, for a
   * task timeout in seconds. Default: the task's timeout again, at least 60 s.
   */
  holdMs?: (timeoutSeconds: number) => number;
}

const MIN_HOLD_MS = 60_000;

export class InlinePool implements TaskPool {
  /** Aborts the signal of each running task. */
  private readonly controllers = new Set<(reason: Error) => void>();
  private readonly byId = new Map<string, InlineRun>();
  private releaseUncaught: () => void = () => undefined;

  constructor(
    /** Tasks it runs at once: the worker's concurrency (it never queues a run). */
    readonly capacity: number,
    private readonly registry: TaskRegistry,
    private readonly moduleRoot: string | undefined,
    private readonly loadModules: () => Promise<void>,
    private readonly options: InlinePoolOptions = {},
  ) {}

  async start(): Promise<void> {
    await this.loadModules();
    this.releaseUncaught = catchUncaught({
      failRunning: (error, context) => this.failRunning(error, context),
      reportStray: (error, context) => this.report('error', { task: context.id, name: context.name, err: describeError(error) },
        'a task that already ended threw outside its promise (from a timer or callback it left running); the worker goes on'),
    });
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
    const run: InlineRun = { context, abort, end: () => undefined, fail: () => undefined };
    this.byId.set(call.id, run);
    return new Promise<TaskOutcome>((resolve) => {
      let failed: TaskOutcome | undefined;
      let cancelHold = () => undefined as void;
      run.end = resolve;
      run.fail = (outcome, reason) => {
        if (failed) return;
        failed = outcome;
        abort(reason);
        // The outcome waits for the handler: until then its slot stays taken and its lease renewed.
        const holdMs = this.options.holdMs ? this.options.holdMs(call.timeout) : Math.max(call.timeout * 1000, MIN_HOLD_MS);
        cancelHold = startTaskTimer(holdMs / 1000, () => {
          this.report('warn', { task: call.id, name: call.name, heldMs: holdMs },
            'the handler is still running after its task failed (timeout or uncaught error) and ignores its signal: ' +
            'its slot is freed now; it goes on unheard, and its retry may run meanwhile');
          resolve(outcome);
        });
      };
      const cancelTimer = startTaskTimer(call.timeout, () => run.fail(timeoutOutcome(call.timeout), new TaskTimeoutError(call.timeout)));
      const ended = (outcome: TaskOutcome) => {
        cancelTimer();
        cancelHold();
        resolve(failed ?? outcome); // ignored if the run was ended already
      };
      // executeTask never rejects; should it, the run still settles.
      executeTask(this.registry, this.moduleRoot, call, context).then(ended, (error: unknown) => ended(failedWith(error)));
    }).finally(() => {
      this.controllers.delete(abort);
      if (this.byId.get(call.id) === run) this.byId.delete(call.id);
    });
  }

  takeBackUnstarted(): string[] {
    return []; // every run handed over has started
  }

  /** An uncaught error from the async work of task `context`: fails it if it runs here. */
  private failRunning(error: unknown, context: TaskContext): boolean {
    const run = this.byId.get(context.id);
    if (!run || run.context !== context) return false;
    const text = `${describeError(error)}\n(thrown outside the task's promise, by a timer or callback it started)`;
    run.fail({ ok: false, kind: 'error', error: text }, new Error('the task threw outside its promise (uncaught exception)'));
    return true;
  }

  private report(level: 'warn' | 'error', fields: Record<string, unknown>, message: string): void {
    if (this.options.logger) this.options.logger[level](fields, message);
    else process.stderr.write(`${message} ${JSON.stringify(fields)}\n`);
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
    this.releaseUncaught();
  }
}
