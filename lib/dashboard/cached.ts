// A value computed by a query, shared by every open page: computed at most once at a time, and
// reused while it is younger than max(floor, factor × the time it took). An expensive count on a big
// table is thus refreshed less often, and the dashboard's load on the database stays a small,
// bounded share however many pages are open. A stale value is returned at once while a fresh one
// is computed (the first caller waits).
export class Cached<T> {
  private value: { data: T; at: number; tookMs: number } | undefined;
  private running: Promise<T> | undefined;

  constructor(private readonly compute: () => Promise<T>, private readonly floorMs: number, private readonly factor: number) {}

  /** When the value returned last was computed; null before the first. */
  get computedAt(): number | null {
    return this.value?.at ?? null;
  }

  get(now = Date.now()): Promise<T> {
    const value = this.value;
    if (value && now - value.at < Math.max(this.floorMs, this.factor * value.tookMs)) return Promise.resolve(value.data);
    const refresh = this.refresh();
    return value ? Promise.resolve(value.data) : refresh;
  }

  private refresh(): Promise<T> {
    this.running ??= (async () => {
      const started = Date.now();
      try {
        const data = await this.compute();
        this.value = { data, at: started, tookMs: Date.now() - started };
        return data;
      } finally {
        this.running = undefined;
      }
    })();
    // A background refresh that fails is seen by the next caller that has to wait.
    this.running.catch(() => undefined);
    return this.running;
  }
}
