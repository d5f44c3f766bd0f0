#!/usr/bin/env node
// Entry point of the peer-queue benchmark: parses flags, runs every scenario for every adapter
// (repetitions interleaved across adapters), prints the median table and writes the JSON file.
'use strict';
const fs = require('fs');
const path = require('path');
const { SCENARIOS } = require('./harness/scenarios');
const { median } = require('./harness/stats');
const { describeMachine } = require('./harness/machine');
const report = require('./harness/report');

const ADAPTERS = [
  'task-worker-defaults', 'task-worker-tuned', 'task-worker-observed', 'task-worker-thread-tuned', 'task-worker-sqlite', 'task-worker-mariadb', 'task-worker-noredis',
  'graphile-worker-batched', 'graphile-worker-defaults', 'pg-boss', 'bullmq',
];
const FULL = { repeat: 3, enqueueOneN: 2000, bulkN: 10000, bulkBatch: 1000, drainN: 10000, latencyN: 200 };
const QUICK = { repeat: 1, enqueueOneN: 500, bulkN: 2000, bulkBatch: 1000, drainN: 2000, latencyN: 50 };
const COMMON = { concurrency: 4, latencyGapMs: 20, idleBeforeMs: 1000, graceMs: 300, drainTimeoutMs: 180000 };
const REPO_ROOT = path.resolve(__dirname, '..');

// The JSON file records where it was written as a path from the repository root (just the file
// name when it was written elsewhere), so a committed run names no machine's folders.
function repoRelative(file) {
  const rel = path.relative(REPO_ROOT, file);
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return path.basename(file);
  return rel.split(path.sep).join('/');
}

function parseArgs(argv) {
  const o = { quick: false, only: null, repeat: null, out: path.join(__dirname, 'results.json'), scenarios: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--only') o.only = val().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--repeat') o.repeat = Number(val());
    else if (a === '--out') o.out = path.resolve(val());
    else if (a === '--scenarios') o.scenarios = val().split(',').map((s) => s.trim());
    else if (a === '-h' || a === '--help') {
      console.log(`usage: node bench/run.js [--quick] [--only ${ADAPTERS.join(',')}] [--repeat N] [--out file.json] [--scenarios ${SCENARIOS.map((s) => s.id).join(',')}]`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  const opts = { ...COMMON, ...(o.quick ? QUICK : FULL), quick: o.quick, only: o.only, out: o.out };
  if (o.repeat != null) {
    if (!Number.isInteger(o.repeat) || o.repeat < 1) throw new Error('--repeat must be a positive integer');
    opts.repeat = o.repeat;
  }
  opts.scenarios = o.scenarios ? SCENARIOS.filter((s) => o.scenarios.includes(s.id)) : SCENARIOS;
  return opts;
}

// --only accepts exact adapter ids or prefixes ("graphile-worker" selects both graphile rows);
// an id ending in "$" is exact ("task-worker-tuned$" selects only that row).
function selectAdapters(only) {
  const matches = (id, o) => (o.endsWith('$') ? id === o.slice(0, -1) : id === o || id.startsWith(o));
  const ids = only ? ADAPTERS.filter((id) => only.some((o) => matches(id, o))) : ADAPTERS;
  if (only && !ids.length) throw new Error(`--only matched no adapter (known: ${ADAPTERS.join(', ')})`);
  return ids.map((id) => require(`./adapters/${id}`));
}

async function runOne(adapter, scenario, opts) {
  let res;
  try {
    const workerConfig = await adapter.setup();
    res = await scenario.run(adapter, opts, workerConfig);
  } catch (err) {
    res = { value: null, error: err.message, check: { ok: false } };
  } finally {
    try {
      await adapter.teardown();
    } catch (err) {
      console.error(`  (teardown of ${adapter.id} failed: ${err.message})`);
    }
  }
  return res;
}

function describe(s, res) {
  if (res.error) return `ERROR ${res.error}`;
  if (s.id === 'pickup') return `p50 ${res.p50.toFixed(2)} ms, p95 ${res.p95.toFixed(2)} ms, p99 ${res.p99.toFixed(2)} ms`;
  const cpu = res.cpuUsPerTask ? `; CPU per task: ${Object.entries(res.cpuUsPerTask).map(([k, v]) => `${k} ${v} us`).join(', ')}` : '';
  const steady = res.steadyRate ? `, steady ${Math.round(res.steadyRate).toLocaleString('en-US')}/s, first task after ${res.firstTaskMs.toFixed(0)} ms` : '';
  const extra = res.procs ? ` (${res.ms.toFixed(0)} ms from start signal, start-up included${steady}; process boot ${res.bootMs.toFixed(0)} ms not counted${cpu})` : ` (${res.ms.toFixed(0)} ms${cpu})`;
  return `${Math.round(res.value).toLocaleString('en-US')} tasks/s${extra}`;
}

function medians(row) {
  const vals = (id) => (row.runs[id] || []).filter((r) => r.value != null);
  const m = {};
  for (const id of ['drain1', 'drain2', 'drain4', 'enqueueOne', 'enqueueBulk']) m[id] = median(vals(id).map((r) => r.value));
  m.drain1Steady = median(vals('drain1').map((r) => r.steadyRate));
  m.drain2Steady = median(vals('drain2').map((r) => r.steadyRate));
  m.firstTaskMs = median(vals('drain1').map((r) => r.firstTaskMs));
  const pk = vals('pickup');
  m.pickup = pk.length ? ['p50', 'p95', 'p99'].map((p) => median(pk.map((r) => r[p]))) : null;
  // Median CPU per task of a scenario: [processes, database, redis] in microseconds.
  const cpuOf = (id, label) => {
    const cpu = vals(id).map((r) => r.cpuUsPerTask).filter(Boolean);
    return cpu.length ? [label, 'database', 'redis'].map((k) => median(cpu.map((c) => c[k]))) : null;
  };
  m.cpu = cpuOf('drain1', 'worker');
  m.bulkCpu = cpuOf('enqueueBulk', 'client');
  const rss = vals('drain1').map((r) => (r.rss || [])[0]).filter(Boolean);
  m.rss = rss.length ? [median(rss.map((x) => x.peakRssMiB)), median(rss.map((x) => x.rssMiB))] : null;
  return m;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  const machine = await describeMachine();
  console.log(report.machineBlock(machine, opts) + '\n');
  const rows = selectAdapters(opts.only).map((a) => {
    const avail = typeof a.available === 'function' ? a.available() : true;
    if (avail !== true) console.log(`skipping ${a.id}: ${avail}`);
    return { adapter: a, id: a.id, name: a.name, version: a.version, settings: a.settings, skipped: avail === true ? null : avail, runs: {} };
  });
  const failures = [];
  for (let rep = 1; rep <= opts.repeat; rep++) {
    for (const row of rows.filter((r) => !r.skipped)) {
      let errors = 0;
      for (const s of opts.scenarios) {
        const res = await runOne(row.adapter, s, opts);
        (row.runs[s.id] = row.runs[s.id] || []).push(res);
        console.log(`[rep ${rep}/${opts.repeat}] ${row.name} / ${s.title}: ${describe(s, res)}`);
        if (res.error) errors++;
        if (!res.check.ok) {
          const what = res.error ? 'SCENARIO FAILED' : 'CORRECTNESS CHECK FAILED (exactly-once / pending count)';
          const msg = `${row.name} / ${s.title} / rep ${rep}: ${res.error ? res.error + ' ' : ''}${JSON.stringify(res.check)}`;
          failures.push(msg);
          console.log(`\n!!!!!!!! ${what} !!!!!!!!\n!!!!!!!! ${msg}\n`);
        }
      }
      if (errors === opts.scenarios.length) {
        row.skipped = `every scenario failed in rep ${rep} (see errors above)`;
        console.log(`giving up on ${row.name}: ${row.skipped}`);
      }
    }
  }
  for (const row of rows) {
    row.median = medians(row);
    row.allOk = Object.values(row.runs).every((rs) => rs.every((r) => r.check.ok));
  }
  const minutes = ((Date.now() - t0) / 60000).toFixed(1);
  console.log(`\n=== results: median of ${opts.repeat} run(s); throughput in tasks/s, higher is better; drain timed from the start signal (each queue's start-up included), steady = between the 10th and 90th percentile of completions ===\n`);
  console.log(report.resultsTable(rows));
  for (const r of rows.filter((x) => x.skipped)) console.log(`(${r.name} skipped: ${r.skipped})`);
  for (const id of ['task-worker-defaults', 'task-worker-tuned']) {
    const ratio = report.ratioTable(rows, id);
    if (ratio) console.log(`\nratio of ${id} to each other row:\n${ratio}`);
  }
  console.log('\n' + report.machineBlock(machine, opts));
  console.log('\nadapter settings:\n' + report.settingsBlock(rows));
  console.log(`\ntotal bench time ${minutes} min`);
  const json = {
    generatedAt: new Date().toISOString(), machine, minutes: Number(minutes),
    options: { ...opts, out: repoRelative(opts.out), scenarios: opts.scenarios.map((s) => s.id) },
    adapters: rows.map(({ adapter, ...r }) => r), failures,
  };
  fs.mkdirSync(path.dirname(opts.out), { recursive: true });
  fs.writeFileSync(opts.out, JSON.stringify(json, null, 2));
  console.log(`wrote ${path.relative(process.cwd(), opts.out) || opts.out}`);
  if (failures.length) {
    console.log(`\n!!!!!!!! ${failures.length} SCENARIO RUN(S) FAILED (errors or exactly-once/pending checks), see above !!!!!!!!`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err.stack || err);
  process.exit(2);
});
