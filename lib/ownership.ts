// What a worker holds, as plain data: the tasks it runs, the ones it claimed ahead (prefetched),
// the ones whose outcome it is still writing, and the state of its claims. The worker loop writes
// it; the lease keeper reads it to know which leases to renew and which rows are orphans.
import type { TaskRecord } from './types';

export interface RunningTask {
  record: TaskRecord;
  /** Resolves once the run has ended (its outcome is then being written, or it was given back). */
  done: Promise<void>;
}

export class Ownership {
  readonly running = new Map<string, RunningTask>();
  /** Claimed (leased) tasks waiting for a free slot, in claim order. */
  readonly prefetched: TaskRecord[] = [];
  /** Tasks whose outcome is being written: their leases are renewed until it lands. */
  readonly settling = new Set<string>();
  /** Claims started so far; a claim running now has rows that are not owned here yet. */
  claimEpoch = 0;
  claimInFlight = false;
  /** Set when a claim failed: it may have committed rows for this worker whose reply was lost. */
  orphansPossible = false;

  constructor(readonly workerId: string) {}

  /** Every task whose lease must stay alive. */
  ownedIds(): string[] {
    return [...this.running.keys(), ...this.prefetched.map((r) => r.id), ...this.settling];
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
  }
}
