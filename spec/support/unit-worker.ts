// A real Worker over the memory store, for unit specs: the inline pool, a fresh registry, the
// in-process notifier, a captured log, and a poll interval of a minute, so that only wake-ups move
// it. Gate is a task handler that holds each run until the spec lets it end.
import pino from 'pino';
import { resolveConfig, type ResolvedConfig, type TaskWorkerOptions } from '../../lib/config';
import { currentTask } from '../../lib/context';
import { ClusterLocks } from '../../lib/locks';
import { MemoryNotifier } from '../../lib/notifier/memory-notifier';
import { InlinePool } from '../../lib/pool/inline-pool';
import { TaskRegistry } from '../../lib/registry';
import type { TaskOutcome, TaskRecord } from '../../lib/types';
import { Worker } from '../../lib/worker';
import { MemoryStore } from './memory-store';

export class Gate {
  /** Ids in the order their runs started, and those whose signal was aborted. */
  readonly started: string[] = [];
  readonly aborted: string[] = [];
  private readonly ends = new Map<string, (error?: Error) => void>();

  /** Registered as 't.gated': returns `result` once released. */
  readonly handler = (result: unknown = 'done'): Promise<unknown> => {
    const { id, signal } = currentTask();
    this.started.push(id);
    signal.addEventListener('abort', () => this.aborted.push(id));
    return new Promise((resolve, reject) => this.ends.set(id, (error) => (error ? reject(error) : resolve(result))));
  };

  /** Runs being held now. */
  get holding(): string[] {
    return [...this.ends.keys()];
  }

  /** Ends the run of `id`: with its result, or throwing `error`. */
  release(id: string, error?: Error): void {
    const end = this.ends.get(id);
    if (!end) throw new Error(`task ${id} is not held by the gate (holding: ${this.holding.join(', ') || 'none'})`);
    this.ends.delete(id);
    end(error);
  }

  releaseAll(): void {
    for (const id of this.holding) this.release(id);
  }
}

export interface SettledEvent {
  id: string;
  outcome: TaskOutcome;
  written: boolean;
}

export class UnitWorker {
  readonly store = new MemoryStore();
  readonly notifier = new MemoryNotifier();
  readonly registry = new TaskRegistry();
  readonly gate = new Gate();
  readonly config: ResolvedConfig;
  readonly worker: Worker;
  /** The worker's events, in order. */
  readonly started: TaskRecord[] = [];
  readonly settled: SettledEvent[] = [];
  readonly logs: Array<{ level: number; msg: string }> = [];

  constructor(options: TaskWorkerOptions = {}) {
    this.registry.register('t.task', () => 'done');
    this.registry.register('t.gated', this.gate.handler);
    this.config = resolveConfig({ pool: 'inline', pollInterval: 60, ...options }, {});
    const logger = pino({ level: 'debug' }, { write: (line: string) => void this.logs.push(JSON.parse(line) as { level: number; msg: string }) });
    this.worker = new Worker({
      config: this.config, store: this.store, notifier: this.notifier, logger,
      locks: new ClusterLocks(this.store.locks, 'unit', this.config.channelPrefix, undefined),
      pool: new InlinePool(this.config.concurrency, this.registry, undefined, async () => undefined),
    });
    this.worker.on('task:start', (record: TaskRecord) => this.started.push(record));
    this.worker.on('task:settled', (event: SettledEvent) => this.settled.push(event));
  }

  /** Adds tasks and announces them, as the client does. */
  add(...overrides: Array<Partial<TaskRecord>>): TaskRecord[] {
    const records = this.store.add(...overrides);
    for (const r of records) this.notifier.publish('created', { id: r.id, queue: r.queue, runAt: r.runAt });
    return records;
  }

  /** Ids of the runs started so far, in order. */
  get startedIds(): string[] {
    return this.started.map((r) => r.id);
  }

  hasLog(msg: string): boolean {
    return this.logs.some((l) => l.msg === msg);
  }

  /** Lets held runs end and failed writes land, then stops the worker. */
  async close(): Promise<void> {
    this.gate.releaseAll();
    this.store.heal();
    await this.worker.stop();
  }
}
