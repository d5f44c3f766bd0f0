// A worker's leases: renews them by heartbeat, notices leases it lost (paused past its lease) and
// claims whose reply never arrived (orphans, handed back), and sweeps the expired leases of dead
// workers, under one cluster-wide lock, but never right after a database outage.
import type { Logger } from 'pino';
import type { ResolvedConfig } from './config';
import type { ClusterLocks } from './locks';
import type { Notifier } from './notifier/notifier';
import { isConflictError } from './persist';
import type { TaskStore } from './store';

const STALE_SWEEP_LIMIT = 500;

/** What the keeper needs to know about its worker's tasks. */
export interface LeaseHolder {
  readonly workerId: string;
  /** Tasks this worker runs or whose outcome it is still writing: their leases must stay alive. */
  ownedIds(): string[];
  isRunning(id: string): boolean;
  /** Counts claims started (epoch) and whether one is running now, whose rows are not owned yet. */
  claimState(): { epoch: number; inFlight: boolean };
  giveBack(ids: string[]): Promise<void>;
  /** A retry is ready: look for work now. */
  wake(): void;
}

export interface LeaseKeeperDeps {
  config: ResolvedConfig;
  store: TaskStore;
  notifier: Notifier;
  locks: ClusterLocks;
  logger: Logger;
}

export class LeaseKeeper {
  private lastDbErrorAt = -Infinity;
  private lastRenewedAt = Date.now();
  private warnedExpiry = false;
  private readonly reportedLost = new Set<string>();
  /** Set when a claim failed: its rows may be ours without our knowing (the reply was lost). */
  private orphansPossible = false;

  constructor(private readonly deps: LeaseKeeperDeps, private readonly holder: LeaseHolder) {}

  /** How often the sweep runs: half a lease, between 250 ms and 30 s. */
  get sweepIntervalMs(): number {
    return Math.min(Math.max(this.deps.config.leaseMs / 2, 250), 30_000);
  }

  /**
   * A failed database call: leases could not be renewed meanwhile, by us or by anyone. A lock
   * conflict (deadlock) is not an outage and does not count.
   */
  noteDatabaseError(error?: unknown): void {
    if (error !== undefined && isConflictError(error)) return;
    this.lastDbErrorAt = Date.now();
  }

  /** A claim threw: it may still have committed. The next heartbeats look for such rows. */
  noteClaimFailed(): void {
    this.noteDatabaseError();
    this.orphansPossible = true;
  }

  async heartbeat(): Promise<void> {
    const { config, store, logger } = this.deps;
    const { epoch, inFlight } = this.holder.claimState();
    const owned = this.holder.ownedIds();
    // Idle and no failed claim: nothing to renew (and no write to contend with the claims).
    if (owned.length === 0 && !this.orphansPossible) {
      this.lastRenewedAt = Date.now(); // nothing held: nothing can expire
      return;
    }
    const now = Date.now();
    let held: number;
    try {
      held = await store.renewLeases(this.holder.workerId, now + config.leaseMs, now);
    } catch (error) {
      this.noteDatabaseError(error);
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
      else if (!inFlight && this.orphansPossible && this.holder.claimState().epoch === epoch) this.orphansPossible = false;
    } catch (error) {
      this.noteDatabaseError(error);
      logger.debug({ err: (error as Error).message }, 'lease check failed; next heartbeat will retry');
    }
    for (const id of this.reportedLost) if (!this.holder.isRunning(id)) this.reportedLost.delete(id);
  }

  /** Running tasks whose lease was taken over (this worker was paused or cut off past its lease). */
  private async reportLostLeases(owned: string[]): Promise<void> {
    const running = owned.filter((id) => this.holder.isRunning(id));
    if (running.length === 0) return;
    const still = new Set(await this.deps.store.leasedBy(this.holder.workerId));
    for (const id of running) {
      if (still.has(id) || !this.holder.isRunning(id) || this.reportedLost.has(id)) continue;
      this.reportedLost.add(id);
      this.deps.logger.warn({ task: id }, 'lease lost: this worker was silent past its lease and the task was recovered ' +
        'elsewhere; it finishes here but its outcome will not be written');
    }
  }

  /** Rows claimed for this worker that it never received (the claim's reply was lost): hand them back. */
  private async returnOrphans(epoch: number): Promise<void> {
    const leased = await this.deps.store.leasedBy(this.holder.workerId);
    const now = this.holder.claimState();
    if (now.inFlight || now.epoch !== epoch) return; // a claim ran meanwhile; look again next beat
    const owned = new Set(this.holder.ownedIds());
    const orphans = leased.filter((id) => !owned.has(id));
    this.orphansPossible = false;
    if (orphans.length === 0) return;
    this.deps.logger.warn({ tasks: orphans }, 'found tasks claimed for this worker whose claim reply was lost; handing them back');
    await this.holder.giveBack(orphans);
  }

  /** Fails (for a retry, or for good) PROGRESS tasks whose worker stopped renewing its lease. */
  async sweep(): Promise<void> {
    const { config, store, notifier, locks, logger } = this.deps;
    // A lease that ran out while the database was unreachable proves nothing: no worker could renew
    // it. Give live workers one lease time to renew before treating their tasks as lost.
    if (Date.now() - this.lastDbErrorAt < config.leaseMs) return;
    try {
      // The lock only spares duplicate work (failStale is fenced), so its TTL is short: a holder
      // that crashed mid-sweep must not delay recovery by more than a lease.
      await locks.tryRun('sweep', Math.max(config.leaseMs, 1000), async () => {
        const now = Date.now();
        const owned = new Set(this.holder.ownedIds());
        for (const stale of await store.findStale(now, STALE_SWEEP_LIMIT)) {
          // Our own task after a pause: still running here, and the heartbeat renews it.
          if (stale.lockedBy === this.holder.workerId && owned.has(stale.id)) continue;
          const retryable = stale.attempt < stale.maxRetries;
          const error = `WorkerLostError: worker ${stale.lockedBy} stopped renewing its lease (crashed, killed or stalled); ` +
            (retryable ? 'the task will be retried' : 'no retry left');
          // A lost worker is not the task's fault: its retry may start at once.
          if (!(await store.failStale(stale, now, error, retryable ? now : null))) continue;
          logger.warn({ task: stale.id, lostWorker: stale.lockedBy, retryable }, 'recovered a task from a lost worker');
          notifier.publish(retryable ? 'requeued' : 'failed', { id: stale.id, runAt: retryable ? now : null });
          if (retryable) this.holder.wake();
        }
      });
    } catch (error) {
      this.noteDatabaseError(error);
      logger.debug({ err: (error as Error).message }, 'stale-lease sweep failed; next round will retry');
    }
  }
}
