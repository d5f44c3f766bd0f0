// An in-memory WorkerStore for unit specs: the claim, the fenced writes, the leases, the hand-back
// and the lock, with the semantics of lib/store/task-store.ts and lib/db/shared-sql.ts (the
// conformance suite holds the real databases to them). Errors are PostgreSQL's, read by its dialect.
// For specs: add tasks, read rows, see the calls made, make the next calls of a method fail (before
// or after their write: an outage, a lost reply) or wait until released.
import type { Completion, ClaimParams, ErrorKind } from '../../lib/db/dialect';
import { dialectFor } from '../../lib/db/index';
import { newTaskId } from '../../lib/ids';
import type { CancelRequest } from '../../lib/store/cancel-statements';
import type { ProgressWrite } from '../../lib/store/progress-statements';
import type { Failure, StaleTask } from '../../lib/store/task-store';
import type { WorkerInfo } from '../../lib/store/worker-registry-statements';
import type { WorkerStore } from '../../lib/store/worker-store';
import type { TaskRecord } from '../../lib/types';
import { turns } from './wait';

export type StoreMethod = Exclude<keyof WorkerStore, 'locks' | 'workers' | 'progress' | 'cancels' | 'queues' | 'classifyError'>;

/** An error as the pg driver reports it (SQLSTATE in `code`), of the given kind. */
export function storeError(kind: ErrorKind, message = `injected ${kind} error`): Error {
  const code = { conflict: '40P01', permanent: '22001', transient: 'ECONNRESET' }[kind];
  return Object.assign(new Error(message), { code });
}

interface Fault {
  left: number;
  error: unknown;
  /** Fail after the write happened: the change is made, the caller never hears of it (a lost reply). */
  afterWrite: boolean;
  /** Only calls whose arguments match fail (e.g. a batch holding one task). */
  when: (args: unknown[]) => boolean;
}

export class MemoryStore implements WorkerStore {
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly lockRows = new Map<string, { owner: string; expiresAt: number }>();
  private readonly faults = new Map<StoreMethod, Fault[]>();
  private readonly holds = new Map<StoreMethod, Array<Promise<void>>>();
  /** Every call, in order, with its arguments. */
  readonly calls: Array<{ method: StoreMethod; args: unknown[] }> = [];

  readonly locks = {
    tryLock: async (name: string, owner: string, ttlMs: number, now: number): Promise<boolean> => {
      const row = this.lockRows.get(name);
      if (row && row.expiresAt >= now && row.owner !== owner) return false;
      this.lockRows.set(name, { owner, expiresAt: now + ttlMs });
      return true;
    },
    unlock: async (name: string, owner: string): Promise<void> => {
      if (this.lockRows.get(name)?.owner === owner) this.lockRows.delete(name);
    },
  };

  /** The worker registry's rows (tw_workers), by worker id. */
  readonly workerRows = new Map<string, WorkerInfo & { running: number; lastSeenAt: number; expiresAt: number }>();
  /** While set, every registry statement throws it (the table not migrated yet, the database down). */
  registryError: Error | undefined;

  /** The registry, with the semantics of lib/store/worker-registry-statements.ts. */
  readonly workers = {
    register: async (worker: WorkerInfo, now: number, forgetBefore: number): Promise<void> => {
      this.registryCheck();
      for (const [id, row] of this.workerRows) if (id === worker.id || row.expiresAt < forgetBefore) this.workerRows.delete(id);
      this.workerRows.set(worker.id, { ...worker, queues: [...worker.queues], running: 0, lastSeenAt: now, expiresAt: now + worker.leaseMs });
    },
    beat: async (id: string, running: number, now: number, leaseMs: number): Promise<boolean> => {
      this.registryCheck();
      const row = this.workerRows.get(id);
      if (!row) return false;
      Object.assign(row, { running, lastSeenAt: now, expiresAt: now + leaseMs });
      return true;
    },
    deregister: async (id: string): Promise<void> => {
      this.registryCheck();
      this.workerRows.delete(id);
    },
  };

  private registryCheck(): void {
    if (this.registryError) throw this.registryError;
  }

  /** Paused queues (tw_queues), as the specs set them. */
  readonly pausedQueues = new Set<string>();
  /** Failed attempts recorded (tw_task_attempts), oldest first. */
  readonly attemptRows: Array<{ taskId: string; attempt: number; errorCode: string; worker: string | null }> = [];

  /** Progress writes, with the fence of lib/store/progress-statements.ts. */
  readonly progress = {
    write: async (workerId: string, items: readonly ProgressWrite[], now: number): Promise<number> => {
      let changed = 0;
      for (const item of items) {
        const row = this.fenced(item.id, workerId, item.attempt);
        if (!row) continue;
        Object.assign(row, { progress: item.progress, updatedAt: now });
        changed++;
      }
      return changed;
    },
  };

  /** Cancel requests on running tasks, as lib/store/cancel-statements.ts reads them. */
  readonly cancels = {
    requestedFor: async (workerId: string, ids?: readonly string[]): Promise<CancelRequest[]> => [...this.tasks.values()]
      .filter((t) => t.status === 'PROGRESS' && t.lockedBy === workerId && t.cancelRequested !== null && (!ids || ids.includes(t.id)))
      .map((t) => ({ id: t.id, attempt: t.retryCount, error: t.cancelRequested! })),
  };

  readonly queues = {
    paused: async (): Promise<string[]> => [...this.pausedQueues],
  };

  // --- test conveniences -------------------------------------------------------------------------

  /** Adds tasks as the client would insert them (PENDING, ready now), with any fields overridden. */
  add(...overrides: Array<Partial<TaskRecord>>): TaskRecord[] {
    return overrides.map((o) => {
      const now = Date.now();
      const record: TaskRecord = {
        id: newTaskId(now), name: 't.task', args: [], kwargs: {}, timeout: 300, status: 'PENDING', result: null, error: null,
        retryCount: 0, maxRetries: null, queue: 'default', priority: 0, runAt: now, createdAt: now, updatedAt: now,
        startedAt: null, finishedAt: null, duration: null, lockedBy: null, leaseExpiresAt: null, uniqueKey: null, scheduleKey: null,
        scheduledFor: null, progress: null, errorCode: null, lastWorker: null, cancelRequested: null, traceContext: null, ...o,
      };
      this.tasks.set(record.id, record);
      return { ...record };
    });
  }

  /** A copy of the row, as `SELECT *` would read it. */
  row(id: string): TaskRecord {
    return { ...this.existing(id) };
  }

  /** Changes a row behind the worker's back (another worker, an operator). */
  update(id: string, changes: Partial<TaskRecord>): void {
    Object.assign(this.existing(id), changes);
  }

  private existing(id: string): TaskRecord {
    const row = this.tasks.get(id);
    if (!row) throw new Error(`no task ${id} in the memory store`);
    return row;
  }

  rows(): TaskRecord[] {
    return [...this.tasks.values()].map((r) => ({ ...r }));
  }

  callsTo(method: StoreMethod): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  /** The next `times` calls of `method` (those matching `when`) throw `error`. */
  failNext(method: StoreMethod, options: { times?: number; error?: unknown; afterWrite?: boolean; when?: (args: unknown[]) => boolean } = {}): void {
    const fault = { left: options.times ?? 1, error: options.error ?? storeError('transient'), afterWrite: options.afterWrite ?? false,
      when: options.when ?? (() => true) };
    this.faults.set(method, [...(this.faults.get(method) ?? []), fault]);
  }

  /** Ends every injected failure: the database is back. */
  heal(): void {
    this.faults.clear();
  }

  /** The next call of `method` waits, before touching anything, until the returned function is called. */
  holdNext(method: StoreMethod): () => void {
    let release!: () => void;
    this.holds.set(method, [...(this.holds.get(method) ?? []), new Promise<void>((resolve) => (release = resolve))]);
    return release;
  }

  /** Resolves once no store call has been made for a few turns of the event loop (timers aside). */
  async quiet(): Promise<void> {
    for (let still = 0; still < 5;) {
      const before = this.calls.length;
      await turns(1);
      still = this.calls.length === before ? still + 1 : 0;
    }
  }

  /** Runs one statement: recorded, held or failed as the spec asked, and never synchronous. */
  private async statement<T>(method: StoreMethod, args: unknown[], write: () => T): Promise<T> {
    this.calls.push({ method, args });
    const hold = this.holds.get(method)?.shift();
    if (hold) await hold;
    await Promise.resolve();
    const fault = this.faults.get(method)?.find((f) => f.left > 0 && f.when(args));
    if (fault) fault.left--;
    if (fault && !fault.afterWrite) throw fault.error;
    const value = write();
    if (fault) throw fault.error;
    return value;
  }

  /** The fence of every write after a claim: still this worker's, in the same attempt, running. */
  private fenced(id: string, workerId: string, attempt: number): TaskRecord | undefined {
    const row = this.tasks.get(id);
    return row && row.lockedBy === workerId && row.retryCount === attempt && row.status === 'PROGRESS' ? row : undefined;
  }

  // --- WorkerStore --------------------------------------------------------------------------------

  classifyError(error: unknown): ErrorKind {
    return dialectFor('postgres').classifyError(error);
  }

  async warmUp(): Promise<void> {
    await this.statement('warmUp', [], () => undefined);
  }

  claim(params: ClaimParams): Promise<TaskRecord[]> {
    return this.statement('claim', [params], () => {
      const { from, now, queues } = params;
      const excluded = params.excludeQueues ?? [];
      const order = (a: TaskRecord, b: TaskRecord) => a.priority - b.priority || a.runAt! - b.runAt! || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
      const readyOf = (status: string) => [...this.tasks.values()]
        .filter((t) => t.status === status && t.runAt !== null && t.runAt <= now && (queues.length === 0 || queues.includes(t.queue))
          && !excluded.includes(t.queue))
        // ORDER BY priority, run_at, id (ids compare byte-wise, as on every database).
        .sort(order);
      const best = readyOf('PENDING')[0]?.priority ?? Infinity;
      const ahead = params.aheadOfPending;
      const ready = readyOf(from)
        // Retries ahead of the PENDING tasks only: a better priority, or ready since agedBefore.
        .filter((t) => !ahead || from !== 'FAILED' || t.runAt! <= ahead.agedBefore || t.priority < best)
        .slice(0, params.limit);
      for (const t of ready) {
        Object.assign(t, {
          status: 'PROGRESS', lockedBy: params.workerId, leaseExpiresAt: params.leaseUntil, startedAt: now, updatedAt: now,
          finishedAt: null, duration: null, progress: null, retryCount: t.retryCount + (from === 'FAILED' ? 1 : 0),
          maxRetries: t.maxRetries ?? params.defaultMaxRetries,
        });
      }
      // UPDATE ... RETURNING promises no order: reversed here, so that a worker relying on it fails.
      return ready.map((t) => ({ ...t })).reverse();
    });
  }

  complete(workerId: string, completions: readonly Completion[]): Promise<string[]> {
    return this.statement('complete', [workerId, completions], () => completions.flatMap((c) => {
      const row = this.fenced(c.id, workerId, c.attempt);
      if (!row || row.cancelRequested !== null) return []; // a pending cancel refuses the result
      Object.assign(row, {
        status: 'COMPLETED', result: c.result, error: null, errorCode: null, startedAt: c.startedAt, finishedAt: c.finishedAt, updatedAt: c.finishedAt,
        duration: c.duration, runAt: null, lockedBy: null, leaseExpiresAt: null, lastWorker: workerId, progress: c.progress ?? row.progress,
      });
      return [c.id];
    }));
  }

  fail(workerId: string, f: Failure): Promise<boolean> {
    return this.statement('fail', [workerId, f], () => {
      const row = this.fenced(f.id, workerId, f.attempt);
      const code = f.code ?? 'TW_TASK_ERROR';
      if (!row || (row.cancelRequested !== null && code !== 'TW_CANCELLED')) return false;
      Object.assign(row, {
        status: 'FAILED', error: f.error, errorCode: code, startedAt: f.startedAt, finishedAt: f.finishedAt, updatedAt: f.finishedAt, duration: f.duration,
        runAt: f.retryAt, lockedBy: null, leaseExpiresAt: null, lastWorker: workerId, progress: f.progress ?? row.progress, cancelRequested: null,
      });
      this.attemptRows.push({ taskId: f.id, attempt: f.attempt, errorCode: code, worker: workerId });
      return true;
    });
  }

  renewLeases(workerId: string, leaseUntil: number, now: number): Promise<number> {
    return this.statement('renewLeases', [workerId, leaseUntil, now], () => {
      const held = [...this.tasks.values()].filter((t) => t.status === 'PROGRESS' && t.lockedBy === workerId);
      for (const t of held) Object.assign(t, { leaseExpiresAt: leaseUntil, updatedAt: now });
      return held.length;
    });
  }

  leasedBy(workerId: string): Promise<string[]> {
    return this.statement('leasedBy', [workerId], () =>
      [...this.tasks.values()].filter((t) => t.status === 'PROGRESS' && t.lockedBy === workerId).map((t) => t.id));
  }

  findStale(now: number, limit: number): Promise<StaleTask[]> {
    return this.statement('findStale', [now, limit], () => [...this.tasks.values()]
      .filter((t) => t.status === 'PROGRESS' && t.leaseExpiresAt !== null && t.leaseExpiresAt < now)
      .sort((a, b) => a.leaseExpiresAt! - b.leaseExpiresAt!)
      .slice(0, limit)
      .map((t) => ({
        id: t.id, name: t.name, queue: t.queue, lockedBy: t.lockedBy ?? '', cancelRequested: t.cancelRequested, attempt: t.retryCount,
        maxRetries: t.maxRetries, startedAt: t.startedAt,
      })));
  }

  failStale(task: StaleTask, now: number, error: { text: string; code: string }, retryAt: number | null): Promise<boolean> {
    return this.statement('failStale', [task, now, error, retryAt], () => {
      const row = this.fenced(task.id, task.lockedBy, task.attempt);
      if (!row || row.leaseExpiresAt === null || row.leaseExpiresAt >= now) return false;
      Object.assign(row, {
        status: 'FAILED', error: error.text, errorCode: error.code, finishedAt: now, updatedAt: now,
        duration: task.startedAt === null ? null : (now - task.startedAt) / 1000, runAt: retryAt, lockedBy: null, leaseExpiresAt: null,
        lastWorker: task.lockedBy, cancelRequested: null,
      });
      this.attemptRows.push({ taskId: task.id, attempt: task.attempt, errorCode: error.code, worker: task.lockedBy });
      return true;
    });
  }

  giveBack(workerId: string, ids: readonly string[], now: number): Promise<number> {
    return this.statement('giveBack', [workerId, ids, now], () => {
      const mine = ids.map((id) => this.tasks.get(id)).filter((t) => t?.status === 'PROGRESS' && t.lockedBy === workerId) as TaskRecord[];
      for (const t of new Set(mine)) {
        Object.assign(t, { status: 'PENDING', startedAt: null, lockedBy: null, leaseExpiresAt: null, runAt: t.runAt ?? now, updatedAt: now });
      }
      return new Set(mine).size;
    });
  }
}
