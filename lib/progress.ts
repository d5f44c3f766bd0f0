// A task's progress: what currentTask().progress(percent, info?) accepts, how it is stored (JSON
// text { percent, info, at }) and read back, and the coalescer that keeps only the latest report
// and passes it on at most once per interval (in a pool thread, towards the worker).
import { ValidationError } from './errors';
import { findNonJson, isPlainObject } from './json';
import type { JsonObject } from './types';

/** Longest `info` (as JSON text): progress is a status line, not a result. */
export const MAX_PROGRESS_INFO_CHARS = 4000;

/** What a handler reports. */
export interface ProgressReport {
  /** 0 to 100. */
  percent: number;
  /** A small JSON object (e.g. { step: 'upload', done: 40, of: 120 }); null when none was given. */
  info: JsonObject | null;
}

/** The latest progress of a task, as `task.progress` and `onProgress` listeners see it. */
export interface TaskProgress extends ProgressReport {
  /** When the handler reported it. */
  at: Date;
}

/** A checked report; throws ValidationError for a bad percent or info. */
export function checkProgress(percent: unknown, info: unknown): ProgressReport {
  if (typeof percent !== 'number' || !Number.isFinite(percent) || percent < 0 || percent > 100) {
    throw new ValidationError(`progress: percent must be a number from 0 to 100; got ${String(percent)}`);
  }
  if (info === undefined || info === null) return { percent, info: null };
  if (!isPlainObject(info)) throw new ValidationError('progress: info must be a plain JSON object like { step: "upload" }');
  const problem = findNonJson(info, 'info');
  if (problem) throw new ValidationError(`progress: info must be plain JSON; ${problem}`);
  const size = JSON.stringify(info).length;
  if (size > MAX_PROGRESS_INFO_CHARS) {
    throw new ValidationError(`progress: info is ${size} characters of JSON; at most ${MAX_PROGRESS_INFO_CHARS} (keep results for the return value)`);
  }
  return { percent, info: info as JsonObject };
}

/** The stored JSON text of a report made at `at` (epoch ms). */
export function progressText(report: ProgressReport, at: number): string {
  return JSON.stringify(report.info === null ? { percent: report.percent, at } : { percent: report.percent, info: report.info, at });
}

/** Reads stored or published progress; null when it is absent or not of the stored shape. */
export function parseProgress(value: unknown): TaskProgress | null {
  let data: unknown = value;
  if (typeof value === 'string') {
    try {
      data = JSON.parse(value);
    } catch {
      return null;
    }
  }
  if (!isPlainObject(data)) return null;
  const { percent, info, at } = data as { percent?: unknown; info?: unknown; at?: unknown };
  if (typeof percent !== 'number' || !(percent >= 0 && percent <= 100)) return null;
  if (typeof at !== 'number' || !Number.isFinite(at)) return null;
  if (info !== undefined && info !== null && !isPlainObject(info)) return null;
  return { percent, info: (info ?? null) as JsonObject | null, at: new Date(at) };
}

/** Receives a task's progress: the latest report and when it was made (epoch ms). */
export type ProgressSink = (report: ProgressReport, at: number) => void;

/**
 * Keeps the latest report and hands it to `send` at most once per `intervalMs`: a handler may report
 * 10,000 times a second, its receiver hears a few times a second. flush() sends what is pending now.
 */
export class ProgressCoalescer {
  private pending: { report: ProgressReport; at: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastSentAt = -Infinity;

  constructor(private readonly intervalMs: number, private readonly send: ProgressSink) {}

  readonly report: ProgressSink = (report, at) => {
    this.pending = { report, at };
    if (this.timer) return;
    const wait = this.lastSentAt + this.intervalMs - Date.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  };

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    this.lastSentAt = Date.now();
    this.send(pending.report, pending.at);
  }
}
