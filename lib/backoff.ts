// Retry delays: exponential (base * 2^(n-1) for the n-th retry, as the seed's 2^k seconds), capped,
// with "equal jitter" (half fixed, half random) so retries of a burst of failures spread out.

export function retryDelayMs(retryNumber: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(capMs, baseMs * 2 ** Math.max(0, retryNumber - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
