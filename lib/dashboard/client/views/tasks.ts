// The task list: filters (status, queue, name, creation time) kept in the URL, newest first, pages
// by id (older / newer), each row linking to its task, the first line of its error shown. Unless
// read-only, a filter on failed tasks offers to retry them all, confirmed with their count.
import { ApiError, getJson, postJson, type Params } from '../api.js';
import type { ActionResultJson, OverviewJson, StatusFilterValue, TaskPageJson, TaskSummaryJson } from '../api-types.js';
import { fill, h, on } from '../dom.js';
import { ago, count, duration, isoUtc, plural, time } from '../format.js';
import { href } from '../router.js';
import { badge, cell, confirmDialog, empty, table, toast } from '../widgets.js';
import { Loader, type ViewFactory } from './view.js';

const STATUS_OPTIONS: Array<[StatusFilterValue | '', string]> = [
  ['', 'Any status'], ['PENDING', 'Pending'], ['PROGRESS', 'Running'], ['COMPLETED', 'Completed'],
  ['FAILED', 'Failed (any)'], ['FAILED_FINAL', 'Failed for good'], ['RETRYING', 'Retry scheduled'],
];
const FILTER_KEYS = ['status', 'queue', 'name', 'from', 'to'] as const;
const FAILED_FILTERS = new Set(['FAILED', 'FAILED_FINAL', 'RETRYING']);

/** A datetime-local value ('2026-11-30T14:05') as epoch ms in the browser's time zone. */
function localMs(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

function taskRow(t: TaskSummaryJson, now: number): HTMLTableRowElement {
  const ended = t.finishedAt ?? t.startedAt;
  return h('tr', { 'data-task': t.id },
    cell('State', null, badge(t.state)),
    cell('Task', 'wide', h('a', { href: href('tasks', {}, t.id) }, t.name), h('span', { class: 'sub id' }, t.id),
      t.errorLine && t.state !== 'COMPLETED' ? h('span', { class: 'sub error-line' }, t.errorLine) : null),
    cell('Queue', null, t.queue),
    cell('Created', null, h('span', { title: isoUtc(t.createdAt) }, time(t.createdAt)), h('span', { class: 'sub' }, ago(t.createdAt, now))),
    cell(t.finishedAt ? 'Finished' : 'Started', null, ended ? h('span', { title: isoUtc(ended) }, ago(ended, now)) : '–'),
    cell('Duration', 'num', duration(t.duration)),
    cell('Retries', 'num', `${t.retryCount} / ${t.maxRetries ?? '–'}`));
}

export const tasksView: ViewFactory = (main, route, { config }) => {
  const params = route.params;
  const filter: Params = Object.fromEntries(FILTER_KEYS.map((k) => [k, params.get(k) ?? undefined]));
  const before = params.get('before') ?? undefined;
  const after = params.get('after') ?? undefined;

  const status = h('select', { name: 'status' }, STATUS_OPTIONS.map(([value, label]) => h('option', { value, selected: value === (filter.status ?? '') }, label)));
  const queues = h('datalist', { id: 'queue-names' });
  const queue = h('input', { name: 'queue', list: 'queue-names', value: filter.queue ?? '', placeholder: 'any', autocomplete: 'off' });
  const name = h('input', { name: 'name', value: filter.name ?? '', placeholder: 'e.g. app.emails.send', autocomplete: 'off' });
  const from = h('input', { name: 'from', type: 'datetime-local', value: filter.from ?? '' });
  const to = h('input', { name: 'to', type: 'datetime-local', value: filter.to ?? '' });
  const form = h('form', { class: 'panel filters', role: 'search' },
    h('label', null, 'Status', status), h('label', null, 'Queue', queue, queues), h('label', null, 'Task name', name),
    h('label', null, 'Created from', from), h('label', null, 'Created before', to),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Filter'), h('a', { class: 'button', href: href('tasks') }, 'Clear')));
  on(form, 'submit', (event) => {
    event.preventDefault();
    location.hash = href('tasks', { status: status.value, queue: queue.value.trim(), name: name.value.trim(), from: from.value, to: to.value });
  });

  const tools = h('div', { class: 'row' });
  const listBox = h('div');
  const pager = h('div', { class: 'pager' });
  fill(main, h('h1', null, 'Tasks'), form, tools, listBox, pager);

  // Queue names for the filter's suggestions.
  getJson<OverviewJson>('api/overview').then((o) => fill(queues, o.queues.map((q) => h('option', { value: q.name }))), () => undefined);

  const apiFilter = { status: filter.status, queue: filter.queue, name: filter.name, from: localMs(filter.from), to: localMs(filter.to) };
  if (!config.readOnly && FAILED_FILTERS.has(String(filter.status))) {
    const retryAll = async () => {
      try {
        const dry = await postJson<ActionResultJson>('api/retry-failed', { ...apiFilter, dryRun: true });
        const n = dry.retried ?? 0;
        if (n === 0) return toast(dry.message);
        const ok = await confirmDialog({ title: 'Retry every matching task?', danger: true, confirm: 'Retry them',
          message: `${plural(n, 'failed task')} ${n === 1 ? 'matches' : 'match'} this filter (every page, not only this one). They become PENDING with their retries reset, and run again.` });
        if (!ok) return;
        toast((await postJson<ActionResultJson>('api/retry-failed', apiFilter)).message);
        loader.invalidate();
        loader.run();
      } catch (error) {
        toast(error instanceof ApiError ? error.message : 'the retry failed', true);
      }
    };
    fill(tools, on(h('button', { type: 'button', class: 'danger', 'data-action': 'retry-matching' }, 'Retry all matching…'), 'click', () => void retryAll()));
  }

  let shown = new Set<string>();
  const loader = new Loader(() => getJson<TaskPageJson>('api/tasks', { ...apiFilter, before, after }), (page) => {
    const now = Date.now();
    shown = new Set(page.tasks.map((t) => t.id));
    fill(listBox, page.tasks.length === 0
      ? empty(before || after ? 'No tasks on this page.' : 'No task matches these filters.')
      : table('cards tasks', [['State'], ['Task'], ['Queue'], ['Created'], ['Finished / started'], ['Duration', 'num'], ['Retries', 'num']],
        page.tasks.map((t) => taskRow(t, now))));
    const keep = Object.fromEntries(FILTER_KEYS.map((k) => [k, filter[k]]));
    fill(pager,
      page.newer ? h('a', { class: 'button', href: href('tasks', { ...keep, after: page.newer }), rel: 'prev' }, '\u2190 Newer') : null,
      before || after ? h('a', { class: 'button', href: href('tasks', keep) }, 'Newest') : null,
      page.older ? h('a', { class: 'button', href: href('tasks', { ...keep, before: page.older }), rel: 'next' }, 'Older \u2192') : null,
      h('span', { class: 'spacer' }),
      h('span', { class: 'small muted' }, `${count(page.tasks.length)} shown, newest first · query ${page.queryMs} ms`));
  }, (error) => fill(listBox, empty(error instanceof ApiError ? error.message : 'The tasks could not be loaded.')),
  // Not the query time: an unchanged list is left alone, but for its ages ('5 min ago'), redrawn every 30 s.
  (page) => [page.tasks, page.newer, page.older, Math.floor(Date.now() / 30_000)]);
  loader.run();

  return {
    title: 'Tasks',
    refresh(reason) {
      // The first page shows new tasks as they come; other pages refresh when one of their tasks moved.
      if (reason === 'tick' || (!before && !after) || reason.ids.some((id) => shown.has(id))) loader.run();
    },
    destroy: () => loader.stop(),
  };
};
