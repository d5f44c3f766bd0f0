// When a failed attempt runs again, decided here only: by the task's own maxRetries (else the
// worker's --retry), after an exponential backoff (base * 2^(n-1) for the n-th retry, as the seed's
// 2^k seconds), capped, with "equal jitter" (half fixed, half random) so a burst of failures spreads
// out. A task whose worker was lost is not at fault: its retry may start at once. A permanent
// failure (the handler threw a PermanentError, an operator cancelled the run) is never retried.
import type { ResolvedConfig } from './config';

export type RetrySettings = Pick<ResolvedConfig, 'retry' | 'backoffBaseMs' | 'backoffCapMs'>;

/**
 * Why an attempt ended without a result: the handler failed (error, timeout, crash), its worker was
 * lost, or it failed permanently (PermanentError, a cancel).
 */
export type FailureCause = 'failed' | 'lost' | 'permanent';

export function retryDelayMs(retryNumber: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(capMs, baseMs * 2 ** Math.max(0, retryNumber - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

/**
 * When the task may run again after attempt `attempt` (0 for the first) ended at `endedAt`, or
 * null when no retry is left: `maxRetries` retries follow the first attempt.
 */
export function retryAt(settings: RetrySettings, task: { attempt: number; maxRetries: number | null }, cause: FailureCause, endedAt: number): number | null {
  const maxRetries = task.maxRetries ?? settings.retry;
  if (cause === 'permanent' || task.attempt >= maxRetries) return null;
  if (cause === 'lost') return endedAt;
  return endedAt + retryDelayMs(task.attempt + 1, settings.backoffBaseMs, settings.backoffCapMs);
}
