// The waits of one client's waitForCompletion calls, shared: one subscription to the finished and
// failed channels for all of them, and one polling timer that asks the database about every waited
// task in one query (by ids, 500 a statement) instead of one query per waiter per poll interval.
// Polling is the safety net for a lost message: while Redis delivers messages from other processes
// it runs every LIVE_POLL_MS; without Redis, or while it is down, every poll interval; and once at
// once when Redis comes back, as messages sent meanwhile were lost.
import type { Notifier, TaskEvent } from './notifier/notifier';
import type { TaskStore } from './store/task-store';

/** With Redis delivering, how often the waited tasks are still read from the database. */
export const LIVE_POLL_MS = 10_000;

type Wake = () => void;

export class CompletionWaits {
  private readonly waiters = new Map<string, Set<Wake>>();
  private subscription: Promise<Array<() => void>> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastPoll = 0;
  private wasLive = true;
  private polling = false;

  constructor(private readonly store: Pick<TaskStore, 'unfinished'>, private readonly notifier: Notifier, private readonly pollIntervalMs: number) {}

  /**
   * Calls `wake` whenever task `id` may have become final (a message, or a poll that found it
   * final or gone), until the returned remover is called. Resolves once the subscription is in effect.
   */
  async add(id: string, wake: Wake): Promise<() => void> {
    let set = this.waiters.get(id);
    if (!set) {
      set = new Set();
      this.waiters.set(id, set);
    }
    set.add(wake);
    this.subscription ??= this.subscribe();
    if (!this.timer) {
      // Each waiter reads its row first: the first poll is one interval (or LIVE_POLL_MS) away.
      this.lastPoll = Date.now();
      this.timer = setInterval(() => void this.tick(), this.pollIntervalMs);
    }
    await this.subscription;
    return () => this.remove(id, wake);
  }

  private subscribe(): Promise<Array<() => void>> {
    const onEvent = (event: TaskEvent) => {
      this.wake(event.id);
      for (const id of event.ids ?? []) if (id !== event.id) this.wake(id);
    };
    return Promise.all([this.notifier.subscribe('finished', onEvent), this.notifier.subscribe('failed', onEvent)]);
  }

  private wake(id: string): void {
    for (const wake of this.waiters.get(id) ?? []) wake();
  }

  private remove(id: string, wake: Wake): void {
    const set = this.waiters.get(id);
    if (!set) return;
    set.delete(wake);
    if (set.size === 0) this.waiters.delete(id);
    if (this.waiters.size > 0) return;
    // The last waiter left: nothing to listen for or poll.
    clearInterval(this.timer);
    this.timer = undefined;
    const subscription = this.subscription;
    this.subscription = undefined;
    void subscription?.then((removers) => removers.forEach((remove) => remove()), () => undefined);
  }

  /** Runs every poll interval; reads the database only when due (see the header). */
  private async tick(): Promise<void> {
    const live = this.notifier.live();
    const due = !live || !this.wasLive || Date.now() - this.lastPoll >= LIVE_POLL_MS;
    this.wasLive = live;
    if (!due || this.polling || this.waiters.size === 0) return;
    this.polling = true;
    this.lastPoll = Date.now();
    try {
      const ids = [...this.waiters.keys()];
      const open = await this.store.unfinished(ids);
      for (const id of ids) if (!open.has(id)) this.wake(id);
    } catch {
      // The database is unreachable: each waiter finds out when it reads its row; the next tick tries again.
    } finally {
      this.polling = false;
    }
  }
}
