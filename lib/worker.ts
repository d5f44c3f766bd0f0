// The worker loop: fills free concurrency slots by claiming in the database (PENDING first, then
// retryable FAILED), plus a reserve of leased tasks kept ready in memory (PrefetchReserve), and
// hands each task to the pool, which may queue some ahead of its running ones (its capacity).
// Writing outcomes is the Settler's, leases (heartbeat, sweep) the LeaseKeeper's; what the worker
// holds is its Ownership record, which both read. The loop never throws.
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { Cancellations } from './cancellation';
import type { ResolvedConfig } from './config';
import { DatabaseHealth } from './database-health';
import { isTaskId } from './ids';
import { LeaseKeeper } from './lease-keeper';
import type { ClusterLocks } from './locks';
import type { Notifier, TaskEvent } from './notifier/notifier';
import { Ownership } from './ownership';
import type { RunStarted, TaskPool } from './pool/pool';
import { PrefetchReserve, AUTO_WAIT_MS } from './prefetch-reserve';
import { ProgressWriter } from './progress-writer';
import { QueuePauses } from './queue-pauses';
import { Settler, type RunTiming } from './settler';
import { delay, Sleeper } from './sleeper';
import type { WorkerStore } from './store/worker-store';
import type { TaskCall, TaskOutcome, TaskRecord } from './types';
import { WorkerPresence } from './worker-presence';

export type WorkerState = 'new' | 'running' | 'stopping' | 'stopped';

/** Runs one attempt (`run`) of `record`, adding around it what it must (a trace span); resolves with its outcome. */
export type AttemptWrapper = (record: TaskRecord, run: () => Promise<TaskOutcome>) => Promise<TaskOutcome>;

export interface WorkerDeps {
  config: ResolvedConfig;
  store: WorkerStore;
  notifier: Notifier;
  locks: ClusterLocks;
  pool: TaskPool;
  logger: Logger;
  /** What the 'worker started' line names, and the task types to record once the modules are loaded. */
  startup?: WorkerStartup;
  /** Wraps each attempt (tracing); none: the pool runs it directly. */
  wrapAttempt?: AttemptWrapper;
}

export interface WorkerStartup {
  /** The database, password redacted. */
  database: string;
  taskNames(): string[];
  recordTaskTypes(): Promise<void>;
  /** Synchronous loading better done while the start-up waits on the database than in the first task's path. */
  preload?(): void;
}

/** The 'task:settled' event: what ran, how it ended and whether its outcome was written. */
export interface TaskSettledEvent {
  id: string;
  outcome: TaskOutcome;
  written: boolean;
  record: TaskRecord;
  timing: RunTiming;
  /** When the retry is due (epoch ms), for a retryable failure written. */
  retryAt: number | null;
}

/** The 'task:recovered' event: this worker's sweep failed a task whose worker was lost. */
export interface TaskRecoveredEvent {
  id: string;
  name: string;
  queue: string;
  lostWorker: string;
  retryAt: number | null;
  /** TW_WORKER_LOST, or TW_CANCELLED when a cancel was requested meanwhile. */
  code: string;
}

export function newWorkerId(): string {
  return `${hostname().slice(0, 60)}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** One word for a settled run: completed, failed, timeout or crash; or why nothing was written. */
function outcomeLabel(outcome: TaskOutcome, settled: { state: string; retryAt: number | null }): string {
  if (settled.state !== 'written') return `not written (${settled.state})`;
  if (outcome.ok) return 'completed';
  const kind = outcome.kind === 'error' ? 'failed' : outcome.kind;
  return settled.retryAt !== null ? `${kind}, retry due` : kind;
}

/** Wake times kept at most; later ones are found by the poll. */
const MAX_WAKE_TIMES = 1000;
/** A task kept in the auto reserve longer than this goes back to the table, for any worker to take. */
const STALE_RESERVE_MS = 10 * AUTO_WAIT_MS;
/**
 * The bound on how long a ready retry (or a task recovered from a dead worker) waits behind a
 * steady stream of PENDING tasks: once ready this long, it is claimed ahead of them.
 */
export const RETRY_AGE_MS = 10_000;
/** How often, at most, a busy worker looks for retries that rank ahead of the PENDING tasks. */
const AHEAD_CHECK_MS = 1_000;

function byClaimOrder(a: TaskRecord, b: TaskRecord): number {
  return a.priority - b.priority || (a.runAt ?? 0) - (b.runAt ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Events: 'task:start' (TaskRecord), 'task:settled' (TaskSettledEvent), 'task:recovered'
 * (TaskRecoveredEvent); 'error' is never emitted: problems are logged.
 */
export class Worker extends EventEmitter {
  readonly id = newWorkerId();
  private state: WorkerState = 'new';
  private readonly owned = new Ownership(this.id);
  /**
   * Runs handed back unfinished at shutdown: their late outcomes are not written. Keyed by the
   * claimed record, not the id: a task handed back (an orphan) may be claimed and run here again.
   */
  private readonly givenBack = new WeakSet<TaskRecord>();
  private readonly sleeper = new Sleeper();
  private readonly health: DatabaseHealth;
  private readonly settler: Settler;
  private readonly leases: LeaseKeeper;
  /** This worker's row in the registry, for the dashboard. */
  private readonly presence: WorkerPresence;
  private readonly progress: ProgressWriter;
  private readonly cancels: Cancellations;
  private readonly pauses: QueuePauses;
  private readonly reserve: PrefetchReserve;
  /** When each task in the reserve was claimed (epoch ms), for giveBackStale(). */
  private readonly claimedAt = new WeakMap<TaskRecord, number>();
  private readonly unsubscribers: Array<() => void> = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private wakeTimer: NodeJS.Timeout | undefined;
  /** Times (epoch ms) the loop is to wake at, earliest first. */
  private readonly wakeTimes: number[] = [];
  private loopDone: Promise<void> = Promise.resolve();
  private forceStop: () => void = () => undefined;
  private readonly forced = new Promise<void>((resolve) => (this.forceStop = resolve));
  private databaseDown = false;
  /** When this worker last looked for retries that rank ahead of the PENDING tasks (epoch ms). */
  private lastAheadCheck = -Infinity;
  private stopping: Promise<void> | undefined;
  private prepared: Promise<void> | undefined;

  constructor(private readonly deps: WorkerDeps) {
    super();
    this.health = new DatabaseHealth((error) => deps.store.classifyError(error));
    this.settler = new Settler(deps, this.id, this.health);
    this.leases = new LeaseKeeper(deps, this.owned, this.settler, this.health, (task, retryAt, code) => {
      const event: TaskRecoveredEvent = { id: task.id, name: task.name, queue: task.queue, lostWorker: task.lockedBy, retryAt, code };
      this.emit('task:recovered', event);
    });
    this.presence = new WorkerPresence(deps, this.id, () => this.activeCount);
    this.progress = new ProgressWriter(deps, this.id);
    this.cancels = new Cancellations(deps, this.owned, (record, outcome) => this.launch(record, outcome));
    this.pauses = new QueuePauses(deps.store, deps.logger);
    this.reserve = new PrefetchReserve(deps.config.concurrency, deps.config.prefetch);
  }

  get status(): WorkerState {
    return this.state;
  }

  /** Number of tasks executing now (a pool may hold more, queued behind them: those are not counted). */
  get activeCount(): number {
    return Math.min(this.owned.running.size, this.deps.config.concurrency);
  }

  /** Tasks it runs at once, at most. */
  get concurrency(): number {
    return this.deps.config.concurrency;
  }

  /**
   * Starts the pool (threads load the task modules) and opens the database connections, without
   * claiming yet; start() calls it too. An unreachable database does not fail it: claims retry.
   */
  prepare(): Promise<void> {
    const { pool, store, logger, startup } = this.deps;
    // The pool's threads boot on while the connections open, the task types are recorded and the
    // first claim runs (pool.start() waits only for the task modules). The start-up writes stay
    // ahead of the first claim: on SQLite, writers that wait on each other's lock hold the few
    // threads its driver runs statements on.
    this.prepared ??= Promise.all([
      pool.start().then(() => startup?.recordTaskTypes()),
      store.warmUp().catch((error: unknown) =>
        logger.debug({ err: (error as Error).message }, 'could not open the database connections ahead of time')),
      Promise.resolve().then(() => startup?.preload?.()),
    ]).then(() => undefined);
    return this.prepared;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`worker already ${this.state}`);
    const { config, notifier, logger } = this.deps;
    await this.prepare();
    this.state = 'running';
    await this.presence.register();
    const onEvent = (event: TaskEvent) => this.onTaskEvent(event);
    this.unsubscribers.push(await notifier.subscribe('created', onEvent), await notifier.subscribe('requeued', onEvent),
      // Hints only: a cancel is read from the task's row, the paused queues from tw_queues.
      await notifier.subscribe('cancel', (event) => {
        if (isTaskId(event.id)) void this.cancels.check([event.id]);
      }),
      await notifier.subscribe('queues', () => void this.refreshPauses()));
    // Without Redis, a cancel is found at the next heartbeat, a pause at the next poll.
    this.every(config.heartbeatMs, () => this.leases.heartbeat().then(() => Promise.all([this.presence.beat(), this.cancels.check()])).then(() => undefined));
    this.every(config.pollIntervalMs, () => this.refreshPauses());
    this.every(this.leases.sweepIntervalMs, () => this.sweep());
    if (config.prefetch === 'auto') this.every(STALE_RESERVE_MS / 2, () => this.giveBackStale());
    void this.sweep();
    logger.info({ worker: this.id, concurrency: config.concurrency, queues: config.queues.length ? config.queues : 'all',
      pool: config.pool, retry: config.retry, database: this.deps.startup?.database, tasks: this.deps.startup?.taskNames() }, 'worker started');
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

  private async sweep(): Promise<void> {
    if (await this.leases.sweep()) this.sleeper.wake();
  }

  private async refreshPauses(): Promise<void> {
    if (await this.pauses.refresh()) this.sleeper.wake(); // a queue resumed: look for its tasks now
  }

  private onTaskEvent(event: TaskEvent): void {
    const { queues } = this.deps.config;
    if (queues.length > 0 && event.queue !== undefined && !queues.includes(event.queue)) return;
    const now = Date.now();
    // A time a day away needs no timer (a poll finds the task), and a far one from a stray message
    // would overflow setTimeout (24.8 days) into a 1 ms spin.
    if (typeof event.runAt === 'number' && event.runAt > now + 86_400_000) return;
    if (event.runAt && event.runAt > now) this.wakeAt(event.runAt);
    else this.sleeper.wake();
  }

  /**
   * Wakes the loop at `at` (epoch ms). Every pending time is kept (a retry due later than another
   * is not forgotten once the earlier one fires), the timer set for the earliest.
   */
  private wakeAt(at: number): void {
    const times = this.wakeTimes;
    if (times.includes(at)) return;
    times.push(at);
    times.sort((a, b) => a - b);
    if (times.length > MAX_WAKE_TIMES) times.length = MAX_WAKE_TIMES; // the latest are found by the poll
    if (times[0] === at) this.armWakeTimer();
  }

  private armWakeTimer(): void {
    clearTimeout(this.wakeTimer);
    const next = this.wakeTimes[0];
    if (next === undefined) return;
    const fire = () => {
      // Timers keep the event loop's clock, which may be a little ahead of Date.now(), by which tasks
      // are due: woken early, the loop would find nothing due and sleep a whole poll interval.
      const now = Date.now();
      if (now < next) {
        this.wakeTimer = setTimeout(fire, next - now);
        return;
      }
      while (this.wakeTimes.length > 0 && this.wakeTimes[0] <= now) this.wakeTimes.shift();
      this.sleeper.wake();
      this.armWakeTimer();
    };
    this.wakeTimer = setTimeout(fire, Math.max(0, next - Date.now()));
  }

  /**
   * Hands prefetched tasks to the pool while it has room: its free slots, and (when the reserve
   * is large enough to spare them) its run-ahead queue.
   */
  private fillSlots(): void {
    const { running, prefetched } = this.owned;
    const { concurrency } = this.deps.config;
    const limit = concurrency + Math.min(this.deps.pool.capacity - concurrency, this.reserve.size);
    while (running.size < limit && prefetched.length > 0) this.launch(prefetched.shift()!);
  }

  /**
   * Gives back the reserved tasks that have waited too long for a slot (behind slow tasks): in the
   * table again, any idle worker takes them, this one included.
   */
  private async giveBackStale(): Promise<void> {
    const { prefetched } = this.owned;
    const before = Date.now() - STALE_RESERVE_MS;
    const stale = prefetched.filter((record) => (this.claimedAt.get(record) ?? Infinity) < before);
    if (stale.length === 0 || this.state !== 'running') return;
    for (const record of stale) prefetched.splice(prefetched.indexOf(record), 1);
    this.reserve.waitedFor(STALE_RESERVE_MS);
    this.deps.logger.debug({ tasks: stale.length }, 'reserved tasks waited too long for a slot: given back to the table');
    await this.settler.giveBack(stale.map((r) => r.id));
    this.sleeper.wake();
  }

  private async loop(): Promise<void> {
    const { config, logger } = this.deps;
    let failures = 0;
    while (this.state === 'running') {
      this.fillSlots();
      const want = this.claimWanted();
      if (want > 0) {
        this.owned.claimEpoch++;
        this.owned.claimInFlight = true;
        let claimed: { count: number; unaccepted: TaskRecord[] };
        try {
          claimed = await this.claim(want);
          if (this.databaseDown) logger.info('database reachable again: claiming resumed');
          this.databaseDown = false;
          failures = 0;
        } catch (error) {
          this.owned.claimInFlight = false;
          if (this.health.isConflict(error)) {
            // A deadlock with another worker rolled the claim back (nothing is ours): go again.
            await delay(Math.random() * 20);
            continue;
          }
          this.noteClaimFailed(error);
          if (!this.databaseDown) logger.warn({ err: (error as Error).message }, 'claim failed: database unreachable? retrying with backoff');
          this.databaseDown = true;
          failures++;
          await this.sleeper.sleep(Math.min(100 * 2 ** failures, 5000));
          continue;
        }
        if (this.state !== 'running') {
          await this.settler.giveBack(claimed.unaccepted.map((r) => r.id));
          this.owned.claimInFlight = false;
          break;
        }
        this.accept(claimed.unaccepted);
        this.owned.claimInFlight = false;
        if (claimed.count === want) continue; // there may be more ready: claim again at once
      }
      await this.sleeper.sleep(config.pollIntervalMs);
    }
  }

  /** A claim threw: it may still have committed rows for this worker. The heartbeats look for them. */
  private noteClaimFailed(error: unknown): void {
    this.health.noteError(error);
    this.owned.orphansPossible = true;
  }

  /**
   * How many tasks to claim now; 0 when no claim is due. A claim is due when a slot is idle, or
   * when the reserve (prefetched, and queued in the pool beyond its slots) is half spent. Tasks
   * whose outcome is still being written count too: claiming must not outrun the writes.
   */
  private claimWanted(): number {
    const { concurrency } = this.deps.config;
    const { running, prefetched, settling } = this.owned;
    const reserve = this.reserve.size;
    const want = concurrency + reserve - running.size - prefetched.length - settling.size;
    const slotIdle = running.size < concurrency;
    const reserveLow = reserve > 0 && prefetched.length + Math.max(0, running.size - concurrency) <= reserve / 2;
    return want > 0 && (slotIdle || reserveLow) ? want : 0;
  }

  /** Wakes the loop only when it has a claim to make: a finished task starts the next one itself. */
  private wakeIfClaimDue(): void {
    if (this.state === 'running' && this.claimWanted() > 0) this.sleeper.wake();
  }

  /** Queues claimed tasks in claim order and starts as many as there are free slots. */
  private accept(records: TaskRecord[]): void {
    const now = Date.now();
    for (const record of records) this.claimedAt.set(record, now);
    this.owned.prefetched.push(...records.sort(byClaimOrder));
    this.fillSlots();
  }

  /**
   * Claims up to `free` tasks: first the retries that rank ahead of the PENDING tasks (a better
   * priority, or ready for RETRY_AGE_MS; looked for at most every AHEAD_CHECK_MS), then PENDING
   * ones, started at once (a new task does not wait for the retry claim's round trip), then the
   * other ready retries. Returns how many were claimed and those not accepted yet (the last
   * retries; or everything, when the worker began stopping meanwhile).
   */
  private async claim(free: number): Promise<{ count: number; unaccepted: TaskRecord[] }> {
    const { config, store, logger } = this.deps;
    // The paused queues are known before the first claim: a restart must not forget a pause.
    if (!this.pauses.loaded && (await this.pauses.refresh(), !this.pauses.loaded)) throw new Error('could not read the paused queues (tw_queues)');
    const queues = this.pauses.claimFilter(config.queues);
    if (queues === null) return { count: 0, unaccepted: [] }; // every queue this worker takes is paused
    const now = Date.now();
    const base = { now, workerId: this.id, leaseUntil: now + config.leaseMs, defaultMaxRetries: config.retry, ...queues };
    let ahead: TaskRecord[] = [];
    if (now - this.lastAheadCheck >= AHEAD_CHECK_MS) {
      ahead = await store.claim({ ...base, from: 'FAILED', limit: free, aheadOfPending: { agedBefore: now - RETRY_AGE_MS } });
      // All the room taken: there may be more of them, so look again at the next claim.
      this.lastAheadCheck = ahead.length >= free ? -Infinity : now;
      if (this.state !== 'running') return { count: ahead.length, unaccepted: ahead };
      this.accept(ahead);
      if (ahead.length >= free) return { count: ahead.length, unaccepted: [] };
    }
    let pending: TaskRecord[];
    try {
      pending = await store.claim({ ...base, from: 'PENDING', limit: free - ahead.length });
    } catch (error) {
      if (ahead.length === 0) throw error;
      if (!this.health.isConflict(error)) this.noteClaimFailed(error);
      return { count: ahead.length, unaccepted: [] };
    }
    if (this.state !== 'running') return { count: ahead.length + pending.length, unaccepted: pending };
    this.accept(pending);
    const claimed = ahead.length + pending.length;
    if (claimed >= free) return { count: claimed, unaccepted: [] };
    try {
      const retries = await store.claim({ ...base, from: 'FAILED', limit: free - claimed });
      return { count: claimed + retries.length, unaccepted: retries };
    } catch (error) {
      // The rows claimed so far are already ours and started: report them, not the failure.
      if (claimed === 0) throw error;
      if (!this.health.isConflict(error)) this.noteClaimFailed(error);
      logger.debug({ err: (error as Error).message }, 'claiming retries failed; running the pending tasks already claimed');
      return { count: claimed, unaccepted: [] };
    }
  }

  /** Runs a claimed task, or (`decided`: it was cancelled before it started) settles it with that outcome at once. */
  private launch(record: TaskRecord, decided = this.cancels.atClaim(record)): void {
    const { running, settling } = this.owned;
    let startedAt = Date.now();
    const began = performance.now();
    let durationMs: number | undefined;
    // A pool that queued the run before starting it tells when it really started.
    const onStarted = (at: number, ms: number) => {
      startedAt = at;
      durationMs = ms;
    };
    const run = decided ? Promise.resolve(decided) : this.run(record, onStarted);
    const done = run.then((ran) => {
      const outcome = this.cancels.outcomeOf(record.id, ran);
      if (this.givenBack.has(record)) {
        running.delete(record.id);
        return;
      }
      // Owned without a gap: the lease stays renewed from run to written outcome.
      // Taken before the freed slot starts the next task, which must not seem to start first.
      const finishedAt = Math.max(Date.now(), startedAt);
      settling.add(record.id);
      running.delete(record.id);
      // The freed slot takes the next prefetched task at once, without a turn of the loop.
      if (this.state === 'running') this.fillSlots();
      this.wakeIfClaimDue();
      durationMs ??= performance.now() - began;
      if (!decided) this.reserve.observe(durationMs);
      const timing = { startedAt, finishedAt: Math.max(finishedAt, startedAt), duration: durationMs / 1000 };
      void this.settler.settle(record, outcome, timing, this.progress.take(record.id)).then((settled) => {
        settling.delete(record.id);
        if (this.deps.logger.isLevelEnabled('debug')) {
          this.deps.logger.debug({ task: record.id, name: record.name, queue: record.queue, attempt: record.retryCount,
            duration: Math.round(timing.duration * 1000) / 1000, outcome: outcomeLabel(settled.outcome, settled) }, 'task finished');
        }
        if (settled.retryAt !== null) this.wakeAt(settled.retryAt);
        const event: TaskSettledEvent = {
          id: record.id, outcome: settled.outcome, written: settled.state === 'written', record, timing, retryAt: settled.retryAt,
        };
        this.emit('task:settled', event);
        this.wakeIfClaimDue(); // written: room to claim again
      });
    });
    running.set(record.id, { record, done });
  }

  /** One attempt in the pool, its progress going to the progress writer. */
  private run(record: TaskRecord, started: RunStarted): Promise<TaskOutcome> {
    const call: TaskCall = {
      id: record.id, name: record.name, queue: record.queue, args: record.args, kwargs: record.kwargs,
      timeout: record.timeout, attempt: record.retryCount, scheduledFor: record.scheduledFor,
    };
    this.emit('task:start', record);
    const attempt = () => this.deps.pool.run(call, this.progress.sinkFor(record), started);
    return this.deps.wrapAttempt ? this.deps.wrapAttempt(record, attempt) : attempt();
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
    this.settler.abandonWrites();
    this.forceStop();
  }

  private async shutdown(): Promise<void> {
    const { config, pool, logger } = this.deps;
    const { running, prefetched } = this.owned;
    if (this.state === 'new') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    logger.info({ running: running.size }, 'worker stopping: no new claims, letting running tasks finish');
    this.unsubscribers.forEach((unsubscribe) => unsubscribe());
    clearTimeout(this.wakeTimer);
    this.sleeper.wake();
    await Promise.race([this.loopDone, this.forced]);
    // Tasks that never started (prefetched, or queued in the pool) go back at once, for another worker.
    const unstarted = new Set(pool.takeBackUnstarted());
    running.forEach(({ record }) => {
      if (unstarted.has(record.id)) this.givenBack.add(record);
    });
    await this.settler.giveBack([...prefetched.splice(0).map((r) => r.id), ...unstarted]);
    const allDone = Promise.all([...running.values()].map((r) => r.done)).then(() => true);
    const finished = await Promise.race([allDone, delay(config.shutdownGraceMs).then(() => false), this.forced.then(() => false)]);
    if (!finished) {
      const unfinished = [...running.keys()];
      running.forEach(({ record }) => this.givenBack.add(record));
      // Stop the tasks before handing them back, so that no task runs here and elsewhere at once.
      // (Inline tasks only see their signal aborted; they cannot be stopped.)
      await pool.close();
      await this.settler.giveBack(unfinished);
    }
    this.settler.flush();
    // Outcomes already computed are written; after stopNow() only briefly, while the database answers.
    await Promise.race([this.settler.drain(), this.forced.then(() => delay(2000))]);
    this.settler.abandonWrites();
    this.timers.forEach(clearInterval);
    this.progress.close();
    this.cancels.close();
    await pool.close();
    await this.presence.deregister();
    this.state = 'stopped';
    logger.info('worker stopped');
  }
}
