// How tw-admin prints: aligned text for a terminal, or JSON for scripts (times as ISO-8601 UTC,
// the result parsed from its JSON text, `final` saying whether the task can still run again).
import type { DatabaseTask, PurgeResult, QueueInfo, QueueState, QueueStats, ScheduleInfo, TaskAttempt, TaskStats } from '../lib/index';

export interface TaskJson {
  id: string;
  name: string;
  status: string;
  final: boolean;
  queue: string;
  priority: number;
  args: unknown[];
  kwargs: Record<string, unknown>;
  result: unknown;
  error: string | null;
  errorCode: string | null;
  progress: { percent: number; info: Record<string, unknown> | null; at: string } | null;
  retryCount: number;
  maxRetries: number | null;
  timeout: number;
  createdAt: string | null;
  runAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  duration: number | null;
  lockedBy: string | null;
  leaseExpiresAt: string | null;
  uniqueKey: string | null;
  scheduleKey: string | null;
  scheduledFor: string | null;
  lastWorker: string | null;
  cancelRequested: string | null;
  /** Present when loaded (show, cancel --wait): every attempt, oldest first. */
  attempts?: AttemptJson[];
}

export interface AttemptJson {
  attempt: number;
  outcome: string;
  errorCode: string | null;
  error: string | null;
  worker: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  duration: number | null;
}

/**
 * ISO text of a stored time. A row written before run times were bounded may hold one no Date can
 * print (e.g. a delay of 1e15 s on SQLite): it shows as 'invalid date', and the listing goes on.
 */
function iso(date: Date | null | undefined): string | null {
  if (!date) return null;
  return Number.isNaN(date.getTime()) ? 'invalid date' : date.toISOString();
}

function attemptJson(a: TaskAttempt): AttemptJson {
  return { ...a, startedAt: iso(a.startedAt), finishedAt: iso(a.finishedAt) };
}

export function taskJson(task: DatabaseTask): TaskJson {
  const progress = task.progress;
  return {
    id: task.id, name: task.name, status: task.status, final: task.isFinal, queue: task.queue, priority: task.priority,
    args: task.args, kwargs: task.kwargs, result: task.resultValue ?? null, error: task.error, errorCode: task.errorCode ?? null,
    progress: progress ? { percent: progress.percent, info: progress.info, at: progress.at.toISOString() } : null,
    retryCount: task.retryCount, maxRetries: task.maxRetries, timeout: task.timeout, createdAt: iso(task.createdAt), runAt: iso(task.runAt),
    startedAt: iso(task.startedAt), finishedAt: iso(task.finishedAt), duration: task.duration, lockedBy: task.lockedBy,
    leaseExpiresAt: iso(task.leaseExpiresAt), uniqueKey: task.uniqueKey ?? null, scheduleKey: task.scheduleKey ?? null,
    scheduledFor: iso(task.scheduledFor), lastWorker: task.lastWorker ?? null, cancelRequested: task.cancelRequested ?? null,
    ...(task.attempts ? { attempts: task.attempts.map(attemptJson) } : {}),
  };
}

/** 'FAILED (retry 12:00:05)' for a failed task that will run again. */
function statusText(task: DatabaseTask): string {
  if (task.status === 'FAILED' && !task.isFinal && task.runAt) return `FAILED (retry ${time(task.runAt)})`;
  return task.status;
}

/** 'YYYY-MM-DD HH:MM:SS' in UTC, or '-'. */
function time(date: Date | null): string {
  return date ? iso(date)!.replace('T', ' ').slice(0, 19) : '-';
}

function seconds(value: number | null): string {
  if (value === null) return '-';
  return value < 10 ? `${value.toFixed(3)}s` : `${value.toFixed(1)}s`;
}

function attempts(task: DatabaseTask): string {
  return `${task.retryCount}/${task.maxRetries ?? '-'}`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function listText(tasks: DatabaseTask[]): string {
  if (tasks.length === 0) return 'no tasks match';
  return table(['ID', 'NAME', 'STATUS', 'QUEUE', 'RETRIES', 'CREATED (UTC)', 'DURATION'],
    tasks.map((t) => [t.id, t.name, statusText(t), t.queue, attempts(t), time(t.createdAt), seconds(t.duration)]));
}

function indent(text: string, by: string): string {
  return text.split('\n').join(`\n${by}`);
}

function progressText(task: DatabaseTask): string {
  const p = task.progress;
  if (!p) return '-';
  return `${p.percent}%${p.info ? ` ${JSON.stringify(p.info)}` : ''}  (at ${time(p.at)})`;
}

/** The first line of an error, cut to fit a table cell. */
function firstLine(text: string | null, max = 60): string {
  if (text === null) return '-';
  const line = text.split('\n')[0];
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

function attemptsText(attempts: TaskAttempt[]): string {
  if (attempts.length === 0) return '-';
  return table(['#', 'OUTCOME', 'CODE', 'WORKER', 'STARTED (UTC)', 'DURATION', 'ERROR'],
    attempts.map((a) => [String(a.attempt), a.outcome, a.errorCode ?? '-', a.worker ?? '-', time(a.startedAt), seconds(a.duration), firstLine(a.error)]));
}

export function showText(task: DatabaseTask): string {
  const json = (value: unknown) => JSON.stringify(value);
  const rows: Array<[string, string]> = [
    ['id', task.id],
    ['name', task.name],
    ['status', `${statusText(task)}${task.isFinal ? ' (final)' : ''}`],
    ['queue', `${task.queue}  (priority ${task.priority})`],
    ['args', json(task.args)],
    ['kwargs', json(task.kwargs)],
    ['progress', progressText(task)],
    ['retries', `${task.retryCount} of ${task.maxRetries ?? "the worker's --retry"}`],
    ['timeout', `${task.timeout}s`],
    ['created', time(task.createdAt)],
    ['run at', time(task.runAt)],
    ['started', time(task.startedAt)],
    ['finished', time(task.finishedAt)],
    ['duration', seconds(task.duration)],
    ...(task.uniqueKey ? [['unique key', task.uniqueKey] as [string, string]] : []),
    ...(task.scheduleKey ? [['schedule', `${task.scheduleKey}, fire time ${time(task.scheduledFor)}`] as [string, string]] : []),
    ['locked by', task.lockedBy ? `${task.lockedBy} until ${time(task.leaseExpiresAt)}` : '-'],
    ...(task.cancelRequested ? [['cancelling', `requested: ${task.cancelRequested}`] as [string, string]] : []),
    ['result', task.result === null ? '-' : json(task.resultValue)],
    ['error', task.error === null ? '-' : indent(`${task.errorCode ? `[${task.errorCode}] ` : ''}${task.error}`, ' '.repeat(11))],
  ];
  const text = rows.map(([key, value]) => `${key.padEnd(10)} ${value}`).join('\n');
  return task.attempts ? `${text}\n\nattempts (oldest first; the last 20 failed ones are kept)\n${attemptsText(task.attempts)}` : text;
}

export function cancelText(task: DatabaseTask): string {
  if (task.status === 'PROGRESS' && task.cancelRequested) {
    return `cancelling ${task.id} (${task.name}): it is running on ${task.lockedBy ?? 'a worker'}, which stops it ` +
      '(at once with Redis, else within a heartbeat); it then ends FAILED with a CancelledError';
  }
  return changedText('cancelled', task);
}

export function queueJson(queue: QueueState | QueueInfo): Record<string, unknown> {
  return { ...queue, pausedAt: iso(queue.pausedAt) };
}

export function queuesText(queues: QueueInfo[]): string {
  if (queues.length === 0) return 'no queues';
  return table(['QUEUE', 'STATE', 'PENDING', 'PROGRESS', 'RETRYING', 'OLDEST WAITING', 'PAUSED SINCE (UTC)'],
    queues.map((q) => [q.name, q.paused ? 'paused' : 'running', String(q.stats.PENDING), String(q.stats.PROGRESS), String(q.stats.retrying),
      q.stats.oldestReadyAgeSeconds === null ? '-' : seconds(q.stats.oldestReadyAgeSeconds), time(q.pausedAt)]));
}

export function queueChangedText(queue: QueueState): string {
  return queue.paused
    ? `paused queue ${queue.name} (since ${time(queue.pausedAt)} UTC): workers claim none of its tasks; running ones finish`
    : `resumed queue ${queue.name}: workers claim its tasks again`;
}

export function changedText(verb: string, task: DatabaseTask): string {
  return `${verb} ${task.id} (${task.name}): now ${statusText(task)}`;
}

export function purgeText(result: PurgeResult, olderThan: string): string {
  const verb = result.dryRun ? 'would delete' : 'deleted';
  return `${verb} ${result.completed + result.failed} finished tasks older than ${olderThan} ` +
    `(finished before ${time(result.cutoff)} UTC): ${result.completed} COMPLETED, ${result.failed} FAILED`;
}

const STAT_COLUMNS: Array<keyof QueueStats> = ['PENDING', 'PROGRESS', 'COMPLETED', 'FAILED', 'retrying'];

export function statsText(stats: TaskStats): string {
  const queues = Object.keys(stats.queues).sort();
  if (queues.length === 0) return 'no tasks';
  const row = (name: string, s: QueueStats) => [name, ...STAT_COLUMNS.map((c) => String(s[c])), s.oldestReadyAgeSeconds === null ? '-' : seconds(s.oldestReadyAgeSeconds)];
  return table(['QUEUE', 'PENDING', 'PROGRESS', 'COMPLETED', 'FAILED', 'RETRYING', 'OLDEST WAITING'],
    [...queues.map((q) => row(q, stats.queues[q])), row('(all)', stats.total)]);
}

/** A schedule for --json: times as ISO-8601 UTC. */
export function scheduleJson(s: ScheduleInfo): Record<string, unknown> {
  return { ...s, nextFireAt: iso(s.nextFireAt), lastFireAt: iso(s.lastFireAt) };
}

function lastRunText(s: ScheduleInfo): string {
  if (s.lastTaskId === null) return '-';
  if (s.lastTaskStatus === null) return 'purged';
  return s.lastTaskRetrying ? 'FAILED (retrying)' : s.lastTaskStatus;
}

export function schedulesText(schedules: ScheduleInfo[]): string {
  if (schedules.length === 0) return 'no schedules';
  return table(['KEY', 'TASK', 'WHEN', 'ZONE', 'NEXT FIRE (UTC)', 'LAST FIRE (UTC)', 'LAST TASK', 'PAUSED', 'SOURCE'],
    schedules.map((s) => [s.key, s.task, s.cron ?? `every ${s.every}`, s.every ? '-' : s.timezone, time(s.nextFireAt), time(s.lastFireAt),
      lastRunText(s), s.paused ? 'yes' : 'no', s.source]));
}

export function scheduleChangedText(verb: string, s: ScheduleInfo): string {
  return `${verb} schedule ${s.key} (${s.task}): ${s.paused ? 'paused' : `next fire ${time(s.nextFireAt)} UTC`}`;
}
