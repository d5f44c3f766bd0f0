// The schedules page: every schedule (key and who declared it, task and arguments, expression or
// interval and zone, catch-up policy), its next and last fire, the last fire's task and its state,
// and, unless read-only, pause, resume and run now (confirmed), each answering what changed.
// '#/schedules?key=…' (a scheduled task's link) marks that schedule's row.
import { ApiError, getJson, postJson } from '../api.js';
import type { ActionResultJson, ScheduleJson, SchedulesJson } from '../api-types.js';
import { fill, h, on, type Child } from '../dom.js';
import { ago, count, isoUtc, time } from '../format.js';
import { href } from '../router.js';
import { badge, cell, confirmDialog, empty, table, toast } from '../widgets.js';
import { Loader, refetchingView, type ViewFactory } from './view.js';

const SOURCES: Record<ScheduleJson['source'], string> = {
  code: 'declared in code', config: 'declared in the configuration', runtime: 'declared at run time',
};

function catchUpTitle(policy: string): string {
  if (policy === 'none') return 'fire times missed while no worker ran are skipped';
  if (policy === 'latest') return 'after downtime, the most recent missed fire time runs once';
  if (/^\d+$/.test(policy)) return `after downtime, at most the ${policy} most recent missed fire times run, oldest first`;
  return `after downtime, the missed fire times less than ${policy} old run, oldest first`;
}

/** A time with how far it is from now under it; the UTC time in its tooltip. */
function moment(ms: number | null, now: number, none: string): Child {
  if (ms === null) return h('span', { class: 'muted' }, none);
  return [h('span', { title: isoUtc(ms) }, time(ms)), h('span', { class: 'sub' }, ago(ms, now))];
}

function lastTask(s: ScheduleJson): Child {
  if (s.lastTaskId === null) return h('span', { class: 'muted' }, 'none yet');
  if (s.lastTaskState === null) return h('span', { class: 'muted', title: s.lastTaskId }, 'purged');
  return [badge(s.lastTaskState), h('a', { class: 'sub', href: href('tasks', {}, s.lastTaskId), title: s.lastTaskId }, 'open the task')];
}

function stateBadge(paused: boolean): HTMLElement {
  const [cls, icon, label] = paused ? ['state-PENDING', '\u2016', 'paused'] : ['state-COMPLETED', '\u25CF', 'active'];
  return h('span', { class: `badge ${cls}` }, h('span', { class: 'icon', 'aria-hidden': 'true' }, icon), label);
}

export const schedulesView: ViewFactory = (main, route, { config }) => {
  const wanted = route.params.get('key');
  const summary = h('div', { class: 'row small muted summary' });
  const notice = h('div');
  const box = h('div');
  fill(main, h('h1', null, 'Schedules'), summary, notice, box);
  let scrolled = false;

  const act = async (action: 'pause' | 'resume' | 'run-now', s: ScheduleJson, button: HTMLButtonElement) => {
    if (action === 'run-now' && !(await confirmDialog({ title: `Run ${s.key} now?`, confirm: 'Run it now',
      message: `One task of ${s.task} is created now, out of turn, with the schedule's arguments. Its fire times do not move` +
        `${s.paused ? ', and it stays paused' : ''}.` }))) return;
    button.disabled = true;
    try {
      toast((await postJson<ActionResultJson>(`api/schedules/${encodeURIComponent(s.key)}/${action}`, {})).message);
      loader.invalidate();
    } catch (error) {
      toast(error instanceof ApiError ? error.message : `the ${action} failed`, true);
    }
    loader.run();
  };

  const button = (action: 'pause' | 'resume' | 'run-now', label: string, cls: string, s: ScheduleJson) => {
    const b = h('button', { type: 'button', class: cls, 'data-action': action }, label);
    return on(b, 'click', () => void act(action, s, b));
  };

  const row = (s: ScheduleJson, now: number) => h('tr', { 'data-schedule': s.key, class: s.key === wanted ? 'selected' : null },
    cell('State', null, stateBadge(s.paused)),
    cell('Schedule', 'wide', h('strong', { class: 'id' }, s.key), h('span', { class: 'sub' }, SOURCES[s.source])),
    cell('Task', 'wide', h('a', { href: href('tasks', { name: s.task }), title: 'tasks with this name' }, s.task),
      h('span', { class: 'sub id' }, s.argsPreview), s.queue === null ? null : h('span', { class: 'sub' }, `queue ${s.queue}`)),
    cell('When', null, s.cron === null ? `every ${s.every}` : h('code', null, s.cron),
      s.cron === null ? null : h('span', { class: 'sub' }, s.timezone)),
    cell('Catch-up', null, h('span', { title: catchUpTitle(s.catchUp) }, s.catchUp)),
    cell('Next fire', null, s.paused ? h('span', { class: 'muted' }, 'paused') : moment(s.nextFireAt, now, 'never')),
    cell('Last fire', null, moment(s.lastFireAt, now, 'never')),
    cell('Last task', null, lastTask(s)),
    config.readOnly ? null : cell('', null, h('div', { class: 'actions' },
      s.paused ? button('resume', 'Resume', 'primary', s) : button('pause', 'Pause', '', s),
      button('run-now', 'Run now\u2026', '', s))));

  const loader = new Loader(() => getJson<SchedulesJson>('api/schedules'), (data) => {
    const paused = data.schedules.filter((s) => s.paused).length;
    fill(summary, h('span', null, `${count(data.schedules.length)} schedule${data.schedules.length === 1 ? '' : 's'}` +
      `${paused > 0 ? `, ${count(paused)} paused` : ''}`), h('span', null, 'Times are in your browser\'s zone; each one\'s tooltip gives it in UTC.'));
    fill(notice, wanted !== null && !data.schedules.some((s) => s.key === wanted)
      ? h('p', { class: 'notice' }, `No schedule has the key ${wanted} now: it was removed.`) : null);
    if (data.schedules.length === 0) {
      fill(box, empty('No schedules. Declare one with @Schedule, registerTask\'s schedule, the configuration\'s "schedules", or tw.schedules.upsert.'));
      return;
    }
    const headers: Array<[string, string?]> = [['State'], ['Schedule'], ['Task'], ['When'], ['Catch-up'], ['Next fire'], ['Last fire'], ['Last task']];
    if (!config.readOnly) headers.push(['']);
    fill(box, table('cards schedules', headers, data.schedules.map((s) => row(s, data.now))));
    if (!scrolled && wanted !== null) {
      scrolled = true;
      box.querySelector('tr.selected')?.scrollIntoView({ block: 'center' });
    }
  }, (error) => fill(box, empty(error instanceof ApiError ? error.message : 'The schedules could not be loaded.')),
  // Not the server's clock: an unchanged list is left alone, but for its ages ('in 12 s'), redrawn every 10 s.
  (data) => [data.schedules, Math.floor(Date.now() / 10_000)]);
  loader.run();

  // A fire makes a task (a change), another process pauses or resumes (a tick): refetch, at most once a second.
  return refetchingView('Schedules', loader);
};
