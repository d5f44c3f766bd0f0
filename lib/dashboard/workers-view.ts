// The workers page's data: every registered worker, live or lost within the last day, each with
// the tasks it holds (PROGRESS rows locked by it), and the holders of PROGRESS tasks that have no
// registry row (workers of a version before the registry).
import type { DashboardStatements } from '../store/dashboard-statements';
import type { WorkerRegistryStatements } from '../store/worker-registry-statements';
import { LOST_WORKER_RETENTION_MS } from '../worker-presence';
import type { HeldTaskJson, WorkerJson, WorkersJson } from './client/api-types';

/** Held tasks listed at most (the rest of a worker's tasks are in the task list, filtered by status). */
const HELD_LIMIT = 500;

export async function workersJson(registry: WorkerRegistryStatements, statements: DashboardStatements): Promise<WorkersJson> {
  const now = Date.now();
  const [rows, held] = await Promise.all([registry.list(now - LOST_WORKER_RETENTION_MS), statements.heldTasks(HELD_LIMIT)]);
  const byHolder = new Map<string, HeldTaskJson[]>();
  for (const task of held) {
    const list = byHolder.get(task.lockedBy) ?? [];
    list.push({ id: task.id, name: task.name, queue: task.queue, startedAt: task.startedAt });
    byHolder.set(task.lockedBy, list);
  }
  const workers: WorkerJson[] = rows.map((w) => ({
    id: w.id, state: w.expiresAt >= now ? 'live' : 'lost', host: w.host, pid: w.pid, queues: [...w.queues], concurrency: w.concurrency,
    prefetch: w.prefetch, pool: w.pool, running: w.running, startedAt: w.startedAt, lastSeenAt: w.lastSeenAt, expiresAt: w.expiresAt,
    held: byHolder.get(w.id) ?? [],
  }));
  const registered = new Set(rows.map((w) => w.id));
  for (const [holder, tasks] of byHolder) {
    if (registered.has(holder)) continue;
    workers.push({
      id: holder, state: 'unregistered', host: null, pid: null, queues: [], concurrency: null, prefetch: null, pool: null,
      running: null, startedAt: null, lastSeenAt: null, expiresAt: null, held: tasks,
    });
  }
  // Live first (oldest start first), then lost (most recently seen first), then unregistered.
  const rank = { live: 0, lost: 1, unregistered: 2 } as const;
  workers.sort((a, b) => rank[a.state] - rank[b.state] ||
    (a.state === 'lost' ? (b.lastSeenAt ?? 0) - (a.lastSeenAt ?? 0) : (a.startedAt ?? 0) - (b.startedAt ?? 0)));
  return { now, workers };
}
