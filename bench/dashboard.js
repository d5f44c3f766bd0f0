#!/usr/bin/env node
// The dashboard's reads on big tables: for each database and table size, seeds tasks spread over a
// week (bench/dashboard-seed.js), then times the task-list requests over HTTP (the standalone
// dashboard, as a browser's fetch would see them: filters, keyset pages, time ranges) and the
// queries behind the queues page (busy counts, finished history, the last hour per minute).
// Prints a table per database and writes bench/dashboard-results.json. Never part of the tests.
//
//   node bench/dashboard.js                                  # PostgreSQL, 10,000 and 1,000,000 rows
//   node bench/dashboard.js --dialects postgres,sqlite,mariadb --sizes 10000 --repeat 7
'use strict';
require(require('path').join(__dirname, '..', 'node_modules', 'reflect-metadata'));
const fs = require('fs');
const os = require('os');
const path = require('path');
const { freshDatabase } = require('./adapters/_task-worker');
const { describeMachine } = require('./harness/machine');
const { median } = require('./harness/stats');
const { seedTasks } = require('./dashboard-seed');

const DIST = path.join(__dirname, '..', 'dist', 'lib', 'index.js');

function flag(name, fallback) {
  const at = process.argv.indexOf(name);
  return at === -1 ? fallback : process.argv[at + 1];
}
const DIALECTS = flag('--dialects', 'postgres').split(',');
const SIZES = flag('--sizes', '10000,1000000').split(',').map(Number);
const REPEAT = Number(flag('--repeat', '5'));
const OUT = flag('--out', path.join(__dirname, 'dashboard-results.json'));

async function analyze(tw, dialect) {
  const sql = { postgres: 'VACUUM ANALYZE tw_tasks', mariadb: 'ANALYZE TABLE tw_tasks', sqlite: 'ANALYZE' }[dialect];
  await tw.sequelize.query(sql);
}

/** Milliseconds of each of REPEAT runs after one warm-up. */
async function time(run) {
  await run();
  const samples = [];
  for (let i = 0; i < REPEAT; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return samples;
}

async function measure(dialect, n) {
  const { TaskWorker, serveDashboard } = require(DIST);
  const tw = new TaskWorker({ databaseUrl: await freshDatabase(dialect, 'bench_dashboard'), redisUrl: null, logLevel: 'warn' });
  await tw.migrate();
  const now = Date.now();
  const seedStarted = Date.now();
  await seedTasks(tw, n, now);
  await analyze(tw, dialect);
  const seedMs = Date.now() - seedStarted;
  const served = await serveDashboard(tw, { port: 0 });
  const [mid] = await tw.sequelize.query(`SELECT id FROM tw_tasks ORDER BY id LIMIT 1 OFFSET ${Math.floor(n / 2)}`);
  const dayAgo = now - 86_400_000;
  const get = async (query) => {
    const response = await fetch(`${served.url}api/tasks?${new URLSearchParams(query)}`);
    if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
    return response.json();
  };
  const cases = [
    ['newest page, no filter', {}],
    ['a page in the middle (before=)', { before: mid[0].id }],
    ['status COMPLETED', { status: 'COMPLETED' }],
    ['status PENDING', { status: 'PENDING' }],
    ['status FAILED (any)', { status: 'FAILED' }],
    ['status FAILED for good', { status: 'FAILED_FINAL' }],
    ['status retry scheduled', { status: 'RETRYING' }],
    ['queue common (emails, 25%)', { queue: 'emails' }],
    ['queue rare (billing, 0.1%)', { queue: 'billing' }],
    ['name rare (0.05%)', { name: 'app.audit.rare' }],
    ['name matching nothing', { name: 'app.no.such.task' }],
    ['FAILED for good + queue rare', { status: 'FAILED_FINAL', queue: 'billing' }],
    ['FAILED for good + name rare', { status: 'FAILED_FINAL', name: 'app.audit.rare' }],
    ['FAILED (any) + queue rare', { status: 'FAILED', queue: 'billing' }],
    ['COMPLETED + queue rare', { status: 'COMPLETED', queue: 'billing' }],
    ['created within one hour, a day ago', { from: dayAgo, to: dayAgo + 3_600_000 }],
    ['one hour a day ago + FAILED for good', { from: dayAgo, to: dayAgo + 3_600_000, status: 'FAILED_FINAL' }],
  ];
  const rows = [];
  for (const [label, query] of cases) {
    let shown = 0;
    const samples = await time(async () => (shown = (await get({ ...query, limit: 50 })).tasks.length));
    rows.push({ label, query, shown, medianMs: median(samples), maxMs: Math.max(...samples) });
  }
  const statements = tw.store.dashboard;
  const parts = [
    ['queues: busy counts (PENDING, PROGRESS, retrying)', () => statements.activeCounts(Date.now())],
    ['queues: finished history (COMPLETED, FAILED for good)', () => statements.finishedCounts()],
    ['queues: finished per minute, last hour', () => statements.finishedPerMinute(Date.now() - 3_600_000)],
    ['workers page', () => fetch(`${served.url}api/workers`).then((r) => r.json())],
  ];
  for (const [label, run] of parts) {
    const samples = await time(run);
    rows.push({ label, query: null, shown: null, medianMs: median(samples), maxMs: Math.max(...samples) });
  }
  await served.close();
  await tw.close();
  return { dialect, rows: n, seedMs, cases: rows };
}

(async () => {
  const relative = path.relative(path.join(__dirname, '..'), OUT);
  const results = { file: relative.startsWith('..') ? path.basename(OUT) : relative, machine: await describeMachine(), repeat: REPEAT, runs: [] };
  for (const dialect of DIALECTS) {
    for (const n of SIZES) {
      process.stdout.write(`${dialect}, ${n.toLocaleString('en-US')} rows: seeding...\n`);
      const run = await measure(dialect, n);
      results.runs.push(run);
      console.log(`\n${dialect}, ${n.toLocaleString('en-US')} rows (seeded in ${(run.seedMs / 1000).toFixed(0)} s), median / max of ${REPEAT} ms`);
      console.log('| request | rows | median ms | max ms |\n|---|---:|---:|---:|');
      for (const c of run.cases) console.log(`| ${c.label} | ${c.shown ?? ''} | ${c.medianMs.toFixed(1)} | ${c.maxMs.toFixed(1)} |`);
    }
  }
  fs.writeFileSync(OUT, JSON.stringify(results, null, 2));
  console.log(`\nwrote ${results.file}`);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
