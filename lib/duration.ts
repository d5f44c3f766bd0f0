// Durations written the way operators write them: '30s', '5m', '12h', '7d', '2w', '500ms', or
// combined like '1d12h'; 'min' is minutes too. Shared by schedules (`every`, `catchUp`) and tw-admin
// (`--older-than`, which refuses a bare 'm': see cli/admin-args.ts).

const UNITS: Record<string, number> = { ms: 1, s: 1000, min: 60_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const WHOLE = /^\s*((?:\d+(?:\.\d+)?(?:ms|min|s|m|h|d|w)\s*)+)$/;

/** Milliseconds, or null when `text` is not a duration. */
export function parseDuration(text: string): number | null {
  if (typeof text !== 'string' || !WHOLE.test(text)) return null;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|min|s|m|h|d|w)/g)) total += Number(amount) * UNITS[unit];
  return total;
}

/** Longest age to purge by: 100 years (the cutoff must be a date; every finished task is younger). */
export const MAX_PURGE_AGE_MS = 36_500 * 86_400_000;

/** The forms to suggest: 'min' rather than 'm', which tw-admin refuses as ambiguous (minutes or months?). */
export const DURATION_HINT = 'a number and a unit (ms, s, min, h, d, w), e.g. 30s, 12h or 1d12h';

/** Milliseconds as the shortest duration text that reads back the same: 90 min -> '1h30m'. */
export function formatDuration(ms: number): string {
  let left = ms;
  let text = '';
  for (const unit of ['w', 'd', 'h', 'm', 's', 'ms']) {
    const size = UNITS[unit];
    if (left >= size) {
      const amount = Math.floor(left / size);
      text += `${amount}${unit}`;
      left -= amount * size;
    }
  }
  return text || '0s';
}

/**
 * Why `text` is not an age to purge by, or undefined when it is one: a purge deletes, so a bare 'm'
 * (minutes or months?) is refused with the two spellings that say which, as tw-admin and the
 * dashboard both do. Schedules take 'm' as minutes.
 */
export function purgeAgeProblem(text: string): string | undefined {
  const ms = parseDuration(text);
  if (ms === null) return `"${text}" is not a duration; use ${DURATION_HINT}`;
  // Older than 100 years takes every finished task there can be; a longer age has no cutoff date.
  if (ms > MAX_PURGE_AGE_MS) return `"${text}" is longer than 100 years (36500d); use 36500d or less`;
  if (/\d(?:\.\d+)?m(?!s|in)/.test(text)) {
    return `"${text}" is ambiguous: "m" could be minutes or months; write min for minutes (e.g. 30min) or days for months (e.g. 30d)`;
  }
  return undefined;
}
