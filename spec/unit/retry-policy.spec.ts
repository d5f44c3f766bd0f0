// Retry delays: exponential from the base, capped, with half of each delay random.
import { expect } from 'chai';
import { retryDelayMs } from '../../lib/retry-policy';

describe('retry backoff', () => {
  it('doubles per retry between half and all of base * 2^(n-1)', () => {
    for (const n of [1, 2, 3, 4, 5]) {
      const full = 1000 * 2 ** (n - 1);
      expect(retryDelayMs(n, 1000, 3_600_000, () => 0)).to.equal(full / 2);
      expect(retryDelayMs(n, 1000, 3_600_000, () => 1)).to.equal(full);
    }
  });

  it('never exceeds the cap', () => {
    expect(retryDelayMs(40, 1000, 60_000, () => 1)).to.equal(60_000);
    expect(retryDelayMs(40, 1000, 60_000, () => 0)).to.equal(30_000);
  });
});
