// Runs each task in a worker thread, one thread per concurrency slot. A task past its timeout has
// its thread terminated and replaced, so even a busy loop is stopped; a thread that dies
// (process.exit, out of memory) fails its task alone.
import * as path from 'node:path';
import { Worker as Thread } from 'node:worker_threads';
import type { TaskCall } from '../executor';
import { ConfigError } from '../errors';
import type { TaskOutcome } from '../types';
import { timeoutOutcome, type TaskPool } from './pool';
import type { FromThread, ThreadData } from './thread-messages';

const ENTRY = path.join(__dirname, 'thread-entry.js');

interface Slot {
  thread: Thread;
  busy: boolean;
}

export interface ThreadPoolOptions {
  size: number;
  modules: string[];
  moduleRoot: string | undefined;
  /** Heap limit of each thread in MiB; a task over it fails alone. */
  memoryLimitMb: number;
}

export class ThreadPool implements TaskPool {
  private readonly slots: Slot[] = [];
  private readonly waiters: Array<(slot: Slot) => void> = [];
  private closed = false;

  constructor(
    private readonly options: ThreadPoolOptions,
    /** Told when a replacement thread cannot start (the slot is then lost). */
    private readonly onThreadError: (error: Error) => void,
  ) {}

  private spawn(): Promise<Slot> {
    const data: ThreadData = { modules: this.options.modules, moduleRoot: this.options.moduleRoot, cwd: process.cwd() };
    const thread = new Thread(ENTRY, {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: this.options.memoryLimitMb },
    });
    thread.unref();
    return new Promise<Slot>((resolve, reject) => {
      const onMessage = (message: FromThread) => {
        thread.off('exit', onExit);
        if (message.type === 'ready') resolve({ thread, busy: false });
        else if (message.type === 'load-error') {
          void thread.terminate();
          reject(new ConfigError(`a pool thread could not load the task modules: ${message.type === 'load-error' ? message.error : ''}`));
        }
      };
      const onExit = (code: number) => reject(new ConfigError(`a pool thread exited with code ${code} while loading task modules`));
      thread.once('message', onMessage);
      thread.once('exit', onExit);
    });
  }

  async start(): Promise<void> {
    const slots = await Promise.all(Array.from({ length: this.options.size }, () => this.spawn()));
    this.slots.push(...slots);
  }

  private release(slot: Slot): void {
    slot.busy = false;
    const waiter = this.waiters.shift();
    if (waiter) {
      slot.busy = true;
      waiter(slot);
    }
  }

  private acquire(): Promise<Slot> {
    const slot = this.slots.find((s) => !s.busy);
    if (slot) {
      slot.busy = true;
      return Promise.resolve(slot);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Terminates a broken or overdue thread and puts a fresh one in its place. */
  private async replace(slot: Slot): Promise<void> {
    void slot.thread.terminate();
    const index = this.slots.indexOf(slot);
    if (this.closed || index < 0) return;
    try {
      const fresh = await this.spawn();
      if (this.closed) {
        void fresh.thread.terminate();
        return;
      }
      fresh.busy = true;
      this.slots[index] = fresh;
      this.release(fresh);
    } catch (error) {
      this.onThreadError(error as Error);
    }
  }

  async run(call: TaskCall): Promise<TaskOutcome> {
    const slot = await this.acquire();
    const { thread } = slot;
    return new Promise<TaskOutcome>((resolve) => {
      let settled = false;
      const finish = (outcome: TaskOutcome, broken: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        thread.off('message', onMessage);
        thread.off('error', onError);
        thread.off('exit', onExit);
        if (broken) void this.replace(slot);
        else this.release(slot);
        resolve(outcome);
      };
      const onMessage = (message: FromThread) => {
        if (message.type === 'done' && message.id === call.id) finish(message.outcome, false);
      };
      const onError = (error: Error) =>
        finish({ ok: false, kind: 'crash', error: `ThreadCrashError: the task's thread failed: ${error.stack ?? error.message}` }, true);
      const onExit = (code: number) =>
        finish({ ok: false, kind: 'crash', error: `ThreadCrashError: the task's thread exited with code ${code}` }, true);
      const timer = setTimeout(() => finish(timeoutOutcome(call.timeout), true), call.timeout * 1000);
      thread.on('message', onMessage);
      thread.once('error', onError);
      thread.once('exit', onExit);
      thread.postMessage({ type: 'run', call });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.thread.terminate()));
    this.slots.length = 0;
  }
}
