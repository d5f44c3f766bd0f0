// A worker's leases: renews them by heartbeat, notices leases it lost (paused past its lease) and
// claims whose reply never arrived (orphans, handed back), and sweeps the expired leases of dead
// workers, under one cluster-wide lock, but never right after a database outage. It reads what the
// worker holds from its Ownership record and never calls back into the worker loop.
import type { Logger } from 'pino';
import type { ResolvedConfig } from './config';
import type { DatabaseHealth } from './database-health';
import type { ClusterLocks } from './locks';
import type { Notifier } from './notifier/notifier';
import type { Ownership } from './ownership';
import { retryAt } from './retry-policy';
import type { Settler } from './settler';
import type { StaleTask } from './store/task-store';
import type { WorkerStore } from './store/worker-store';
import { WorkerLostError } from './task-errors';

const STALE_SWEEP_LIMIT = 500;

export interface LeaseKeeperDeps {
  config: ResolvedConfig;
  store: WorkerStore;
  notifier: Notifier;
  locks: ClusterLocks;
  logger: Logger;
}

/** Told of each task the sweep recovered from a lost worker, once its failure is written. */
export type RecoveredListener = (task: StaleTask, retryAt: number | null, code: string) => void;

export class LeaseKeeper {
  private lastRenewedAt = Date.now();
  private warnedExpiry = false;
  private readonly reportedLost = new Set<string>();

  constructor(
    private readonly deps: LeaseKeeperDeps,
    private readonly owned: Ownership,
    private readonly settler: Pick<Settler, 'giveBack'>,
    private readonly health: DatabaseHealth,
    private readonly onRecovered: RecoveredListener = () => undefined,
  ) {}

  /** How often the sweep runs: half a lease, between 250 ms and 30 s. */
  get sweepIntervalMs(): number {
    return Math.min(Math.max(this.deps.config.leaseMs / 2, 250), 30_000);
  }

  async heartbeat(): Promise<void> {
    const { config, store, logger } = this.deps;
    const { claimEpoch: epoch, claimInFlight: inFlight } = this.owned;
    const owned = this.owned.ownedIds();
    // Idle and no failed claim: nothing to renew (and no write to contend with the claims).
    if (owned.length === 0 && !this.owned.orphansPossible) {
      this.lastRenewedAt = Date.now(); // nothing held: nothing can expire
      return;
    }
    const now = Date.now();
    let held: number;
    try {
      held = await store.renewLeases(this.owned.workerId, now + config.leaseMs, now);
    } catch (error) {
      this.health.noteError(error);
      if (owned.length > 0 && Date.now() - this.lastRenewedAt > config.leaseMs && !this.warnedExpiry) {
        this.warnedExpiry = true;
        logger.warn({ err: (error as Error).message, tasks: owned.length },
          'leases not renewed for longer than the lease time: another worker may retry these tasks (at-least-once)');
      }
      return;
    }
    this.lastRenewedAt = now;
    this.warnedExpiry = false;
    try {
      if (held < owned.length) await this.reportLostLeases(owned);
      else if (held > owned.length && !inFlight) await this.returnOrphans(epoch);
      else if (!inFlight && this.owned.orphansPossible && this.owned.claimEpoch === epoch) this.owned.orphansPossible = false;
    } catch (error) {
      this.health.noteError(error);
      logger.debug({ err: (error as Error).message }, 'lease check failed; next heartbeat will retry');
    }
    for (const id of this.reportedLost) if (!this.owned.isRunning(id)) this.reportedLost.delete(id);
  }

  /** Running tasks whose lease was taken over (this worker was paused or cut off past its lease). */
  private async reportLostLeases(owned: string[]): Promise<void> {
    const running = owned.filter((id) => this.owned.isRunning(id));
    if (running.length === 0) return;
    const still = new Set(await this.deps.store.leasedBy(this.owned.workerId));
    for (const id of running) {
      if (still.has(id) || !this.owned.isRunning(id) || this.reportedLost.has(id)) continue;
      this.reportedLost.add(id);
      this.deps.logger.warn({ task: id }, 'lease lost: this worker was silent past its lease and the task was recovered ' +
        'elsewhere; it finishes here but its outcome will not be written');
    }
  }

  /** Rows claimed for this worker that it never received (the claim's reply was lost): hand them back. */
  private async returnOrphans(epoch: number): Promise<void> {
    const leased = await this.deps.store.leasedBy(this.owned.workerId);
    if (this.owned.claimInFlight || this.owned.claimEpoch !== epoch) return; // a claim ran meanwhile; look again next beat
    const owned = new Set(this.owned.ownedIds());
    const orphans = leased.filter((id) => !owned.has(id));
    this.owned.orphansPossible = false;
    if (orphans.length === 0) return;
    this.deps.logger.warn({ tasks: orphans }, 'found tasks claimed for this worker whose claim reply was lost; handing them back');
    await this.settler.giveBack(orphans);
  }

  /**
   * Fails (for a retry, or for good) PROGRESS tasks whose worker stopped renewing its lease.
   * Resolves true when a recovered task may run at once (the loop should look for work).
   */
  async sweep(): Promise<boolean> {
    const { config, store, notifier, locks, logger } = this.deps;
    // A lease that ran out while the database was unreachable proves nothing: no worker could renew
    // it. Give live workers one lease time to renew before treating their tasks as lost.
    if (this.health.failedWithin(config.leaseMs)) return false;
    let retryReady = false;
    try {
      // The lock only spares duplicate work (failStale is fenced), so its TTL is short: a holder
      // that crashed mid-sweep must not delay recovery by more than a lease.
      await locks.tryRun('sweep', Math.max(config.leaseMs, 1000), async () => {
        const now = Date.now();
        const owned = new Set(this.owned.ownedIds());
        for (const stale of await store.findStale(now, STALE_SWEEP_LIMIT)) {
          // Our own task after a pause: still running here, and the heartbeat renews it.
          if (stale.lockedBy === this.owned.workerId && owned.has(stale.id)) continue;
          // A task cancelled while its worker was lost ends cancelled, not retried.
          const cancelled = stale.cancelRequested;
          const nextRunAt = retryAt(config, stale, cancelled === null ? 'lost' : 'permanent', now);
          const error = cancelled === null
            ? { text: new WorkerLostError(stale.lockedBy, nextRunAt !== null).storedText, code: 'TW_WORKER_LOST' }
            : { text: cancelled, code: 'TW_CANCELLED' };
          if (!(await store.failStale(stale, now, error, nextRunAt))) continue;
          logger.warn({ task: stale.id, lostWorker: stale.lockedBy, retryable: nextRunAt !== null, code: error.code }, 'recovered a task from a lost worker');
          this.onRecovered(stale, nextRunAt, error.code);
          notifier.publish(nextRunAt !== null ? 'requeued' : 'failed', { id: stale.id, runAt: nextRunAt });
          if (nextRunAt !== null) retryReady = true;
        }
      });
    } catch (error) {
      this.health.noteError(error);
      logger.debug({ err: (error as Error).message }, 'stale-lease sweep failed; next round will retry');
    }
    return retryReady;
  }
}
