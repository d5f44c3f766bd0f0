// Collects handler-run reports from worker processes and checks exactly-once delivery:
// every key k0..k(N-1) must be seen once, no duplicates, no unknown keys.
'use strict';

class Collector {
  constructor(n) {
    this.n = n;
    this.seen = new Uint32Array(n);
    this.distinct = 0;
    this.total = 0;
    this.duplicates = 0;
    this.unknown = 0;
    this.maxEnd = 0;
    this.minStart = Infinity;
    /** End time of each key's first run, for the steady-state rate. */
    this.ends = new Float64Array(n);
    this.latencies = [];
    this.failures = [];
    this.waiters = [];
  }

  add(items) {
    for (const [key, start, end, lat] of items) {
      this.total++;
      const i = typeof key === 'string' && key[0] === 'k' ? Number(key.slice(1)) : NaN;
      if (!Number.isInteger(i) || i < 0 || i >= this.n) {
        this.unknown++;
        continue;
      }
      if (this.seen[i]++ === 0) {
        this.distinct++;
        this.ends[i] = end;
      } else this.duplicates++;
      if (end > this.maxEnd) this.maxEnd = end;
      if (start < this.minStart) this.minStart = start;
      if (lat != null) this.latencies.push(lat);
    }
    this.waiters = this.waiters.filter((w) => (this.distinct >= w.n ? (w.resolve(), false) : true));
  }

  fail(msg) {
    this.failures.push(msg);
    for (const w of this.waiters) w.reject(new Error(msg));
    this.waiters = [];
  }

  // Resolves once `n` distinct keys have been reported; rejects on timeout or worker error.
  waitFor(n, timeoutMs) {
    if (this.distinct >= n) return Promise.resolve();
    if (this.failures.length) return Promise.reject(new Error(this.failures[0]));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        reject(new Error(`timeout after ${timeoutMs} ms: ${this.distinct}/${n} tasks ran`));
      }, timeoutMs);
      this.waiters.push({
        n,
        resolve: () => (clearTimeout(t), resolve()),
        reject: (e) => (clearTimeout(t), reject(e)),
      });
    });
  }

  /**
   * Tasks per second between the 10th and the 90th percentile of the end times: the rate once the
   * worker is up and before the tail, without start-up or the last stragglers.
   */
  steadyRate() {
    const ends = Array.from(this.ends).filter((e) => e > 0).sort((a, b) => a - b);
    if (ends.length < 10) return null;
    const lo = Math.floor(ends.length * 0.1);
    const hi = Math.floor(ends.length * 0.9);
    const ms = ends[hi] - ends[lo];
    return ms > 0 ? ((hi - lo) / ms) * 1000 : null;
  }

  check() {
    const missing = this.n - this.distinct;
    const ok = missing === 0 && this.duplicates === 0 && this.unknown === 0 && !this.failures.length;
    return { ok, expected: this.n, ran: this.total, distinct: this.distinct, missing, duplicates: this.duplicates, unknown: this.unknown, failures: this.failures.slice(0, 5) };
  }
}

module.exports = { Collector };
