// The queues page's data: per queue, the busy counts (ready, scheduled, running, retrying), the age
// of the oldest ready task, the finished history (COMPLETED, FAILED for good) and the finishes of
// each of the last 60 minutes, plus how many workers are live and lost. Each part is a Cached
// query, so open pages share them and the history scan runs rarely on a big table.
import type { CountRow, DashboardStatements, MinuteRow } from '../store/dashboard-statements';
import type { WorkerRegistryStatements } from '../store/worker-registry-statements';
import { LOST_WORKER_RETENTION_MS } from '../worker-presence';
import { Cached } from './cached';
import type { OverviewJson, QueueJson } from './client/api-types';

const MINUTE = 60_000;
const MINUTES = 60;

function emptyQueue(name: string): QueueJson {
  return {
    name, ready: 0, scheduled: 0, running: 0, retrying: 0, completed: null, failed: null, oldestReadyAgeMs: null,
    completedPerMinute: new Array<number>(MINUTES).fill(0), failedPerMinute: new Array<number>(MINUTES).fill(0),
  };
}

export class OverviewSource {
  private readonly active: Cached<{ rows: CountRow[]; now: number }>;
  private readonly finished: Cached<CountRow[]>;
  private readonly minutes: Cached<{ rows: MinuteRow[]; now: number }>;
  private readonly workers: Cached<{ live: number; lost: number }>;

  constructor(statements: DashboardStatements, registry: WorkerRegistryStatements) {
    this.active = new Cached(async () => {
      const now = Date.now();
      return { rows: await statements.activeCounts(now), now };
    }, 500, 10);
    this.finished = new Cached(() => statements.finishedCounts(), 2000, 20);
    this.minutes = new Cached(async () => {
      const now = Date.now();
      return { rows: await statements.finishedPerMinute(now - now % MINUTE - (MINUTES - 1) * MINUTE), now };
    }, 1000, 10);
    this.workers = new Cached(async () => {
      const now = Date.now();
      const rows = await registry.list(now - LOST_WORKER_RETENTION_MS);
      const live = rows.filter((w) => w.expiresAt >= now).length;
      return { live, lost: rows.length - live };
    }, 1000, 10);
  }

  async overview(): Promise<OverviewJson> {
    const [active, finished, minutes, workers] = await Promise.all([this.active.get(), this.finished.get(), this.minutes.get(), this.workers.get()]);
    const now = Date.now();
    const firstMinute = now - now % MINUTE - (MINUTES - 1) * MINUTE;
    const queues = new Map<string, QueueJson>();
    const queue = (name: string) => {
      let q = queues.get(name);
      if (!q) queues.set(name, (q = emptyQueue(name)));
      return q;
    };
    for (const row of active.rows) {
      const q = queue(row.queue);
      if (row.kind === 'PENDING') {
        q.scheduled = row.later;
        q.ready = row.count - row.later;
        q.oldestReadyAgeMs = row.oldestReady === null ? null : Math.max(0, now - row.oldestReady);
      } else if (row.kind === 'PROGRESS') q.running = row.count;
      else if (row.kind === 'RETRYING') q.retrying = row.count;
    }
    for (const row of finished) {
      const q = queue(row.queue);
      if (row.kind === 'COMPLETED') q.completed = row.count;
      else q.failed = row.count;
    }
    // Queues counted before (or after) a history count did not see them: 0, not unknown.
    if (this.finished.computedAt !== null) for (const q of queues.values()) { q.completed ??= 0; q.failed ??= 0; }
    for (const row of minutes.rows) {
      const index = Math.round((row.minute - firstMinute) / MINUTE);
      if (index < 0 || index >= MINUTES) continue;
      const q = queue(row.queue);
      (row.kind === 'COMPLETED' ? q.completedPerMinute : q.failedPerMinute)[index] += row.count;
    }
    const list = [...queues.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { now, firstMinute, queues: list, total: total(list), finishedCountedAt: this.finished.computedAt, workers };
  }
}

function total(queues: QueueJson[]): QueueJson {
  const sum = emptyQueue('(all)');
  const add = (a: number | null, b: number | null) => (a === null && b === null ? null : (a ?? 0) + (b ?? 0));
  for (const q of queues) {
    sum.ready += q.ready;
    sum.scheduled += q.scheduled;
    sum.running += q.running;
    sum.retrying += q.retrying;
    sum.completed = add(sum.completed, q.completed);
    sum.failed = add(sum.failed, q.failed);
    if (q.oldestReadyAgeMs !== null) sum.oldestReadyAgeMs = Math.max(sum.oldestReadyAgeMs ?? 0, q.oldestReadyAgeMs);
    q.completedPerMinute.forEach((n, i) => (sum.completedPerMinute[i] += n));
    q.failedPerMinute.forEach((n, i) => (sum.failedPerMinute[i] += n));
  }
  return sum;
}
