// The worker loop: fills free concurrency slots by claiming in the database (PENDING first, then
// retryable FAILED), runs each task in the pool, settles the outcome with fenced writes, renews
// its leases by heartbeat and sweeps the leases of dead workers. The loop never throws.
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { retryDelayMs } from './backoff';
import { CompletionBatcher } from './completion-batcher';
import type { ResolvedConfig } from './config';
import type { TaskCall } from './executor';
import type { ClusterLocks } from './locks';
import type { Notifier, TaskEvent } from './notifier/notifier';
import { persistently } from './persist';
import type { TaskPool } from './pool/pool';
import { delay, Sleeper } from './sleeper';
import type { TaskStore } from './store';
import type { TaskOutcome, TaskRecord } from './types';

export type WorkerState = 'new' | 'running' | 'stopping' | 'stopped';

export interface WorkerDeps {
  config: ResolvedConfig;
  store: TaskStore;
  notifier: Notifier;
  locks: ClusterLocks;
  pool: TaskPool;
  logger: Logger;
}

const MAX_COMPLETION_BATCH = 200;
const STALE_SWEEP_LIMIT = 500;

export function newWorkerId(): string {
  return `${hostname().slice(0, 60)}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

function byClaimOrder(a: TaskRecord, b: TaskRecord): number {
  return a.priority - b.priority || (a.runAt ?? 0) - (b.runAt ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Events: 'task:start' (TaskRecord), 'task:settled' ({ id, outcome, written }), 'error' is never
 * emitted; problems are logged.
 */
export class Worker extends EventEmitter {
  readonly id = newWorkerId();
  private state: WorkerState = 'new';
  private readonly running = new Map<string, { record: TaskRecord; done: Promise<void> }>();
  private readonly settling = new Set<Promise<void>>();
  /** Tasks handed back at shutdown: their late outcomes are not written. */
  private readonly givenBack = new Set<string>();
  private readonly sleeper = new Sleeper();
  private readonly batcher: CompletionBatcher;
  private readonly unsubscribers: Array<() => void> = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAtMs = Infinity;
  private loopDone: Promise<void> = Promise.resolve();
  private forceStop: () => void = () => undefined;
  private readonly forced = new Promise<void>((resolve) => (this.forceStop = resolve));
  private hardStopped = false;
  private databaseDown = false;
  private stopping: Promise<void> | undefined;

  constructor(private readonly deps: WorkerDeps) {
    super();
    const { config, store } = deps;
    this.batcher = new CompletionBatcher(config.completionBatchDelayMs, MAX_COMPLETION_BATCH, async (completions) => {
      const written = await persistently('complete tasks', deps.logger, () => store.complete(this.id, completions), () => this.hardStopped);
      return new Set(written ?? []);
    });
  }

  get status(): WorkerState {
    return this.state;
  }

  /** Number of tasks executing now. */
  get activeCount(): number {
    return this.running.size;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`worker already ${this.state}`);
    const { config, notifier, logger } = this.deps;
    await this.deps.pool.start();
    this.state = 'running';
    const onEvent = (event: TaskEvent) => this.onTaskEvent(event);
    this.unsubscribers.push(await notifier.subscribe('created', onEvent), await notifier.subscribe('requeued', onEvent));
    this.every(config.heartbeatMs, () => this.heartbeat());
    const sweepMs = Math.min(Math.max(config.leaseMs / 2, 250), 30_000);
    this.every(sweepMs, () => this.sweep());
    void this.sweep();
    logger.info({ worker: this.id, concurrency: config.concurrency, queues: config.queues.length ? config.queues : 'all',
      pool: config.pool, retry: config.retry }, 'worker started');
    this.loopDone = this.loop();
  }

  private every(ms: number, fn: () => Promise<void>): void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      fn().finally(() => (busy = false));
    }, ms);
    this.timers.push(timer);
  }

  private onTaskEvent(event: TaskEvent): void {
    const { queues } = this.deps.config;
    if (queues.length > 0 && event.queue !== undefined && !queues.includes(event.queue)) return;
    if (event.runAt && event.runAt > Date.now()) this.wakeAt(event.runAt);
    else this.sleeper.wake();
  }

  /** Wakes the loop at `at` (epoch ms); keeps only the earliest pending time. */
  private wakeAt(at: number): void {
    if (at >= this.wakeAtMs) return;
    clearTimeout(this.wakeTimer);
    this.wakeAtMs = at;
    this.wakeTimer = setTimeout(() => {
      this.wakeAtMs = Infinity;
      this.sleeper.wake();
    }, Math.max(0, at - Date.now()));
  }

  private async loop(): Promise<void> {
    const { config, logger } = this.deps;
    let failures = 0;
    while (this.state === 'running') {
      const free = config.concurrency - this.running.size;
      if (free > 0) {
        let claimed: TaskRecord[];
        try {
          claimed = await this.claim(free);
          if (this.databaseDown) logger.info('database reachable again: claiming resumed');
          this.databaseDown = false;
          failures = 0;
        } catch (error) {
          if (!this.databaseDown) logger.warn({ err: (error as Error).message }, 'claim failed: database unreachable? retrying with backoff');
          this.databaseDown = true;
          failures++;
          await this.sleeper.sleep(Math.min(100 * 2 ** failures, 5000));
          continue;
        }
        if (this.state !== 'running') {
          await this.giveBack(claimed.map((r) => r.id));
          break;
        }
        for (const record of claimed) this.launch(record);
        if (claimed.length === free) continue; // there may be more ready: claim again at once
      }
      await this.sleeper.sleep(config.pollIntervalMs);
    }
  }

  private async claim(free: number): Promise<TaskRecord[]> {
    const { config, store } = this.deps;
    const now = Date.now();
    const base = { now, workerId: this.id, leaseUntil: now + config.leaseMs, defaultMaxRetries: config.retry, queues: config.queues };
    const pending = await store.claim({ ...base, from: 'PENDING', limit: free });
    const retries = pending.length < free ? await store.claim({ ...base, from: 'FAILED', limit: free - pending.length }) : [];
    return [...pending.sort(byClaimOrder), ...retries.sort(byClaimOrder)];
  }

  private launch(record: TaskRecord): void {
    const call: TaskCall = {
      id: record.id, name: record.name, queue: record.queue, args: record.args, kwargs: record.kwargs,
      timeout: record.timeout, attempt: record.retryCount,
    };
    const startedAt = Date.now();
    const started = performance.now();
    this.emit('task:start', record);
    const done = this.deps.pool.run(call).then((outcome) => {
      this.running.delete(record.id);
      this.sleeper.wake(); // a slot is free
      if (this.givenBack.has(record.id)) return;
      const settled = this.settle(record, outcome, startedAt, (performance.now() - started) / 1000);
      this.settling.add(settled);
      void settled.finally(() => this.settling.delete(settled));
    });
    this.running.set(record.id, { record, done });
  }

  private async settle(record: TaskRecord, outcome: TaskOutcome, startedAt: number, duration: number): Promise<void> {
    const { config, store, notifier, logger } = this.deps;
    const finishedAt = Math.max(Date.now(), startedAt);
    let written: boolean;
    if (outcome.ok) {
      written = await this.batcher.add({ id: record.id, attempt: record.retryCount, result: outcome.result, finishedAt, duration });
      if (written) notifier.publish('finished', { id: record.id, queue: record.queue });
    } else {
      const maxRetries = record.maxRetries ?? config.retry;
      const retryable = record.retryCount < maxRetries;
      const retryAt = retryable ? finishedAt + retryDelayMs(record.retryCount + 1, config.backoffBaseMs, config.backoffCapMs) : null;
      const failure = { id: record.id, attempt: record.retryCount, error: outcome.error, finishedAt, duration, retryAt };
      written = (await persistently('fail task', logger, () => store.fail(this.id, failure), () => this.hardStopped)) === true;
      if (written) {
        logger.warn({ task: record.id, name: record.name, attempt: record.retryCount, retryAt, error: outcome.error.split('\n')[0] },
          retryable ? 'task failed; retry scheduled' : 'task failed for good');
        if (retryable) {
          notifier.publish('requeued', { id: record.id, queue: record.queue, runAt: retryAt });
          this.wakeAt(retryAt!);
        } else {
          notifier.publish('failed', { id: record.id, queue: record.queue });
        }
      }
    }
    if (!written) logger.warn({ task: record.id }, 'outcome not written: this worker no longer held the task (its lease expired and it was taken over)');
    this.emit('task:settled', { id: record.id, outcome, written });
  }

  private async heartbeat(): Promise<void> {
    const { config, store, logger } = this.deps;
    if (this.running.size === 0 && this.settling.size === 0) return;
    const now = Date.now();
    try {
      await store.renewLeases(this.id, now + config.leaseMs, now);
    } catch (error) {
      logger.debug({ err: (error as Error).message }, 'lease renewal failed');
    }
  }

  /** Fails (for a retry, or for good) PROGRESS tasks whose worker stopped renewing its lease. */
  private async sweep(): Promise<void> {
    const { config, store, notifier, locks, logger } = this.deps;
    try {
      await locks.tryRun('sweep', Math.max(5000, config.leaseMs), async () => {
        const now = Date.now();
        for (const stale of await store.findStale(now, STALE_SWEEP_LIMIT)) {
          const retryable = stale.attempt < stale.maxRetries;
          const error = `WorkerLostError: worker ${stale.lockedBy} stopped renewing its lease (crashed, killed or stalled); ` +
            (retryable ? 'the task will be retried' : 'no retry left');
          // A lost worker is not the task's fault: its retry may start at once.
          if (!(await store.failStale(stale, now, error, retryable ? now : null))) continue;
          logger.warn({ task: stale.id, lostWorker: stale.lockedBy, retryable }, 'recovered a task from a lost worker');
          notifier.publish(retryable ? 'requeued' : 'failed', { id: stale.id, runAt: retryable ? now : null });
          if (retryable) this.sleeper.wake();
        }
      });
    } catch (error) {
      logger.debug({ err: (error as Error).message }, 'stale-lease sweep failed; next round will retry');
    }
  }

  private async giveBack(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    ids.forEach((id) => this.givenBack.add(id));
    const { store, logger, notifier } = this.deps;
    const count = await persistently('give tasks back', logger, () => store.giveBack(this.id, ids, Date.now()), () => this.hardStopped);
    logger.info({ tasks: ids, givenBack: count }, 'tasks handed back for another worker');
    for (const id of ids) notifier.publish('created', { id });
  }

  /**
   * Graceful stop: no new claims, running tasks finish (up to shutdownGrace), then whatever still
   * runs is handed back. A second call, or stopNow(), skips the wait.
   */
  stop(): Promise<void> {
    if (this.stopping) {
      this.stopNow();
      return this.stopping;
    }
    this.stopping = this.shutdown();
    return this.stopping;
  }

  /** Stops at once: running tasks are handed back unfinished. */
  stopNow(): void {
    this.forceStop();
  }

  private async shutdown(): Promise<void> {
    const { config, pool, logger } = this.deps;
    if (this.state === 'new') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    logger.info({ running: this.running.size }, 'worker stopping: no new claims, letting running tasks finish');
    this.unsubscribers.forEach((unsubscribe) => unsubscribe());
    clearTimeout(this.wakeTimer);
    this.sleeper.wake();
    await this.loopDone;
    const allDone = Promise.all([...this.running.values()].map((r) => r.done)).then(() => true);
    const finished = await Promise.race([allDone, delay(config.shutdownGraceMs).then(() => false), this.forced.then(() => false)]);
    if (!finished) {
      await this.giveBack([...this.running.keys()]);
      await pool.close();
    }
    this.batcher.flush();
    await Promise.race([Promise.all([...this.settling]), this.forced.then(() => delay(2000))]);
    this.hardStopped = true;
    this.timers.forEach(clearInterval);
    await pool.close();
    this.state = 'stopped';
    logger.info('worker stopped');
  }
}
