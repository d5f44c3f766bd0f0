// The dashboard's browser entry: reads the page config, draws the navigation, shows the view of
// the current route, and keeps it live from the server's event stream. The views are listed in
// VIEWS and NAV: a new page is one entry in each.
import { setCsrfToken } from './api.js';
import type { PageConfig } from './api-types.js';
import { fill, h } from './dom.js';
import { connectLive } from './live.js';
import { currentRoute, href } from './router.js';
import { queuesView } from './views/queues.js';
import { schedulesView } from './views/schedules.js';
import { taskView } from './views/task.js';
import { tasksView } from './views/tasks.js';
import type { View, ViewFactory } from './views/view.js';
import { workersView } from './views/workers.js';

/** Route name to view; 'tasks' with an id shows one task. */
const VIEWS: Record<string, ViewFactory> = { queues: queuesView, tasks: tasksView, task: taskView, schedules: schedulesView, workers: workersView };
const NAV: Array<[string, string]> = [['queues', 'Queues'], ['tasks', 'Tasks'], ['schedules', 'Schedules'], ['workers', 'Workers']];

function readConfig(): PageConfig {
  const meta = document.querySelector('meta[name="tw-dashboard"]');
  return JSON.parse(meta?.getAttribute('content') ?? '{}') as PageConfig;
}

const config = readConfig();
setCsrfToken(config.csrfToken);
const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const liveBox = document.getElementById('live') as HTMLElement;
let current: View | undefined;

function show(): void {
  const route = currentRoute();
  const name = route.view === 'tasks' && route.id ? 'task' : route.view;
  current?.destroy();
  const factory = VIEWS[name];
  if (!factory) {
    fill(main, h('h1', null, 'Not found'), h('p', null, h('a', { href: href('queues') }, 'Back to the queues')));
    current = undefined;
  } else {
    current = factory(main, route, { config });
    document.title = `${current.title} · task-worker`;
  }
  const section = name === 'task' ? 'tasks' : name;
  fill(nav, NAV.map(([view, label]) => h('a', { href: href(view), 'aria-current': view === section ? 'page' : null }, label)));
  if (config.readOnly) nav.appendChild(h('span', { class: 'badge state-PENDING', title: 'Actions are disabled' }, 'read-only'));
}

window.addEventListener('hashchange', () => {
  show();
  main.focus({ preventScroll: true });
  window.scrollTo(0, 0);
});
show();
connectLive({
  change: (event) => current?.refresh(event),
  tick: () => current?.refresh('tick'),
  connected: (on) => {
    liveBox.className = `live ${on ? 'on' : 'off'}`;
    liveBox.textContent = on ? 'live' : 'reconnecting…';
  },
});
