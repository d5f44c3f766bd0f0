// How times, ages, durations, counts and task states read on the page. Times are the browser's
// local time; a title gives the UTC time. A state is an icon and a word, not only a colour.
import type { TaskState } from './api-types.js';

const pad = (n: number) => String(n).padStart(2, '0');

/** 'YYYY-MM-DD HH:MM:SS' in local time, or '–'. */
export function time(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function isoUtc(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '' : new Date(ms).toISOString();
}

/** A length of time in milliseconds, coarse: '12 s', '3 min', '2 h 5 min', '4 d'. */
export function span(ms: number): string {
  const s = Math.abs(ms) / 1000;
  if (s < 1) return `${Math.round(Math.abs(ms))} ms`;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = s / 60;
  if (m < 60) return `${Math.floor(m)} min${Math.round(s % 60) && m < 10 ? ` ${Math.round(s % 60)} s` : ''}`;
  const h = m / 60;
  if (h < 48) return `${Math.floor(h)} h${Math.round(m % 60) ? ` ${Math.round(m % 60)} min` : ''}`;
  return `${Math.floor(h / 24)} d`;
}

/** '5 s ago' or 'in 3 min'. */
export function ago(ms: number | null | undefined, now: number): string {
  if (ms === null || ms === undefined) return '';
  const diff = now - ms;
  if (Math.abs(diff) < 1000) return 'now';
  return diff >= 0 ? `${span(diff)} ago` : `in ${span(diff)}`;
}

/** A task's duration in seconds: '12 ms', '3.40 s', '2 min 5 s'. */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(2)} s`;
  return span(seconds * 1000);
}

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : n.toLocaleString('en-US');
}

/** '1 task', '2 tasks'. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

export const STATES: Record<TaskState, { icon: string; label: string }> = {
  PENDING: { icon: '\u25F7', label: 'pending' },
  PROGRESS: { icon: '\u25B6', label: 'running' },
  COMPLETED: { icon: '\u2713', label: 'completed' },
  FAILED: { icon: '\u2715', label: 'failed' },
  RETRYING: { icon: '\u21BB', label: 'retrying' },
};
