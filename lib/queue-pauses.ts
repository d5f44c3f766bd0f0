// Which queues are paused, as a worker knows it: read from tw_queues before its first claim, again at
// every poll interval, and at once when Redis carries a 'queues' hint. The claim then leaves out the
// paused queues: a worker with --queue claims only from those of its queues that run (nothing when
// all are paused), any other one claims with the paused queues excluded. Running tasks are untouched.
import type { Logger } from 'pino';
import type { QueueStatements } from './store/queue-statements';

export interface QueueFilter {
  queues: readonly string[];
  excludeQueues: readonly string[];
}

export class QueuePauses {
  private paused: ReadonlySet<string> = new Set();
  private read = false;

  constructor(private readonly store: { readonly queues: Pick<QueueStatements, 'paused'> }, private readonly logger: Logger) {}

  /** True once the paused queues were read: no claim before that (a restart must not forget a pause). */
  get loaded(): boolean {
    return this.read;
  }

  /** Reads the paused queues; resolves whether a queue was resumed (the loop may find work), false on failure. */
  async refresh(): Promise<boolean> {
    let names: string[];
    try {
      names = await this.store.queues.paused();
    } catch (error) {
      this.logger.debug({ err: (error as Error).message }, 'could not read the paused queues; keeping the last known ones');
      return false;
    }
    const before = this.paused;
    const now = new Set(names);
    const resumed = [...before].some((q) => !now.has(q));
    if (resumed || names.some((q) => !before.has(q))) {
      this.logger.info({ paused: names.sort() }, names.length > 0 ? 'paused queues changed: not claiming from these' : 'no queue is paused');
    }
    this.paused = now;
    this.read = true;
    return resumed;
  }

  /** The queue filter of a claim by a worker taking `queues` (empty: all); null when all it may take are paused. */
  claimFilter(queues: readonly string[]): QueueFilter | null {
    if (this.paused.size === 0) return { queues, excludeQueues: [] };
    if (queues.length > 0) {
      const open = queues.filter((q) => !this.paused.has(q));
      return open.length > 0 ? { queues: open, excludeQueues: [] } : null;
    }
    return { queues, excludeQueues: [...this.paused] };
  }
}
