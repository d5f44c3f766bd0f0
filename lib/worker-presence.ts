// A worker's row in the registry (tw_workers), which the dashboard's workers page reads: written at
// start, refreshed by every heartbeat, deleted on a clean stop. It never gets in the way of the
// work: a failed write is logged (at warn the first time) and tried again at the next beat.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { ResolvedConfig } from './config';
import { delay } from './sleeper';
import type { WorkerStore } from './store/worker-store';

/** Rows of workers lost longer ago than this are deleted when a worker registers. */
export const LOST_WORKER_RETENTION_MS = 86_400_000;

export interface WorkerPresenceDeps {
  config: ResolvedConfig;
  store: WorkerStore;
  logger: Logger;
}

export class WorkerPresence {
  private registered = false;
  private warned = false;
  private readonly startedAt = Date.now();

  constructor(private readonly deps: WorkerPresenceDeps, private readonly workerId: string, private readonly running: () => number) {}

  async register(): Promise<void> {
    const { config, store } = this.deps;
    const now = Date.now();
    await this.attempt('register', async () => {
      await store.workers.register({
        id: this.workerId, host: hostname(), pid: process.pid, queues: config.queues, concurrency: config.concurrency,
        prefetch: config.prefetch, pool: config.pool, leaseMs: config.leaseMs, startedAt: this.startedAt,
      }, now, now - LOST_WORKER_RETENTION_MS);
      this.registered = true;
    });
  }

  /** Called with every heartbeat; registers again when the row was lost or never written. */
  async beat(): Promise<void> {
    if (!this.registered) return this.register();
    const { config, store } = this.deps;
    await this.attempt('heartbeat', async () => {
      if (!(await store.workers.beat(this.workerId, this.running(), Date.now(), config.leaseMs))) this.registered = false;
    });
  }

  /** On a clean stop; bounded, so an unreachable database does not hold the stop up (the row then shows as lost). */
  async deregister(): Promise<void> {
    if (!this.registered) return;
    const { store } = this.deps;
    await Promise.race([this.attempt('deregister', () => store.workers.deregister(this.workerId)), delay(2000)]);
  }

  private async attempt(what: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      const message = (error as Error).message;
      if (this.warned) {
        this.deps.logger.debug({ err: message }, `worker registry ${what} failed`);
        return;
      }
      this.warned = true;
      this.deps.logger.warn({ err: message }, `worker registry ${what} failed: the dashboard may not list this worker ` +
        '(run the migrations if tw_workers is missing); the work goes on, and the next heartbeat tries again');
    }
  }
}
