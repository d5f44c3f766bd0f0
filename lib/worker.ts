// The worker loop: fills free concurrency slots by claiming in the database (PENDING first, then
// retryable FAILED), plus up to `prefetch` leased tasks kept ready in memory; runs each task in the
// pool and settles the outcome with fenced writes that are retried until they land. Leases
// (heartbeat, sweep) are the LeaseKeeper's. The loop never throws.
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { retryDelayMs } from './backoff';
import { CompletionBatcher, type BatchResult } from './completion-batcher';
import type { ResolvedConfig } from './config';
import type { TaskCall } from './executor';
import { LeaseKeeper } from './lease-keeper';
import type { ClusterLocks } from './locks';
import type { Notifier, TaskEvent } from './notifier/notifier';
import { isConflictError, persistently, type PersistOptions } from './persist';
import type { TaskPool } from './pool/pool';
import { delay, Sleeper } from './sleeper';
import type { Completion, TaskStore } from './store';
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
/** Stored error text is cut here: MariaDB's TEXT holds 65,535 bytes, 4 per character at worst. */
const MAX_ERROR_CHARS = 16_000;

export function newWorkerId(): string {
  return `${hostname().slice(0, 60)}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

function byClaimOrder(a: TaskRecord, b: TaskRecord): number {
  return a.priority - b.priority || (a.runAt ?? 0) - (b.runAt ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function truncateError(text: string): string {
  return text.length <= MAX_ERROR_CHARS ? text : `${text.slice(0, MAX_ERROR_CHARS)}\n... (${text.length - MAX_ERROR_CHARS} more characters cut)`;
}

/**
 * Events: 'task:start' (TaskRecord), 'task:settled' ({ id, outcome, written }), 'error' is never
 * emitted; problems are logged.
 */
export class Worker extends EventEmitter {
  readonly id = newWorkerId();
  private state: WorkerState = 'new';
  private readonly running = new Map<string, { record: TaskRecord; done: Promise<void> }>();
  /** Claimed (leased) tasks waiting for a free slot, in claim order: at most `prefetch` more than the slots. */
  private readonly prefetched: TaskRecord[] = [];
  private readonly settling = new Set<Promise<void>>();
  /** Tasks whose outcome is being written: their leases are renewed until it lands. */
  private readonly settlingIds = new Set<string>();
  /**
   * Runs handed back unfinished at shutdown: their late outcomes are not written. Keyed by the
   * claimed record, not the id: a task handed back (an orphan) may be claimed and run here again.
   */
  private readonly givenBack = new WeakSet<TaskRecord>();
  private readonly sleeper = new Sleeper();
  private readonly batcher: CompletionBatcher;
  private readonly leases: LeaseKeeper;
  private readonly persist: PersistOptions;
  private readonly unsubscribers: Array<() => void> = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAtMs = Infinity;
  private loopDone: Promise<void> = Promise.resolve();
  private forceStop: () => void = () => undefined;
  private readonly forced = new Promise<void>((resolve) => (this.forceStop = resolve));
  /** Set by stopNow(): database writes that fail are abandoned instead of retried. */
  private hardStopped = false;
  private databaseDown = false;
  private claimEpoch = 0;
  private claimInFlight = false;
  private stopping: Promise<void> | undefined;
  private prepared: Promise<void> | undefined;

  constructor(private readonly deps: WorkerDeps) {
    super();
    const { config, logger } = deps;
    this.leases = new LeaseKeeper(deps, {
      workerId: this.id,
      ownedIds: () => [...this.running.keys(), ...this.prefetched.map((r) => r.id), ...this.settlingIds],
      isRunning: (id) => this.running.has(id),
      claimState: () => ({ epoch: this.claimEpoch, inFlight: this.claimInFlight }),
      giveBack: (ids) => this.giveBack(ids),
      wake: () => this.sleeper.wake(),
    });
    this.persist = { logger, giveUp: () => this.hardStopped, onError: (error) => this.leases.noteDatabaseError(error) };
    this.batcher = new CompletionBatcher(config.completionBatchDelayMs, MAX_COMPLETION_BATCH, (completions) => this.writeCompletions(completions));
  }

  get status(): WorkerState {
    return this.state;
  }

  /** Number of tasks executing now. */
  get activeCount(): number {
    return this.running.size;
  }

  /**
   * Starts the pool (threads load the task modules) and opens the database connections, without
   * claiming yet; start() calls it too. An unreachable database does not fail it: claims retry.
   */
  prepare(): Promise<void> {
    const { pool, store, logger } = this.deps;
    this.prepared ??= Promise.all([
      pool.start(),
      store.warmUp().catch((error: unknown) =>
        logger.debug({ err: (error as Error).message }, 'could not open the database connections ahead of time')),
    ]).then(() => undefined);
    return this.prepared;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`worker already ${this.state}`);
    const { config, notifier, logger } = this.deps;
    await this.prepare();
    this.state = 'running';
    const onEvent = (event: TaskEvent) => this.onTaskEvent(event);
    this.unsubscribers.push(await notifier.subscribe('created', onEvent), await notifier.subscribe('requeued', onEvent));
    this.every(config.heartbeatMs, () => this.leases.heartbeat());
    this.every(this.leases.sweepIntervalMs, () => this.leases.sweep());
    void this.leases.sweep();
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

  /** Starts prefetched tasks in the free slots. */
  private fillSlots(): void {
    while (this.running.size < this.deps.config.concurrency && this.prefetched.length > 0) this.launch(this.prefetched.shift()!);
  }

  private async loop(): Promise<void> {
    const { config, logger } = this.deps;
    let failures = 0;
    while (this.state === 'running') {
      this.fillSlots();
      const want = this.claimWanted();
      if (want > 0) {
        this.claimEpoch++;
        this.claimInFlight = true;
        let claimed: { count: number; unaccepted: TaskRecord[] };
        try {
          claimed = await this.claim(want);
          if (this.databaseDown) logger.info('database reachable again: claiming resumed');
          this.databaseDown = false;
          failures = 0;
        } catch (error) {
          this.claimInFlight = false;
          if (isConflictError(error)) {
            // A deadlock with another worker rolled the claim back (nothing is ours): go again.
            await delay(Math.random() * 20);
            continue;
          }
          this.leases.noteClaimFailed();
          if (!this.databaseDown) logger.warn({ err: (error as Error).message }, 'claim failed: database unreachable? retrying with backoff');
          this.databaseDown = true;
          failures++;
          await this.sleeper.sleep(Math.min(100 * 2 ** failures, 5000));
          continue;
        }
        if (this.state !== 'running') {
          await this.giveBack(claimed.unaccepted.map((r) => r.id));
          this.claimInFlight = false;
          break;
        }
        this.accept(claimed.unaccepted);
        this.claimInFlight = false;
        if (claimed.count === want) continue; // there may be more ready: claim again at once
      }
      await this.sleeper.sleep(config.pollIntervalMs);
    }
  }

  /**
   * How many tasks to claim now; 0 when no claim is due. A claim is due when a slot is idle, or
   * (prefetching) when the in-memory reserve is half spent. Tasks whose outcome is still being
   * written count too: claiming must not outrun the writes.
   */
  private claimWanted(): number {
    const { concurrency, prefetch } = this.deps.config;
    const want = concurrency + prefetch - this.running.size - this.prefetched.length - this.settlingIds.size;
    const slotIdle = this.running.size < concurrency;
    const reserveLow = prefetch > 0 && this.prefetched.length <= prefetch / 2;
    return want > 0 && (slotIdle || reserveLow) ? want : 0;
  }

  /** Wakes the loop only when it has a claim to make: a finished task starts the next one itself. */
  private wakeIfClaimDue(): void {
    if (this.state === 'running' && this.claimWanted() > 0) this.sleeper.wake();
  }

  /** Queues claimed tasks in claim order and starts as many as there are free slots. */
  private accept(records: TaskRecord[]): void {
    this.prefetched.push(...records.sort(byClaimOrder));
    this.fillSlots();
  }

  /**
   * Claims up to `free` tasks: PENDING first, started at once (a new task does not wait for the
   * retry claim's round trip), then retryable FAILED ones. Returns how many were claimed and those
   * not accepted yet (the retries; or everything, when the worker began stopping meanwhile).
   */
  private async claim(free: number): Promise<{ count: number; unaccepted: TaskRecord[] }> {
    const { config, store, logger } = this.deps;
    const now = Date.now();
    const base = { now, workerId: this.id, leaseUntil: now + config.leaseMs, defaultMaxRetries: config.retry, queues: config.queues };
    const pending = await store.claim({ ...base, from: 'PENDING', limit: free });
    if (this.state !== 'running') return { count: pending.length, unaccepted: pending };
    this.accept(pending);
    if (pending.length >= free) return { count: pending.length, unaccepted: [] };
    try {
      const retries = await store.claim({ ...base, from: 'FAILED', limit: free - pending.length });
      return { count: pending.length + retries.length, unaccepted: retries };
    } catch (error) {
      // The PENDING rows are already ours and started: report them, not the failure.
      if (pending.length === 0) throw error;
      if (!isConflictError(error)) this.leases.noteClaimFailed();
      logger.debug({ err: (error as Error).message }, 'claiming retries failed; running the pending tasks already claimed');
      return { count: pending.length, unaccepted: [] };
    }
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
      if (this.givenBack.has(record)) {
        this.running.delete(record.id);
        return;
      }
      // Owned without a gap: the lease stays renewed from run to written outcome.
      // Taken before the freed slot starts the next task, which must not seem to start first.
      const finishedAt = Math.max(Date.now(), startedAt);
      this.settlingIds.add(record.id);
      this.running.delete(record.id);
      // The freed slot takes the next prefetched task at once, without a turn of the loop.
      if (this.state === 'running') this.fillSlots();
      this.wakeIfClaimDue();
      const settled = this.settle(record, outcome, startedAt, finishedAt, (performance.now() - started) / 1000);
      this.settling.add(settled);
      void settled.finally(() => {
        this.settling.delete(settled);
        this.settlingIds.delete(record.id);
        this.wakeIfClaimDue(); // written: room to claim again
      });
    });
    this.running.set(record.id, { record, done });
  }

  /** Writes a batch of completions; if the database refuses one result, writes them one by one. */
  private async writeCompletions(completions: Completion[]): Promise<BatchResult> {
    const { store } = this.deps;
    const rejected = new Map<string, string>();
    try {
      const written = await persistently('complete tasks', () => store.complete(this.id, completions), this.persist);
      // One message for the whole batch: waiters look for their id in `ids`.
      if (written && written.length > 0) this.deps.notifier.publish('finished', { id: written[0], ids: written });
      return { written: new Set(written ?? []), rejected, abandoned: written === undefined };
    } catch (error) {
      if (completions.length === 1) {
        rejected.set(completions[0].id, (error as Error).message);
        return { written: new Set(), rejected };
      }
    }
    const written = new Set<string>();
    for (const completion of completions) {
      const one = await this.writeCompletions([completion]);
      if (one.abandoned) return { written, rejected, abandoned: true };
      one.written.forEach((id) => written.add(id));
      one.rejected.forEach((reason, id) => rejected.set(id, reason));
    }
    return { written, rejected };
  }

  private async settle(record: TaskRecord, outcome: TaskOutcome, startedAt: number, finishedAt: number, duration: number): Promise<void> {
    const { logger } = this.deps;
    let written: boolean | 'abandoned';
    if (outcome.ok) {
      const stored = await this.batcher.add({ id: record.id, attempt: record.retryCount, result: outcome.result, startedAt, finishedAt, duration });
      if (stored.kind === 'rejected') {
        // Retrying cannot store this result (e.g. too long for the column): the task fails instead.
        const error = `ResultError: the database refused the task's result (${stored.reason}); nothing was stored`;
        written = await this.fail(record, error, startedAt, finishedAt, duration);
      } else {
        written = stored.kind === 'written' ? true : stored.kind === 'abandoned' ? 'abandoned' : false;
      }
    } else {
      written = await this.fail(record, outcome.error, startedAt, finishedAt, duration);
    }
    if (written === false) logger.warn({ task: record.id }, 'outcome not written: this worker no longer held the task (its lease expired and it was taken over)');
    if (written === 'abandoned') logger.warn({ task: record.id }, 'outcome not written: the worker was stopped at once; the task will be recovered when its lease expires');
    this.emit('task:settled', { id: record.id, outcome, written: written === true });
  }

  /** Writes a failure (retryable or for good); true once written, false if the task was no longer ours. */
  private async fail(record: TaskRecord, errorText: string, startedAt: number, finishedAt: number, duration: number): Promise<boolean | 'abandoned'> {
    const { config, store, notifier, logger } = this.deps;
    const maxRetries = record.maxRetries ?? config.retry;
    const retryable = record.retryCount < maxRetries;
    const retryAt = retryable ? finishedAt + retryDelayMs(record.retryCount + 1, config.backoffBaseMs, config.backoffCapMs) : null;
    const failure = { id: record.id, attempt: record.retryCount, error: truncateError(errorText), startedAt, finishedAt, duration, retryAt };
    let written: boolean | undefined;
    try {
      written = await persistently('fail task', () => store.fail(this.id, failure), this.persist);
    } catch (error) {
      // Not expected once the text is cut; the lease then runs out and the sweep fails the task.
      logger.error({ task: record.id, err: (error as Error).message }, 'the database refused the failure record; leaving the task to the stale-lease sweep');
      this.settlingIds.delete(record.id);
      return false;
    }
    if (written === undefined) return 'abandoned';
    if (!written) return false;
    logger.warn({ task: record.id, name: record.name, attempt: record.retryCount, retryAt, error: errorText.split('\n')[0] },
      retryable ? 'task failed; retry scheduled' : 'task failed for good');
    if (retryable) {
      notifier.publish('requeued', { id: record.id, queue: record.queue, runAt: retryAt });
      this.wakeAt(retryAt!);
    } else {
      notifier.publish('failed', { id: record.id, queue: record.queue });
    }
    return true;
  }

  private async giveBack(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const { store, logger, notifier } = this.deps;
    const count = await persistently('give tasks back', () => store.giveBack(this.id, ids, Date.now()), this.persist);
    if (count === undefined) {
      logger.warn({ tasks: ids }, 'tasks not handed back (stopped at once while the database was unreachable): they are retried when their lease expires');
      return;
    }
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

  /** Stops at once: running tasks are handed back unfinished; writes that fail are not retried. */
  stopNow(): void {
    this.hardStopped = true;
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
    await Promise.race([this.loopDone, this.forced]);
    // Prefetched tasks never started: they go back at once, for another worker.
    await this.giveBack(this.prefetched.splice(0).map((r) => r.id));
    const allDone = Promise.all([...this.running.values()].map((r) => r.done)).then(() => true);
    const finished = await Promise.race([allDone, delay(config.shutdownGraceMs).then(() => false), this.forced.then(() => false)]);
    if (!finished) {
      const unfinished = [...this.running.keys()];
      this.running.forEach(({ record }) => this.givenBack.add(record));
      // Stop the tasks before handing them back, so that no task runs here and elsewhere at once.
      // (Inline tasks only see their signal aborted; they cannot be stopped.)
      await pool.close();
      await this.giveBack(unfinished);
    }
    this.batcher.flush();
    // Outcomes already computed are written; after stopNow() only briefly, while the database answers.
    await Promise.race([Promise.all([...this.settling]), this.forced.then(() => delay(2000))]);
    this.hardStopped = true;
    this.timers.forEach(clearInterval);
    await pool.close();
    this.state = 'stopped';
    logger.info('worker stopped');
  }
}
