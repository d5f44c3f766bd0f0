// The workers page: every worker process that heartbeats (host, pid, queues, concurrency, running
// tasks, pool, start, last heartbeat) with the tasks it holds, then the ones lost in the last day
// (their heartbeat stopped: killed, crashed or cut off; their tasks are recovered after the lease).
import { ApiError, getJson } from '../api.js';
import type { WorkerJson, WorkersJson } from '../api-types.js';
import { fill, h } from '../dom.js';
import { ago, isoUtc, time } from '../format.js';
import { href } from '../router.js';
import { cell, empty, table } from '../widgets.js';
import { Loader, type ViewFactory } from './view.js';

const STATE_BADGE: Record<WorkerJson['state'], [string, string, string]> = {
  live: ['state-COMPLETED', '\u25CF', 'live'],
  lost: ['state-FAILED', '\u2715', 'lost'],
  unregistered: ['state-PENDING', '?', 'unregistered'],
};

function workerRow(w: WorkerJson, now: number): HTMLTableRowElement {
  const [cls, icon, label] = STATE_BADGE[w.state];
  const held = w.held.slice(0, 20);
  return h('tr', { 'data-worker': w.id },
    cell('State', null, h('span', { class: `badge ${cls}` }, h('span', { class: 'icon', 'aria-hidden': 'true' }, icon), label)),
    cell('Worker', 'wide', h('strong', null, w.host === null ? w.id : `${w.host} · pid ${w.pid}`), h('span', { class: 'sub id' }, w.id),
      w.state === 'lost' ? h('span', { class: 'sub error-line' }, 'heartbeat stopped: its tasks are recovered once their lease runs out') : null,
      w.state === 'unregistered' ? h('span', { class: 'sub' }, 'holds tasks but is not in the registry (an older task-worker?)') : null),
    cell('Queues', null, w.state === 'unregistered' ? '–' : w.queues.length === 0 ? h('span', { class: 'muted' }, 'all') : w.queues.join(', ')),
    cell('Running', 'num', w.concurrency === null ? String(w.held.length) : `${w.running ?? 0} / ${w.concurrency}`,
      w.prefetch ? h('span', { class: 'sub' }, `prefetch ${w.prefetch}`) : null),
    cell('Pool', null, w.pool ?? '–'),
    cell('Started', null, w.startedAt === null ? '–' : h('span', { title: isoUtc(w.startedAt) }, time(w.startedAt))),
    cell('Last heartbeat', null, w.lastSeenAt === null ? '–' : h('span', { title: isoUtc(w.lastSeenAt) }, ago(w.lastSeenAt, now))),
    cell('Tasks held', 'wide', held.length === 0 ? h('span', { class: 'muted' }, 'none')
      : h('span', null, held.map((t, i) => [i > 0 ? ', ' : null, h('a', { href: href('tasks', {}, t.id), title: t.id }, t.name)]),
        w.held.length > held.length ? ` and ${w.held.length - held.length} more` : null)));
}

export const workersView: ViewFactory = (main) => {
  const box = h('div');
  fill(main, h('h1', null, 'Workers'), box);
  const loader = new Loader(() => getJson<WorkersJson>('api/workers'), (data) => {
    if (data.workers.length === 0) {
      fill(box, empty('No worker is running, and none was lost in the last day. Workers appear here as they start.'));
      return;
    }
    fill(box, table('cards workers', [['State'], ['Worker'], ['Queues'], ['Running', 'num'], ['Pool'], ['Started'], ['Last heartbeat'], ['Tasks held']],
      data.workers.map((w) => workerRow(w, data.now))));
  }, (error) => fill(box, empty(error instanceof ApiError ? error.message : 'The workers could not be loaded.')));
  loader.run();
  return { title: 'Workers', refresh: (reason) => reason === 'tick' && loader.run(), destroy: () => loader.stop() };
};
