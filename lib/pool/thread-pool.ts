// Runs tasks in worker threads, one task at a time per thread, `size` threads. A task past its
// timeout has its thread terminated and replaced, so even a busy loop is stopped; a thread that
// dies (process.exit, out of memory, anything thrown outside a task's promise, a stray error after
// its task returned) is replaced, and fails only the task it was running. A thread holding more
// than `recycleMb` after a task (heap plus off-heap: Buffers, external strings, which the heap
// limit does not bound) starts nothing more and is replaced, so that memory goes back to the system.
//
// A thread is handed up to `queueDepth` calls at once (its run-ahead queue), several per message,
// and answers with several results per message: on short tasks the messages, not the tasks, were
// most of the cost. A queued call is not running yet: through the thread's ring (thread-ring.ts)
// the pool can still take it back without a message, to move it to a thread gone idle, to end it
// unstarted (a cancel) or to give it back at shutdown; its timeout counts from its real start.
import * as path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker as Thread, type MessagePort } from 'node:worker_threads';
import { cancelledOutcome } from '../cancellation';
import { ConfigError } from '../errors';
import { describeError } from '../describe-error';
import { delay } from '../sleeper';
import type { ProgressSink } from '../progress';
import { CancelledError, ThreadCrashError, WorkerStoppedError } from '../task-errors';
import type { TaskCall, TaskOutcome } from '../types';
import { MAX_TIMER_MS, timeoutOutcome, type RunStarted, type TaskDeclarations, type TaskPool } from './pool';
import type { FromThread, TaskResult, ThreadData, ToThread } from './thread-messages';
import { ThreadRing, type RingCell } from './thread-ring';

const ENTRY = path.join(__dirname, 'thread-entry.js');
const RESPAWN_FIRST_WAIT_MS = 500;
const RESPAWN_MAX_WAIT_MS = 30_000;

export interface ThreadPoolOptions {
  size: number;
  modules: string[];
  moduleRoot: string | undefined;
  /** Heap limit of each thread in MiB; a task over it fails alone. */
  memoryLimitMb: number;
  /** Calls queued to one thread at most (1: no run-ahead). */
  queueDepth?: number;
  /** A thread holding more than this (MiB, heap and off-heap) after a task is replaced. Default: no bound. */
  recycleMb?: number;
  /** Told when a thread is replaced for the memory it held after a task (bytes). */
  onRecycle?: (heldBytes: number) => void;
}

/** A call queued behind a task running longer than this moves to a thread gone idle. */
const STUCK_BEHIND_MS = 20;
/** Calls queued per thread by default: enough to spend one message on several short tasks. */
export const DEFAULT_QUEUE_DEPTH = 32;

const STOPPED: TaskOutcome = { ok: false, kind: 'crash', code: 'TW_WORKER_STOPPED', error: new WorkerStoppedError().storedText };
/** A task that finished on a thread stopped before its result was sent (another task's timeout). */
const RESULT_LOST: TaskOutcome = { ok: false, kind: 'crash', error: ThreadCrashError.resultLost().storedText };

/** A call given to the pool, from run() until its outcome. */
interface PoolRun {
  call: TaskCall;
  progress: ProgressSink | undefined;
  started: RunStarted | undefined;
  resolve: (outcome: TaskOutcome) => void;
  /** While queued to a thread or running there: the thread and its cell. */
  lane?: Lane;
  cell?: RingCell;
  timer?: NodeJS.Timeout;
}

/** One thread, its ring, and the calls queued to it, oldest (running or next) first. */
interface Lane {
  thread: Thread;
  port: MessagePort;
  ring: ThreadRing;
  freeCells: number[];
  generations: number[];
  runs: PoolRun[];
  /** Set once the thread is being replaced: nothing more is queued to it. */
  retired: boolean;
  /** Why the thread failed ('error' event), for the task it was running. */
  failure?: string;
}

export class ThreadPool implements TaskPool {
  private readonly lanes: Array<Lane | null> = [];
  private readonly byId = new Map<string, PoolRun>();
  /** Calls not queued to a thread yet, in order. */
  private readonly waiting: PoolRun[] = [];
  private dispatchQueued = false;
  private rebalanceTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly depth: number;
  /** What the threads' task modules registered (every thread loads the same modules). */
  private declared: TaskDeclarations = { tasks: [], schedules: [] };

  constructor(
    private readonly options: ThreadPoolOptions,
    /** Told when a replacement thread cannot start; the pool keeps trying with backoff. */
    private readonly onThreadError: (error: Error) => void,
    /** Loads the task modules in the worker's own thread too, first (its registry feeds logs and task types). */
    private readonly loadModules: () => Promise<void> = async () => undefined,
    /** What the modules registered in this thread's registry, until a pool thread reports its own. */
    private readonly mainDeclarations: () => TaskDeclarations = () => ({ tasks: [], schedules: [] }),
  ) {
    this.depth = Math.max(1, options.queueDepth ?? DEFAULT_QUEUE_DEPTH);
  }

  /** Calls it holds at once: one running and the rest queued, per thread. */
  get capacity(): number {
    return this.options.size * this.depth;
  }

  private spawn(): Promise<Lane> {
    const ring = ThreadRing.create(this.depth);
    const { port1, port2 } = new MessageChannel();
    const data: ThreadData = { modules: this.options.modules, moduleRoot: this.options.moduleRoot, cwd: process.cwd(),
      ring: ring.buffer, ringSize: this.depth, port: port2,
      recycleBytes: this.options.recycleMb === undefined ? Infinity : this.options.recycleMb * 1024 * 1024 };
    const thread = new Thread(ENTRY, { workerData: data, transferList: [port2],
      resourceLimits: { maxOldGenerationSizeMb: this.options.memoryLimitMb } });
    thread.unref();
    port1.unref();
    return new Promise<Lane>((resolve, reject) => {
      const onMessage = (message: FromThread) => {
        thread.off('exit', onExit);
        if (message.type === 'ready') {
          this.declared = message.declared;
          resolve({ thread, port: port1, ring, freeCells: Array.from({ length: this.depth }, (_, i) => this.depth - 1 - i),
            generations: new Array<number>(this.depth).fill(0), runs: [], retired: false });
        } else if (message.type === 'load-error' || message.type === 'fatal') {
          void thread.terminate();
          port1.close();
          reject(new ConfigError(`a pool thread could not load the task modules: ${message.error}`));
        }
      };
      const onExit = (code: number) => {
        port1.off('message', onMessage);
        port1.close();
        reject(new ConfigError(`a pool thread exited with code ${code} while loading task modules`));
      };
      port1.once('message', onMessage);
      thread.once('exit', onExit);
    });
  }

  /** Puts a ready thread to work in lane `index`. */
  private install(index: number, lane: Lane): void {
    this.lanes[index] = lane;
    lane.port.on('message', (message: FromThread) => this.onThreadMessage(lane, message));
    // An 'error' event with no listener would crash the whole worker. The thread exits after it.
    lane.thread.on('error', (error: unknown) => {
      lane.failure = describeError(error);
    });
    lane.thread.once('exit', (code) => this.onThreadExit(lane, code));
  }

  /**
   * Loads the task modules here, then starts the threads without waiting for them: the worker's
   * first claim runs while they boot, and its tasks wait in the pool for the first thread ready.
   */
  async start(): Promise<void> {
    // A module that fails to load fails here once, with its own error, before any thread starts.
    await this.loadModules();
    this.declared = this.mainDeclarations();
    for (let index = 0; index < this.options.size; index++) this.lanes[index] = null;
    // One thread boots at a time: booting all at once would share the cores between them and the
    // worker's own start, and the first task would wait for the last of them.
    void (async () => {
      for (let index = 0; index < this.options.size && !this.closed; index++) await this.replace(index);
    })();
  }

  declarations(): TaskDeclarations {
    return this.declared;
  }

  run(call: TaskCall, progress?: ProgressSink, started?: RunStarted): Promise<TaskOutcome> {
    if (this.closed) return Promise.resolve(STOPPED);
    return new Promise<TaskOutcome>((resolve) => {
      const run: PoolRun = { call, progress, started, resolve };
      this.byId.set(call.id, run);
      this.waiting.push(run);
      // Queued out once the current job's promise reactions have run: the runs handed over in one
      // burst (a message's results freeing room, a claim's worth of tasks) share one message per thread.
      if (!this.dispatchQueued) {
        this.dispatchQueued = true;
        queueMicrotask(() => {
          this.dispatchQueued = false;
          this.dispatch();
        });
      }
    });
  }

  /** Queues waiting calls to the threads, least loaded first, one message per thread. */
  private dispatch(): void {
    if (this.closed) return;
    const live = this.lanes.filter((lane): lane is Lane => lane !== null && !lane.retired);
    if (live.length === 0) return;
    // Calls moved off a thread stuck on a long task do not go back to it.
    const stuck = this.waiting.length === 0 ? this.rebalance(live) : new Set<Lane>();
    const batches = new Map<Lane, PoolRun[]>();
    while (this.waiting.length > 0) {
      let target: Lane | undefined;
      for (const lane of live) {
        if (stuck.has(lane) || lane.freeCells.length === 0) continue;
        if (!target || lane.runs.length < target.runs.length) target = lane;
      }
      if (!target) break;
      const run = this.waiting.shift()!;
      this.queueTo(target, run);
      const batch = batches.get(target);
      if (batch) batch.push(run);
      else batches.set(target, [run]);
    }
    for (const [lane, runs] of batches) {
      const message: ToThread = { type: 'run', calls: runs.map((r) => ({ call: r.call, cell: r.cell! })) };
      lane.thread.postMessage(message);
    }
  }

  private queueTo(lane: Lane, run: PoolRun): void {
    const index = lane.freeCells.pop()!;
    lane.generations[index] = ThreadRing.nextGeneration(lane.generations[index]);
    const cell: RingCell = { index, generation: lane.generations[index] };
    lane.ring.queue(cell);
    run.lane = lane;
    run.cell = cell;
    lane.runs.push(run);
    this.armTimeout(run, run.call.timeout * 1000);
  }

  /**
   * A thread has gone idle while calls wait, unstarted, behind a long task on another: moves the
   * calls queued behind every task running longer than STUCK_BEHIND_MS back, to be queued out again.
   * Returns the threads they were moved off.
   */
  private rebalance(live: Lane[]): Set<Lane> {
    const stuck = new Set<Lane>();
    if (!live.some((lane) => lane.runs.length === 0)) return stuck;
    const now = Date.now();
    const moved: PoolRun[] = [];
    let nextCheck = Infinity;
    for (const lane of live) {
      const head = lane.runs[0];
      if (lane.runs.length < 2 || !head.cell) continue;
      const startedAt = lane.ring.startTime(head.cell) ?? now;
      if (startedAt + STUCK_BEHIND_MS > now) {
        nextCheck = Math.min(nextCheck, startedAt + STUCK_BEHIND_MS);
        continue;
      }
      for (const run of lane.runs.slice(1)) if (this.takeBack(run)) moved.push(run);
      stuck.add(lane);
    }
    this.waiting.unshift(...moved);
    // Not stuck yet: look again when it would be, or the idle thread waits for the next message.
    if (moved.length === 0 && nextCheck < Infinity && !this.rebalanceTimer) {
      this.rebalanceTimer = setTimeout(() => {
        this.rebalanceTimer = undefined;
        this.dispatch();
      }, nextCheck - now + 1);
      this.rebalanceTimer.unref();
    }
    return stuck;
  }

  /** Takes a queued call back from its thread; false when the thread has started it. */
  private takeBack(run: PoolRun): boolean {
    const { lane, cell } = run;
    if (!lane || !cell || !lane.ring.revoke(cell)) return false;
    this.leaveLane(run);
    return true;
  }

  /** Removes a call from its thread's queue and frees its cell. */
  private leaveLane(run: PoolRun): void {
    const { lane, cell } = run;
    if (!lane || !cell) return;
    const at = lane.runs.indexOf(run);
    if (at >= 0) lane.runs.splice(at, 1);
    lane.freeCells.push(cell.index);
    clearTimeout(run.timer);
    run.lane = undefined;
    run.cell = undefined;
  }

  /** Ends a call with its outcome: it leaves its thread (if any) and the pool. */
  private settle(run: PoolRun, outcome: TaskOutcome): void {
    if (this.byId.get(run.call.id) !== run) return; // settled already
    this.byId.delete(run.call.id);
    this.leaveLane(run);
    const at = this.waiting.indexOf(run);
    if (at >= 0) this.waiting.splice(at, 1);
    run.resolve(outcome);
  }

  /**
   * Checks the call's deadline after `ms`: the timeout counts from its start in the thread, which
   * the ring tells, so a call still queued when this fires is checked again later.
   */
  private armTimeout(run: PoolRun, ms: number): void {
    run.timer = setTimeout(() => {
      const { lane, cell } = run;
      if (!lane || !cell) return;
      const startedAt = lane.ring.startTime(cell);
      const limitMs = run.call.timeout * 1000;
      const left = startedAt === null ? limitMs : startedAt + limitMs - Date.now();
      if (left > 0) this.armTimeout(run, left);
      else if (!lane.ring.finished(cell)) this.stopLane(lane, run, timeoutOutcome(run.call.timeout));
    }, Math.min(MAX_TIMER_MS, Math.max(0, ms)));
    run.timer.unref();
  }

  private onThreadMessage(lane: Lane, message: FromThread): void {
    if (message.type === 'done') this.onResults(message.results);
    else if (message.type === 'progress') this.byId.get(message.id)?.progress?.(message.report, message.at);
    else if (message.type === 'fatal') {
      lane.failure = message.error;
      this.onThreadExit(lane, 1);
    }
    if (message.type === 'done' && message.recycle !== undefined && !lane.retired) {
      this.options.onRecycle?.(message.recycle);
      // The thread starts nothing more: every call still queued to it is taken back and goes elsewhere.
      this.retire(lane, () => RESULT_LOST);
    }
    if (message.type === 'done' && !lane.retired) this.dispatch();
  }

  private onResults(results: TaskResult[]): void {
    for (const result of results) {
      const run = this.byId.get(result.id);
      if (!run) continue; // ended meanwhile (timed out, cancelled past its grace)
      run.started?.(result.startedAt, result.durationMs);
      this.settle(run, result.outcome);
    }
  }

  /**
   * Terminates `lane`'s thread and ends `run` (the one it runs) with `outcome`; the calls queued
   * behind it that have not started go to other threads, and a fresh thread takes the lane.
   */
  private stopLane(lane: Lane, run: PoolRun, outcome: TaskOutcome): void {
    if (lane.retired) return;
    this.settle(run, outcome);
    this.retire(lane, () => RESULT_LOST);
  }

  /**
   * Retires a lane whose thread is stopping or gone: results it sent are read first; then what
   * had started there ends with `lost(run)`'s outcome, and what had not goes back to waiting.
   */
  private retire(lane: Lane, lost: (run: PoolRun) => TaskOutcome): void {
    if (lane.retired) return;
    lane.retired = true;
    for (let message = receiveMessageOnPort(lane.port); message; message = receiveMessageOnPort(lane.port)) {
      this.onThreadMessage(lane, message.message as FromThread);
    }
    const unstarted: PoolRun[] = [];
    for (const run of [...lane.runs]) {
      if (this.takeBack(run)) unstarted.push(run);
      else this.settle(run, lost(run));
    }
    this.waiting.unshift(...unstarted);
    lane.port.close();
    void lane.thread.terminate();
    const index = this.lanes.indexOf(lane);
    if (index >= 0) void this.replace(index);
    this.dispatch();
  }

  private onThreadExit(lane: Lane, code: number): void {
    if (this.closed || lane.retired) return;
    const failure = lane.failure;
    this.retire(lane, (run) => {
      const finished = run.lane && run.cell && run.lane.ring.finished(run.cell);
      const error = finished ? ThreadCrashError.resultLost() : failure !== undefined ? ThreadCrashError.failed(failure) : ThreadCrashError.exited(code);
      return { ok: false, kind: 'crash', error: error.storedText };
    });
  }

  /**
   * Puts a fresh thread in lane `index` (at start, or in place of one gone). A thread that cannot
   * start is retried with backoff rather than given up: the calls waiting for a thread would wait
   * forever.
   */
  private async replace(index: number): Promise<void> {
    this.lanes[index] = null;
    for (let wait = RESPAWN_FIRST_WAIT_MS; !this.closed; wait = Math.min(wait * 2, RESPAWN_MAX_WAIT_MS)) {
      try {
        const lane = await this.spawn();
        if (this.closed) {
          void lane.thread.terminate();
          lane.port.close();
          return;
        }
        this.install(index, lane);
        this.dispatch();
        return;
      } catch (error) {
        this.onThreadError(new Error(`${(error as Error).message}; trying again in ${wait} ms`));
        await delay(wait);
      }
    }
  }

  abortTask(id: string, reason: Error): boolean {
    const run = this.byId.get(id);
    if (!run) return false;
    const outcome = reason instanceof CancelledError ? cancelledOutcome(reason.storedText) : STOPPED;
    // Not started yet: it never will be.
    if (!run.lane || this.takeBack(run)) {
      this.settle(run, outcome);
      return true;
    }
    const message: ToThread = { type: 'abort', id, ...(reason instanceof CancelledError ? { cancel: reason.storedText } : {}) };
    run.lane.thread.postMessage(message);
    return true;
  }

  /** Ends the run of task `id` with `outcome`: unstarted, it never starts; running, its thread is terminated. */
  endTask(id: string, outcome: TaskOutcome): void {
    const run = this.byId.get(id);
    if (!run) return;
    if (!run.lane || this.takeBack(run)) this.settle(run, outcome);
    else this.stopLane(run.lane, run, outcome);
  }

  takeBackUnstarted(): string[] {
    const taken: PoolRun[] = this.waiting.splice(0);
    for (const lane of this.lanes) {
      for (const run of [...(lane?.runs ?? [])]) if (this.takeBack(run)) taken.push(run);
    }
    for (const run of taken) this.settle(run, STOPPED);
    return taken.map((run) => run.call.id);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.rebalanceTimer);
    for (const run of [...this.byId.values()]) this.settle(run, STOPPED);
    const lanes = this.lanes.filter((lane): lane is Lane => lane !== null);
    this.lanes.length = 0;
    await Promise.all(lanes.map(async (lane) => {
      lane.retired = true;
      await lane.thread.terminate();
      lane.port.close();
    }));
  }
}
