// The queues page: per queue, the tasks ready, scheduled, running, retrying, failed and completed
// (each a link to that list), how long the oldest ready task has waited, and the last hour as a
// chart; whether it is paused; the live and lost workers; and, unless read-only, pausing and
// resuming a queue, retrying a queue's failed tasks and purging old finished tasks, each confirmed
// with the count it will change.
import { ApiError, getJson, postJson } from '../api.js';
import type { ActionResultJson, OverviewJson, QueueJson } from '../api-types.js';
import { minuteChart } from '../chart.js';
import { fill, h, on } from '../dom.js';
import { ago, count, plural, span } from '../format.js';
import { href } from '../router.js';
import { cell, confirmDialog, empty, table, toast } from '../widgets.js';
import { Loader, refetchingView, type ViewFactory } from './view.js';

function countLink(n: number | null, queue: string | undefined, status: string): HTMLElement {
  if (n === null) return h('span', { class: 'zero' }, '–');
  return h('a', { class: `count-link${n === 0 ? ' zero' : ''}`, href: href('tasks', { queue, status }) }, count(n));
}

/** The dry-run count, a confirmation naming it, then the action; the answer says what changed. */
async function confirmed(path: string, body: Record<string, unknown>, title: string, what: (n: number) => string, confirm: string): Promise<boolean> {
  try {
    const dry = await postJson<ActionResultJson>(path, { ...body, dryRun: true });
    const n = dry.retried ?? dry.deleted ?? 0;
    if (n === 0) {
      toast(dry.message);
      return false;
    }
    if (!(await confirmDialog({ title, message: what(n), confirm, danger: true }))) return false;
    const done = await postJson<ActionResultJson>(path, body);
    toast(done.message);
    return true;
  } catch (error) {
    toast(error instanceof ApiError ? error.message : 'the action failed', true);
    return false;
  }
}

export const queuesView: ViewFactory = (main, _route, { config }) => {
  const summary = h('div', { class: 'row small muted summary' });
  const tableBox = h('div');
  const tools = h('div');
  fill(main, h('h1', null, 'Queues'), summary, tableBox, tools);

  const retryFailed = (queue: QueueJson) => confirmed('api/retry-failed', { queue: queue.name, status: 'FAILED' },
    `Retry the failed tasks of ${queue.name}?`, (n) => `${plural(n, 'failed task')} of queue ${queue.name} (failed for good, or waiting for a ` +
      'retry) become PENDING with their retries reset, and run again.', 'Retry them').then((changed) => changed && loader.run());

  const pauseOrResume = async (queue: QueueJson) => {
    const action = queue.paused ? 'resume' : 'pause';
    if (action === 'pause' && !(await confirmDialog({ title: `Pause ${queue.name}?`, confirm: 'Pause the queue', danger: true,
      message: `No worker claims the tasks of ${queue.name} until it is resumed (this survives restarts). Running tasks finish; new tasks can still be created.` }))) return;
    try {
      toast((await postJson<ActionResultJson>(`api/queues/${encodeURIComponent(queue.name)}/${action}`, {})).message);
    } catch (error) {
      toast(error instanceof ApiError ? error.message : `the ${action} failed`, true);
    }
    loader.run();
  };

  const row = (q: QueueJson, firstMinute: number, all = false) => {
    const queue = all ? undefined : q.name;
    const failing = q.failed !== null && q.failed + q.retrying > 0;
    return h('tr', null,
      cell('Queue', null, all ? h('strong', null, 'All queues') : [h('a', { href: href('tasks', { queue: q.name }) }, q.name),
        q.paused ? h('span', { class: 'small muted', 'data-paused': 'true' }, ' · paused') : null]),
      cell('Ready', 'num', countLink(q.ready, queue, 'PENDING')),
      cell('Scheduled', 'num', count(q.scheduled)),
      cell('Running', 'num', countLink(q.running, queue, 'PROGRESS')),
      cell('Retrying', 'num', countLink(q.retrying, queue, 'RETRYING')),
      cell('Failed', 'num', countLink(q.failed, queue, 'FAILED_FINAL')),
      cell('Completed', 'num', countLink(q.completed, queue, 'COMPLETED')),
      cell('Oldest waiting', 'num', q.oldestReadyAgeMs === null ? h('span', { class: 'zero' }, '–') : span(q.oldestReadyAgeMs)),
      cell('Last hour', 'wide', minuteChart(q.completedPerMinute, q.failedPerMinute, firstMinute)),
      config.readOnly ? null : cell('', null, all ? null : on(h('button', { type: 'button', 'data-action': q.paused ? 'resume-queue' : 'pause-queue' },
        q.paused ? 'Resume' : 'Pause…'), 'click', () => void pauseOrResume(q)), !all && failing
        ? on(h('button', { type: 'button', class: 'danger', 'data-action': 'retry-queue' }, 'Retry failed'), 'click', () => void retryFailed(q))
        : null));
  };

  const purgeAge = h('select', { 'aria-label': 'Age' },
    h('option', { value: '1d' }, '1 day'), h('option', { value: '7d', selected: true }, '7 days'), h('option', { value: '30d' }, '30 days'),
    h('option', { value: '90d' }, '90 days'));
  const purge = () => confirmed('api/purge', { olderThan: purgeAge.value }, 'Delete old finished tasks?',
    (n) => `${plural(n, 'task')} that finished (COMPLETED, or FAILED for good) more than ${purgeAge.selectedOptions[0]?.textContent ?? purgeAge.value} ` +
      'ago are deleted for good. Pending, running and retrying tasks stay.', 'Delete them').then((changed) => changed && loader.run());
  if (!config.readOnly) {
    fill(tools, h('div', { class: 'panel row' },
      h('span', null, 'Delete finished tasks older than'), purgeAge,
      on(h('button', { type: 'button', class: 'danger', 'data-action': 'purge' }, 'Purge…'), 'click', () => void purge())));
  }

  const loader = new Loader(() => getJson<OverviewJson>('api/overview'), (data) => {
    const live = data.workers.live;
    const lost = data.workers.lost;
    const stale = data.finishedCountedAt !== null && data.now - data.finishedCountedAt > 10_000;
    fill(summary,
      h('a', { href: href('workers') }, `${count(live)} live worker${live === 1 ? '' : 's'}`),
      lost > 0 ? h('a', { href: href('workers') }, `${count(lost)} lost in the last day`) : null,
      stale ? h('span', null, `completed and failed counts from ${ago(data.finishedCountedAt, data.now)} (a large table is counted less often)`) : null,
      h('span', { class: 'legend' }, h('span', null, h('span', { class: 'sw c' }), 'completed'), h('span', null, h('span', { class: 'sw f' }), 'failed')));
    if (data.queues.length === 0) {
      fill(tableBox, empty('No tasks yet. Tasks appear here as soon as your app creates them.'));
      return;
    }
    const headers: Array<[string, string?]> = [['Queue'], ['Ready', 'num'], ['Scheduled', 'num'], ['Running', 'num'], ['Retrying', 'num'],
      ['Failed', 'num'], ['Completed', 'num'], ['Oldest waiting', 'num'], ['Last hour (per minute)']];
    if (!config.readOnly) headers.push(['']);
    const rows = data.queues.map((q) => row(q, data.firstMinute));
    if (data.queues.length > 1) rows.push(row(data.total, data.firstMinute, true));
    fill(tableBox, table('cards queues', headers, rows));
  }, (error) => fill(tableBox, empty(error instanceof ApiError ? error.message : 'The queues could not be loaded.')));
  loader.run();

  // A burst of changes redraws at most once a second, the last one included.
  return refetchingView('Queues', loader);
};
