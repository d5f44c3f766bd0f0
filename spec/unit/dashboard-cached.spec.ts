// The dashboard's shared query results (lib/dashboard/cached.ts): one computation at a time for every
// open page, reused while young, refreshed less often the longer it takes, stale served while the
// fresh one is computed.
import { expect } from 'chai';
import { Cached } from '../../lib/dashboard/cached';

describe('dashboard Cached value', () => {
  it('computes once for concurrent callers and reuses the value while it is younger than max(floor, factor × duration)', async () => {
    let calls = 0;
    const cached = new Cached(async () => ++calls, 1000, 10);
    expect(await Promise.all([cached.get(0), cached.get(0), cached.get(0)])).to.deep.equal([1, 1, 1]);
    const at = cached.computedAt!;
    expect(await cached.get(at + 999)).to.equal(1);
    expect(calls).to.equal(1);
  });

  it('serves the stale value at once while it computes a fresh one; a slow query is refreshed less often', async () => {
    let calls = 0;
    let release: () => void = () => undefined;
    const cached = new Cached(() => {
      calls++;
      return calls === 1 ? Promise.resolve(1) : new Promise<number>((resolve) => (release = () => resolve(calls)));
    }, 10, 10);
    await cached.get();
    const at = cached.computedAt!;
    expect(await cached.get(at + 60_000), 'stale, while the refresh runs').to.equal(1);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(await cached.get(cached.computedAt!)).to.equal(2);

    let slowCalls = 0;
    const slow = new Cached(async () => {
      slowCalls++;
      await new Promise((resolve) => setTimeout(resolve, 30));
      return slowCalls;
    }, 10, 10);
    await slow.get();
    expect(await slow.get(slow.computedAt! + 200), '30 ms × 10 = reused for 300 ms').to.equal(1);
    expect(slowCalls).to.equal(1);
  });

  it('a failed first computation reaches the caller; the next call tries again', async () => {
    let fail = true;
    const cached = new Cached(async () => {
      if (fail) throw new Error('database down');
      return 'ok';
    }, 1000, 1);
    expect(await cached.get().catch((e: Error) => e.message)).to.equal('database down');
    fail = false;
    expect(await cached.get()).to.equal('ok');
  });
});
