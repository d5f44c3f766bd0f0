// Retry delays: exponential from the base, capped, with half of each delay random.
import { expect } from 'chai';
import { retryAt, retryDelayMs } from '../../lib/retry-policy';

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

describe('retry policy', () => {
  const settings = { retry: 3, backoffBaseMs: 1000, backoffCapMs: 60_000 };

  it('retries a failure while the budget lasts; a lost worker at once', () => {
    expect(retryAt(settings, { attempt: 0, maxRetries: null }, 'failed', 10_000)).to.be.within(10_500, 11_000);
    expect(retryAt(settings, { attempt: 0, maxRetries: null }, 'lost', 10_000)).to.equal(10_000);
    expect(retryAt(settings, { attempt: 3, maxRetries: null }, 'failed', 10_000)).to.equal(null);
    expect(retryAt(settings, { attempt: 1, maxRetries: 1 }, 'lost', 10_000)).to.equal(null);
  });

  it('never retries a permanent failure (PermanentError, a cancel), whatever the budget', () => {
    expect(retryAt(settings, { attempt: 0, maxRetries: 10 }, 'permanent', 10_000)).to.equal(null);
  });
});
