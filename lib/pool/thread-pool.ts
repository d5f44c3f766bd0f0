// Runs each task in a worker thread, one thread per concurrency slot. A task past its timeout has
// its thread terminated and replaced, so even a busy loop is stopped; a thread that dies
// (process.exit, out of memory, a stray error after its task returned) is replaced, and fails
// only the task it was running.
import * as path from 'node:path';
import { Worker as Thread } from 'node:worker_threads';
import { ConfigError } from '../errors';
import { delay } from '../sleeper';
import type { ProgressSink } from '../progress';
import { CancelledError, ThreadCrashError, WorkerStoppedError } from '../task-errors';
import type { TaskCall, TaskOutcome } from '../types';
import { startTaskTimer, timeoutOutcome, type TaskDeclarations, type TaskPool } from './pool';
import type { FromThread, ThreadData, ToThread } from './thread-messages';

const ENTRY = path.join(__dirname, 'thread-entry.js');
const RESPAWN_FIRST_WAIT_MS = 500;
const RESPAWN_MAX_WAIT_MS = 30_000;

interface Slot {
  thread: Thread;
  busy: boolean;
  /** Set once the slot's thread is being replaced: it never runs a task again. */
  retired: boolean;
}

export interface ThreadPoolOptions {
  size: number;
  modules: string[];
  moduleRoot: string | undefined;
  /** Heap limit of each thread in MiB; a task over it fails alone. */
  memoryLimitMb: number;
}

const STOPPED: TaskOutcome = { ok: false, kind: 'crash', code: 'TW_WORKER_STOPPED', error: new WorkerStoppedError().storedText };

/** A task running in a thread: its slot, and how to end its run from outside. */
interface ThreadRun {
  slot: Slot;
  finish: (outcome: TaskOutcome, broken: boolean) => void;
}

export class ThreadPool implements TaskPool {
  private readonly slots: Slot[] = [];
  private readonly running = new Map<string, ThreadRun>();
  private readonly waiters: Array<(slot: Slot | null) => void> = [];
  private closed = false;
  /** What the threads' task modules registered (every thread loads the same modules). */
  private declared: TaskDeclarations = { tasks: [], schedules: [] };

  constructor(
    private readonly options: ThreadPoolOptions,
    /** Told when a replacement thread cannot start; the pool keeps trying with backoff. */
    private readonly onThreadError: (error: Error) => void,
    /** Loads the task modules in the worker's own thread too, first (its registry feeds logs and task types). */
    private readonly loadModules: () => Promise<void> = async () => undefined,
  ) {}

  private spawn(): Promise<Thread> {
    const data: ThreadData = { modules: this.options.modules, moduleRoot: this.options.moduleRoot, cwd: process.cwd() };
    const thread = new Thread(ENTRY, {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: this.options.memoryLimitMb },
    });
    thread.unref();
    return new Promise<Thread>((resolve, reject) => {
      const onMessage = (message: FromThread) => {
        thread.off('exit', onExit);
        if (message.type === 'ready') {
          this.declared = message.declared;
          resolve(thread);
        }
        else if (message.type === 'load-error') {
          void thread.terminate();
          reject(new ConfigError(`a pool thread could not load the task modules: ${message.error}`));
        }
      };
      const onExit = (code: number) => {
        thread.off('message', onMessage);
        reject(new ConfigError(`a pool thread exited with code ${code} while loading task modules`));
      };
      thread.once('message', onMessage);
      thread.once('exit', onExit);
    });
  }

  /** A slot for a ready thread; a thread that dies while idle is replaced at once. */
  private slotFor(thread: Thread): Slot {
    const slot: Slot = { thread, busy: false, retired: false };
    // An 'error' event with no listener would crash the whole worker: an idle thread's uncaught
    // error (a task's stray rejection after it returned) is followed by 'exit', handled below.
    thread.on('error', () => undefined);
    thread.once('exit', () => {
      // While busy, run() sees the exit and fails that task; here only an idle death is handled.
      if (!slot.busy) void this.replace(slot);
    });
    return slot;
  }

  async start(): Promise<void> {
    // A module that fails to load fails here once, with its own error, before any thread starts.
    await this.loadModules();
    const threads = await Promise.all(Array.from({ length: this.options.size }, () => this.spawn()));
    this.slots.push(...threads.map((t) => this.slotFor(t)));
  }

  declarations(): TaskDeclarations {
    return this.declared;
  }

  private release(slot: Slot): void {
    slot.busy = false;
    const waiter = this.waiters.shift();
    if (waiter) {
      slot.busy = true;
      waiter(slot);
    }
  }

  private acquire(): Promise<Slot | null> {
    if (this.closed) return Promise.resolve(null);
    const slot = this.slots.find((s) => !s.busy);
    if (slot) {
      slot.busy = true;
      return Promise.resolve(slot);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Terminates a broken or overdue thread and puts a fresh one in its place. A replacement that
   * cannot start is retried with backoff rather than given up: a lost slot would leave a claimed
   * task waiting for a thread forever.
   */
  private async replace(slot: Slot): Promise<void> {
    if (slot.retired) return;
    slot.retired = true;
    slot.busy = true;
    void slot.thread.terminate();
    const index = this.slots.indexOf(slot);
    if (this.closed || index < 0) return;
    for (let wait = RESPAWN_FIRST_WAIT_MS; !this.closed; wait = Math.min(wait * 2, RESPAWN_MAX_WAIT_MS)) {
      try {
        const thread = await this.spawn();
        if (this.closed) {
          void thread.terminate();
          return;
        }
        const fresh = this.slotFor(thread);
        fresh.busy = true;
        this.slots[index] = fresh;
        this.release(fresh);
        return;
      } catch (error) {
        this.onThreadError(new Error(`${(error as Error).message}; trying again in ${wait} ms`));
        await delay(wait);
      }
    }
  }

  async run(call: TaskCall, progress?: ProgressSink): Promise<TaskOutcome> {
    const slot = await this.acquire();
    if (!slot) return STOPPED;
    const { thread } = slot;
    return new Promise<TaskOutcome>((resolve) => {
      let settled = false;
      const finish = (outcome: TaskOutcome, broken: boolean) => {
        if (settled) return;
        settled = true;
        if (this.running.get(call.id)?.slot === slot) this.running.delete(call.id);
        cancelTimer();
        thread.off('message', onMessage);
        thread.off('error', onError);
        thread.off('exit', onExit);
        if (broken) void this.replace(slot);
        else this.release(slot);
        resolve(outcome);
      };
      const onMessage = (message: FromThread) => {
        if (message.type === 'done' && message.id === call.id) finish(message.outcome, false);
        else if (message.type === 'progress' && message.id === call.id) progress?.(message.report, message.at);
      };
      const onError = (error: Error) =>
        finish({ ok: false, kind: 'crash', error: ThreadCrashError.failed(error.stack ?? error.message).storedText }, true);
      const onExit = (code: number) =>
        finish({ ok: false, kind: 'crash', error: ThreadCrashError.exited(code).storedText }, true);
      const cancelTimer = startTaskTimer(call.timeout, () => finish(timeoutOutcome(call.timeout), true));
      thread.on('message', onMessage);
      thread.once('error', onError);
      thread.once('exit', onExit);
      this.running.set(call.id, { slot, finish });
      thread.postMessage({ type: 'run', call });
    });
  }

  abortTask(id: string, reason: Error): boolean {
    const run = this.running.get(id);
    if (!run) return false;
    const message: ToThread = { type: 'abort', id, ...(reason instanceof CancelledError ? { cancel: reason.storedText } : {}) };
    run.slot.thread.postMessage(message);
    return true;
  }

  /** Terminates the thread of task `id` (and replaces it): the run ends with `outcome`. */
  endTask(id: string, outcome: TaskOutcome): void {
    this.running.get(id)?.finish(outcome, true);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.waiters.splice(0).forEach((waiter) => waiter(null));
    await Promise.all(this.slots.map((s) => s.thread.terminate()));
    this.slots.length = 0;
  }
}
