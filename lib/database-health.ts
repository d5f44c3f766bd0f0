// When the database last failed us. A lease that ran out while the database was unreachable proves
// nothing (no worker could renew it), so the sweep waits a lease time after the last failure.
import type { ErrorKind } from './db/dialect';

export class DatabaseHealth {
  private lastErrorAt = -Infinity;

  constructor(private readonly classify: (error: unknown) => ErrorKind) {}

  /** A failed database call. A lock conflict (deadlock) is not an outage and does not count. */
  noteError(error?: unknown): void {
    if (error !== undefined && this.classify(error) === 'conflict') return;
    this.lastErrorAt = Date.now();
  }

  isConflict(error: unknown): boolean {
    return this.classify(error) === 'conflict';
  }

  /** True when a database call failed within the last `ms` milliseconds. */
  failedWithin(ms: number): boolean {
    return Date.now() - this.lastErrorAt < ms;
  }
}
