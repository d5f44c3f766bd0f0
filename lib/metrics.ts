// Prometheus metrics of one TaskWorker (prom-client, in a registry of its own unless the app passes
// one): counters of tasks created, completed, failed, retried, recovered and cancelled by queue and
// task name; histograms of run duration and of wait time (ready to started); gauges computed at
// scrape time: ready tasks and the oldest one's age per queue (one bounded query, cached briefly),
// paused queues, busy and total slots. Counted from the client's and the workers' events, so the hot
// path pays nothing until metrics are asked for. Label values are capped: task ids never appear.
import type { Counter, Histogram, Registry } from 'prom-client';
import { errorCodeOf } from './attempts';
import type { TaskClient } from './client';
import type { TaskStore } from './store/task-store';
import type { TaskRecord } from './types';
import type { TaskRecoveredEvent, TaskSettledEvent, Worker } from './worker';

type PromClient = typeof import('prom-client');

/** Distinct task names (and queues) given their own label value per process; the rest are 'other'. */
export const MAX_LABEL_VALUES = 200;
/** Ready tasks counted per scrape, at most: the query walks the claim index no further. */
export const READY_COUNT_CAP = 100_000;
/** Scrapes within this long share one reading of the database. */
export const GAUGE_CACHE_MS = 2000;

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
const WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800, 3600];

export interface MetricsOptions {
  /** Register the metrics here (e.g. prom-client's global `register`); default: a registry of this TaskWorker's own. */
  registry?: Registry;
  /** Metric name prefix. Default 'tw_'. */
  prefix?: string;
}

/** What the metrics read: the client's creations, the workers' events, the store for the queue gauges. */
export interface MetricsSource {
  client: Pick<TaskClient, 'onCreated'>;
  store: Pick<TaskStore, 'admin' | 'queues'>;
  workers(): Iterable<Worker>;
}

/** Keeps a label's distinct values bounded: past `max`, new values read 'other'. */
class LabelCap {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  value(v: string): string {
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return 'other';
    this.seen.add(v);
    return v;
  }
}

type CounterName = 'created' | 'completed' | 'failed' | 'retried' | 'recovered' | 'cancelled';

/** The series of one (queue, task name): prom-client children, made once (labelling per call hashes the labels every time). */
interface Series {
  counters: Record<CounterName, { inc(): void }>;
  runDuration: { observe(value: number): void };
  waitTime: { observe(value: number): void };
}

interface QueueReading {
  at: number;
  ready: Map<string, { count: number; oldestRunAt: number | null }>;
  paused: string[];
}

export class TaskMetrics {
  readonly registry: Registry;
  private readonly names = new LabelCap(MAX_LABEL_VALUES);
  private readonly queues = new LabelCap(MAX_LABEL_VALUES);
  private readonly attached = new WeakSet<Worker>();
  private readonly counters: Record<CounterName, Counter<'queue' | 'name'>>;
  private readonly series = new Map<string, Series>();
  private readonly runDuration: Histogram<'queue' | 'name'>;
  private readonly waitTime: Histogram<'queue' | 'name'>;
  private reading: Promise<QueueReading | null> | undefined;

  constructor(private readonly source: MetricsSource, options: MetricsOptions = {}) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const prom = require('prom-client') as PromClient;
    this.registry = options.registry ?? new prom.Registry();
    const prefix = options.prefix ?? 'tw_';
    const registers = [this.registry];
    const labelNames = ['queue', 'name'] as const;
    const counter = (name: string, help: string) => new prom.Counter({ name: `${prefix}tasks_${name}_total`, help, labelNames, registers });
    this.counters = {
      created: counter('created', 'Tasks created by this process (counted once committed).'),
      completed: counter('completed', 'Tasks this process ran to COMPLETED.'),
      failed: counter('failed', 'Tasks that failed for good (no retry left, or a PermanentError) in this process, cancels excepted.'),
      retried: counter('retried', 'Attempts that failed in this process with a retry scheduled.'),
      recovered: counter('recovered', "Tasks this process's stale-lease sweep took back from a lost worker."),
      cancelled: counter('cancelled', 'Running tasks this process ended because an operator cancelled them.'),
    };
    this.runDuration = new prom.Histogram({
      name: `${prefix}task_run_duration_seconds`, help: 'How long attempts ran, from handler start to outcome.', labelNames, registers, buckets: DURATION_BUCKETS,
    });
    this.waitTime = new prom.Histogram({
      name: `${prefix}task_wait_seconds`, help: 'How long tasks waited from ready (run_at) to started.', labelNames, registers, buckets: WAIT_BUCKETS,
    });
    const metrics = this;
    new prom.Gauge({
      name: `${prefix}queue_ready_tasks`, help: `PENDING tasks ready to start, by queue (counted up to ${READY_COUNT_CAP} in all, in claim order).`,
      labelNames: ['queue'] as const, registers,
      async collect() {
        this.reset();
        for (const [queue, r] of (await metrics.queueReading())?.ready ?? []) this.set({ queue: metrics.queues.value(queue) }, r.count);
      },
    });
    new prom.Gauge({
      name: `${prefix}queue_oldest_ready_age_seconds`, help: 'How long the oldest ready PENDING task of each queue has waited (queue lag).',
      labelNames: ['queue'] as const, registers,
      async collect() {
        this.reset();
        const reading = await metrics.queueReading();
        for (const [queue, r] of reading?.ready ?? []) {
          if (r.oldestRunAt !== null) this.set({ queue: metrics.queues.value(queue) }, Math.max(0, (reading!.at - r.oldestRunAt) / 1000));
        }
      },
    });
    new prom.Gauge({
      name: `${prefix}queue_paused`, help: 'Queues an operator paused (1).', labelNames: ['queue'] as const, registers,
      async collect() {
        this.reset();
        for (const queue of (await metrics.queueReading())?.paused ?? []) this.set({ queue: metrics.queues.value(queue) }, 1);
      },
    });
    new prom.Gauge({
      name: `${prefix}worker_busy_slots`, help: "Tasks this process's workers are running now.", registers,
      collect() {
        this.set(metrics.sumOverWorkers((w) => w.activeCount));
      },
    });
    new prom.Gauge({
      name: `${prefix}worker_slots`, help: "Tasks this process's running workers can run at once (their concurrency).", registers,
      collect() {
        this.set(metrics.sumOverWorkers((w) => (w.status === 'running' || w.status === 'stopping' ? w.concurrency : 0)));
      },
    });
    source.client.onCreated((records) => this.created(records));
    for (const worker of source.workers()) this.attach(worker);
  }

  /** The series of a task's queue and name (capped: past MAX_LABEL_VALUES, 'other'). */
  private seriesOf(record: { queue: string; name: string }): Series {
    const key = `${record.queue}\u0000${record.name}`;
    let series = this.series.get(key);
    if (!series) {
      const labels = { queue: this.queues.value(record.queue), name: this.names.value(record.name) };
      const counters = Object.fromEntries(Object.entries(this.counters).map(([n, c]) => [n, c.labels(labels)])) as Series['counters'];
      series = { counters, runDuration: this.runDuration.labels(labels), waitTime: this.waitTime.labels(labels) };
      // Bounded like the labels: names past the cap share the 'other' series, and this map stops growing.
      if (this.series.size < MAX_LABEL_VALUES * 4) this.series.set(key, series);
    }
    return series;
  }

  private sumOverWorkers(value: (worker: Worker) => number): number {
    let sum = 0;
    for (const worker of this.source.workers()) sum += value(worker);
    return sum;
  }

  private created(records: readonly TaskRecord[]): void {
    for (const record of records) this.seriesOf(record).counters.created.inc();
  }

  /** Counts what `worker` runs from now on (a TaskWorker attaches each of its workers). */
  attach(worker: Worker): void {
    if (this.attached.has(worker)) return;
    this.attached.add(worker);
    worker.on('task:start', (record: TaskRecord) => {
      if (record.runAt !== null) this.seriesOf(record).waitTime.observe(Math.max(0, (Date.now() - record.runAt) / 1000));
    });
    worker.on('task:settled', (event: TaskSettledEvent) => this.settled(event));
    worker.on('task:recovered', (event: TaskRecoveredEvent) => this.recovered(event));
  }

  private settled({ record, outcome, written, timing, retryAt }: TaskSettledEvent): void {
    const { counters, runDuration } = this.seriesOf(record);
    runDuration.observe(timing.duration);
    if (!written) return;
    if (outcome.ok) counters.completed.inc();
    else if (errorCodeOf(outcome) === 'TW_CANCELLED') counters.cancelled.inc();
    else if (retryAt !== null) counters.retried.inc();
    else counters.failed.inc();
  }

  private recovered(event: TaskRecoveredEvent): void {
    const { counters } = this.seriesOf(event);
    counters.recovered.inc();
    if (event.retryAt !== null) return;
    (event.code === 'TW_CANCELLED' ? counters.cancelled : counters.failed).inc();
  }

  /**
   * The queue gauges' reading of the database, shared by the scrapes of GAUGE_CACHE_MS; null when the
   * database did not answer (the queue gauges are then left out of that scrape, the rest is served).
   */
  private queueReading(): Promise<QueueReading | null> {
    const cached = this.reading;
    if (cached) return cached;
    const reading = (async (): Promise<QueueReading | null> => {
      const at = Date.now();
      try {
        const [ready, paused] = await Promise.all([this.source.store.admin.readyByQueue(at, READY_COUNT_CAP), this.source.store.queues.paused()]);
        return { at, ready: new Map(ready.map((r) => [r.queue, { count: r.count, oldestRunAt: r.oldestRunAt }])), paused };
      } catch {
        return null;
      }
    })();
    this.reading = reading;
    void reading.then((value) => {
      // A failed reading is not kept: the next scrape asks again.
      if (value === null) this.reading = undefined;
      else setTimeout(() => { if (this.reading === reading) this.reading = undefined; }, GAUGE_CACHE_MS).unref();
    });
    return reading;
  }

  /** The metrics in Prometheus' text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
