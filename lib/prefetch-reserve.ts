// How many claimed tasks a worker keeps ready beyond its running ones (its reserve). A fixed
// `prefetch: n` keeps n. The default, 'auto', keeps about what its slots will start within
// AUTO_WAIT_MS, from the average run time of its recent tasks: hundreds of short tasks (a claim
// is then one statement for many, and a freed slot starts the next without a round trip), none
// for tasks of a second or more, so that slow tasks stay in the table for any worker to take.
// A claimed task never waits long behind slow ones either way: see Worker.giveBackStale().

/** How long a task kept in reserve should wait for a slot, about (auto). */
export const AUTO_WAIT_MS = 100;
/** The largest reserve 'auto' keeps. */
export const AUTO_MAX = 500;
/** The run time assumed before any task has run: a reserve of about one task per slot. */
const FIRST_GUESS_MS = AUTO_WAIT_MS;
/** Weight of the newest run time in the average: it follows a change of workload within tens of tasks. */
const NEWEST_WEIGHT = 0.2;

export class PrefetchReserve {
  private averageRunMs = FIRST_GUESS_MS;

  constructor(
    private readonly concurrency: number,
    /** 'auto', or a fixed reserve. */
    private readonly setting: number | 'auto',
  ) {}

  /** Tasks to keep claimed beyond the running ones, now. */
  get size(): number {
    if (this.setting !== 'auto') return this.setting;
    const fits = Math.floor((this.concurrency * AUTO_WAIT_MS) / Math.max(this.averageRunMs, 0.001));
    return Math.min(AUTO_MAX, fits);
  }

  /** A task ran for `ms` (handler time). */
  observe(ms: number): void {
    this.averageRunMs += (ms - this.averageRunMs) * NEWEST_WEIGHT;
  }

  /**
   * Reserved tasks waited `ms` for a slot: the runs now are at least that slow, whatever the
   * finished ones said (the slow ones have not finished). Keeps the reserve from claiming again
   * what was just given back.
   */
  waitedFor(ms: number): void {
    this.averageRunMs = Math.max(this.averageRunMs, ms);
  }
}
