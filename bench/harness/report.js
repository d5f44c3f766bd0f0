// Renders the results table (medians per adapter), the optional ratio-vs-task-worker table,
// the machine block and each adapter's settings.
'use strict';
const { fmtRate, fmtMs } = require('./stats');

const COLS = [
  ['adapter', (r) => r.name],
  ['drain 1 proc c4', (r) => fmtRate(r.median.drain1)],
  ['steady 1 proc', (r) => fmtRate(r.median.drain1Steady)],
  ['first task ms', (r) => fmtMs(r.median.firstTaskMs)],
  ['drain 2 procs c4', (r) => fmtRate(r.median.drain2)],
  ['drain 4 procs c4', (r) => fmtRate(r.median.drain4)],
  ['enqueue 1-by-1', (r) => fmtRate(r.median.enqueueOne)],
  ['enqueue bulk', (r) => fmtRate(r.median.enqueueBulk)],
  ['pick-up p50/p95/p99 ms', (r) => (r.median.pickup ? r.median.pickup.map(fmtMs).join(' / ') : 'n/a')],
  ['drain CPU us/task worker/db/redis', (r) => (r.median.cpu ? r.median.cpu.join(' / ') : 'n/a')],
  ['bulk CPU us/task client/db/redis', (r) => (r.median.bulkCpu ? r.median.bulkCpu.join(' / ') : 'n/a')],
  ['worker RSS MiB peak/after', (r) => (r.median.rss ? r.median.rss.map((x) => (x == null ? '?' : x.toFixed(0))).join(' / ') : 'n/a')],
  ['exactly-once', (r) => (r.allOk ? 'PASS' : 'FAIL')],
];

function table(headers, rows) {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => '| ' + cells.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join(' | ') + ' |';
  return [line(headers), '|' + w.map((x, i) => (i === 0 ? ':' : '-') + '-'.repeat(x) + (i === 0 ? '-' : ':')).join('|') + '|', ...rows.map(line)].join('\n');
}

function resultsTable(rows) {
  return table(COLS.map((c) => c[0]), rows.map((r) => (r.skipped ? [r.name, ...COLS.slice(1, -1).map(() => '-'), 'skipped'] : COLS.map((c) => c[1](r)))));
}

// Ratios of one task-worker row to every other row, oriented so that > 1.00x means that task-worker
// row is better (faster / lower latency / less memory).
function ratioTable(rows, id) {
  const tw = rows.find((r) => r.id === id && !r.skipped);
  if (!tw) return null;
  const x = (a, b) => (a && b ? `${(a / b).toFixed(2)}x` : 'n/a');
  const peers = rows.filter((r) => r !== tw && !r.skipped);
  const heads = [`${tw.name} vs (>1 = better)`, 'drain 1 proc', 'steady 1 proc', 'drain 2 procs', 'drain 4 procs', 'enqueue 1-by-1', 'enqueue bulk', 'pick-up p50/p95/p99', 'peak RSS'];
  const body = peers.map((p) => [
    p.name,
    x(tw.median.drain1, p.median.drain1),
    x(tw.median.drain1Steady, p.median.drain1Steady),
    x(tw.median.drain2, p.median.drain2),
    x(tw.median.drain4, p.median.drain4),
    x(tw.median.enqueueOne, p.median.enqueueOne),
    x(tw.median.enqueueBulk, p.median.enqueueBulk),
    tw.median.pickup && p.median.pickup ? p.median.pickup.map((v, i) => x(v, tw.median.pickup[i])).join(' / ') : 'n/a',
    x(p.median.rss && p.median.rss[0], tw.median.rss && tw.median.rss[0]),
  ]);
  return table(heads, body);
}

function machineBlock(m, opts) {
  return [
    `machine: ${m.cpuCount} x ${m.cpuModel}, ${m.totalMemGiB} GiB RAM, ${m.platform}`,
    `node ${m.node}, PostgreSQL ${m.postgres}, Redis ${m.redis}`,
    `load average at start (1/5/15 min): ${m.loadAvgAtStart.join(' / ')}${m.loadAvgAtStart[0] > 0.7 ? '  <-- WARNING: machine not idle, numbers will be noisy' : ''}`,
    `mode: ${opts.quick ? 'quick' : 'full'}, repeats: ${opts.repeat} (median reported), enqueue 1-by-1 N=${opts.enqueueOneN}, bulk N=${opts.bulkN} in batches of ${opts.bulkBatch}, drain N=${opts.drainN}, pick-up N=${opts.latencyN} every ${opts.latencyGapMs} ms, worker concurrency ${opts.concurrency}`,
  ].join('\n');
}

function settingsBlock(rows) {
  return rows.map((r) => `- ${r.name}${r.version ? ` (${r.version})` : ''}: ${JSON.stringify(r.settings)}`).join('\n');
}

module.exports = { resultsTable, ratioTable, machineBlock, settingsBlock };
