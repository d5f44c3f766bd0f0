// The last hour of a queue as a small bar chart drawn in SVG: one bar per minute, completed at the
// bottom, failed stacked on top, each minute's counts in its tooltip. Next to it, in words, how many
// finished and what share failed: the chart is never the only way to read it.
import { h, svg } from './dom.js';
import { count, time } from './format.js';

const WIDTH = 240;
const HEIGHT = 40;

export function minuteChart(completed: number[], failed: number[], firstMinute: number): HTMLElement {
  const minutes = completed.length;
  const max = Math.max(1, ...completed.map((c, i) => c + failed[i]));
  const bar = WIDTH / minutes;
  const bars = completed.flatMap((c, i) => {
    const f = failed[i];
    if (c + f === 0) return [];
    const x = (i * bar).toFixed(2);
    const ch = (c / max) * (HEIGHT - 2);
    const fh = (f / max) * (HEIGHT - 2);
    const label = `${time(firstMinute + i * 60_000).slice(11, 16)}: ${count(c)} completed, ${count(f)} failed`;
    return [svg('g', null, svg('title', null, label),
      c > 0 ? svg('rect', { class: 'c', x, y: (HEIGHT - 1 - ch).toFixed(2), width: (bar - 0.6).toFixed(2), height: ch.toFixed(2) }) : null,
      f > 0 ? svg('rect', { class: 'f', x, y: (HEIGHT - 1 - ch - fh).toFixed(2), width: (bar - 0.6).toFixed(2), height: Math.max(fh, 1).toFixed(2) }) : null)];
  });
  const done = completed.reduce((a, b) => a + b, 0);
  const bad = failed.reduce((a, b) => a + b, 0);
  const total = done + bad;
  const summary = total === 0 ? 'nothing finished in the last hour'
    : `${count(total)} finished in the last hour · ${((bad / total) * 100).toFixed(bad / total < 0.1 && bad > 0 ? 1 : 0)}% failed`;
  return h('div', { class: 'minutes' },
    svg('svg', { class: 'chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': summary },
      svg('line', { class: 'axis', x1: 0, y1: HEIGHT - 0.5, x2: WIDTH, y2: HEIGHT - 0.5 }), bars),
    h('span', { class: 'rate' }, summary));
}
