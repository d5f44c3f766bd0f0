// One task: its state and the actions it allows (retry a failed task, cancel one that is waiting or
// running), then its sections in order: facts (queue, retries, timeout, duration, lease holder),
// its progress, the timeline, its origin (the schedule and fire time that made it, its unique key),
// the full error with its stack, every attempt, the result, the arguments. A section is one entry
// of TASK_SECTIONS.
import { ApiError, getJson, postJson } from '../api.js';
import type { ActionResultJson, AttemptJson, JsonText, TaskDetailJson } from '../api-types.js';
import { fill, h, on, type Child } from '../dom.js';
import { ago, duration, isoUtc, span, time } from '../format.js';
import { href } from '../router.js';
import { badge, confirmDialog, empty, toast } from '../widgets.js';
import { Loader, type ViewFactory } from './view.js';

export interface TaskSection {
  id: string;
  title: string;
  /** The section's content, or null to leave it out for this task. */
  render(task: TaskDetailJson, now: number): Child | null;
}

function jsonBlock(value: JsonText, cls = ''): HTMLElement {
  return h('div', null, h('pre', { class: cls }, value.text),
    value.truncated ? h('p', { class: 'small muted' }, 'Cut at 256 KiB: tw-admin show prints it whole.') : null);
}

function when(ms: number | null, now: number): Child {
  return ms === null ? h('span', { class: 'muted' }, '–') : [h('span', { title: isoUtc(ms) }, time(ms)), h('span', { class: 'sub muted small' }, ` ${ago(ms, now)}`)];
}

function facts(rows: Array<[string, Child]>): HTMLElement {
  return h('dl', { class: 'facts' }, rows.flatMap(([term, value]) => [h('dt', null, term), h('dd', null, value)]));
}

function statusText(task: TaskDetailJson, now: number): string {
  if (task.state === 'RETRYING') return `failed; retry ${task.runAt !== null && task.runAt <= now ? 'due now' : `at ${time(task.runAt)}`}`;
  if (task.state === 'FAILED') return 'failed for good: it will not run again unless retried';
  if (task.state === 'PENDING') return task.runAt !== null && task.runAt > now ? `waiting until ${time(task.runAt)}` : 'waiting for a worker';
  if (task.state === 'PROGRESS') return task.cancelRequested ? 'running; cancel requested, its worker is stopping it' : 'running';
  return 'completed';
}

function attemptItem(a: AttemptJson, now: number): HTMLElement {
  const head = [`Attempt ${a.attempt + 1}: ${a.outcome}`, a.errorCode ? ` · ${a.errorCode}` : '', a.duration === null ? '' : ` · ran ${duration(a.duration)}`];
  return h('li', null, h('strong', null, head.join('')), h('span', { class: 'small muted' }, ' started ', when(a.startedAt, now),
    a.worker ? [' on ', h('span', { class: 'id' }, a.worker)] : null), a.error === null ? null : h('details', null, h('summary', null, a.error.text.split('\n', 1)[0]), jsonBlock(a.error, 'error')));
}

function progressBlock(t: TaskDetailJson, now: number): Child | null {
  const p = t.progress;
  if (p === null) return null;
  return h('div', null, h('progress', { max: '100', value: String(p.percent), 'aria-label': 'Progress' }),
    h('span', null, ` ${Math.round(p.percent * 10) / 10} %`), h('span', { class: 'small muted' }, ' reported ', when(p.at, now)),
    p.info === null ? null : h('pre', null, JSON.stringify(p.info, null, 2)));
}

export const TASK_SECTIONS: TaskSection[] = [
  {
    id: 'facts', title: 'Details', render: (t, now) => facts([
      ['Status', `${t.status} · ${statusText(t, now)}`],
      ['Queue', h('a', { href: href('tasks', { queue: t.queue }) }, t.queue)],
      ['Priority', String(t.priority)],
      ['Retries', `${t.retryCount} of ${t.maxRetries ?? "the worker's --retry"}`],
      ['Timeout', `${t.timeout} s`],
      ['Duration', duration(t.duration)],
      ['Lease holder', t.lockedBy === null ? h('span', { class: 'muted' }, 'none')
        : [h('a', { href: href('workers'), class: 'id' }, t.lockedBy), t.leaseExpiresAt === null ? null : ` · lease until ${time(t.leaseExpiresAt)} (${ago(t.leaseExpiresAt, now)})`]],
    ]),
  },
  { id: 'progress', title: 'Progress', render: progressBlock },
  {
    id: 'timeline', title: 'Timeline', render: (t, now) => {
      const steps: Array<[string, number | null, string | null]> = [
        ['Created', t.createdAt, null],
        ['Run at', t.runAt, t.runAt === null ? 'no further run' : null],
        ['Started', t.startedAt, t.startedAt === null ? null : t.retryCount === 0 ? `waited ${span(Math.max(0, t.startedAt - t.createdAt))}` : `attempt ${t.retryCount + 1}`],
        ['Finished', t.finishedAt, t.finishedAt !== null && t.startedAt !== null ? `ran ${duration(t.duration)}` : null],
      ];
      return h('ol', { class: 'timeline' }, steps.map(([label, ms, note]) => h('li', { class: ms === null ? null : 'done' },
        h('strong', null, label), h('span', { class: 'when' }, when(ms, now)), note ? h('span', { class: 'small muted' }, note) : null)));
    },
  },
  {
    id: 'origin', title: 'Origin', render: (t, now) => (t.scheduleKey === null && t.uniqueKey === null ? null : facts([
      ...(t.scheduleKey === null ? [] : [
        ['Schedule', h('a', { href: href('schedules', { key: t.scheduleKey }), class: 'id' }, t.scheduleKey)],
        ['Fire time', when(t.scheduledFor, now)],
      ] as Array<[string, Child]>),
      ...(t.uniqueKey === null ? [] : [
        ['Unique key', [h('span', { class: 'id' }, t.uniqueKey), h('span', { class: 'sub muted small' }, ' at most one task with this key waits or runs at a time')]],
      ] as Array<[string, Child]>),
    ])),
  },
  { id: 'error', title: 'Error', render: (t) => (t.error === null ? null : h('div', null, t.errorCode ? h('p', { class: 'small id' }, t.errorCode) : null, jsonBlock(t.error, 'error'))) },
  {
    id: 'attempts', title: 'Attempts', render: (t, now) => (t.attempts.length === 0 ? null : h('div', null,
      h('p', { class: 'small muted' }, 'Oldest first; the last 20 failed attempts are kept.'),
      h('ol', { class: 'attempts' }, t.attempts.map((a) => attemptItem(a, now))))),
  },
  { id: 'result', title: 'Result', render: (t) => (t.result === null ? null : jsonBlock(t.result)) },
  {
    id: 'arguments', title: 'Arguments', render: (t) => h('div', null, jsonBlock(t.args),
      t.kwargs.text === '{}' ? null : [h('h3', { class: 'small muted' }, 'Keyword arguments'), jsonBlock(t.kwargs)]),
  },
];

export const taskView: ViewFactory = (main, route) => {
  const id = route.id ?? '';
  const head = h('div');
  const body = h('div');
  fill(main, h('p', { class: 'small' }, h('a', { href: href('tasks') }, '\u2190 Tasks')), head, body);

  const act = async (action: 'retry' | 'cancel', task: TaskDetailJson) => {
    if (action === 'cancel' && !(await confirmDialog({ title: 'Cancel this task?', confirm: 'Cancel the task', danger: true,
      message: task.status === 'PROGRESS'
        ? `${task.name} (${task.id}) is running: its worker aborts it (its thread is ended if it does not stop within a few seconds), and it becomes FAILED for good with a CancelledError.`
        : `${task.name} (${task.id}) becomes FAILED for good with a CancelledError and will not run.` }))) return;
    try {
      const done = await postJson<ActionResultJson>(`api/tasks/${encodeURIComponent(task.id)}/${action}`, {});
      toast(done.message);
      if (done.task) draw(done.task);
      loader.invalidate();
      loader.run();
    } catch (error) {
      toast(error instanceof ApiError ? error.message : `the ${action} failed`, true);
      loader.run();
    }
  };

  const draw = (task: TaskDetailJson) => {
    const now = Date.now();
    document.title = `${task.name} · Tasks`;
    fill(head, h('div', { class: 'row' },
      h('h1', null, task.name), badge(task.state), h('span', { class: 'spacer' }),
      h('div', { class: 'actions' },
        task.actions.retry ? on(h('button', { type: 'button', class: 'primary', 'data-action': 'retry' }, 'Retry'), 'click', () => void act('retry', task)) : null,
        task.actions.cancel ? on(h('button', { type: 'button', class: 'danger', 'data-action': 'cancel' }, 'Cancel…'), 'click', () => void act('cancel', task)) : null)),
    h('p', { class: 'id muted' }, task.id, ' · ', h('a', { href: href('tasks', { name: task.name }) }, 'other tasks with this name')));
    fill(body, TASK_SECTIONS.map((section) => {
      const content = section.render(task, now);
      return content === null ? null : h('section', { class: 'panel section', 'data-section': section.id }, h('h2', null, section.title), content);
    }));
  };

  const loader = new Loader(() => getJson<TaskDetailJson>(`api/tasks/${encodeURIComponent(id)}`), draw,
    (error) => fill(body, empty(error instanceof ApiError ? error.message : 'The task could not be loaded.')),
    (task) => [task, Math.floor(Date.now() / 30_000)]); // unchanged: left alone (a selection stays), but its ages kept fresh

  loader.run();
  return {
    title: 'Task',
    refresh(reason) {
      if (reason === 'tick' || reason.ids.includes(id)) loader.run();
    },
    destroy: () => loader.stop(),
  };
};
