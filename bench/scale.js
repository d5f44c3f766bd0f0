#!/usr/bin/env node
// Scale check for task-worker on PostgreSQL + Redis: drain time for 10,000 and 100,000 queued
// tasks, then again for 10,000 with 1,000,000 finished rows of history in the table, and a purge of
// that history in batches while a worker drains. Prints a table and writes bench/scale-results.json.
'use strict';
const fs = require('fs');
const path = require('path');
const { randomBytes } = require('crypto');
const { pgUrl, withPg, REDIS_URL } = require('./harness/env');
const { describeMachine } = require('./harness/machine');

const DIST = path.join(__dirname, '..', 'dist', 'lib', 'index.js');
const DB = 'bench_tw_scale';
const quick = process.argv.includes('--quick');
const SIZES = quick ? [2000, 20000] : [10000, 100000];
const HISTORY = quick ? 100000 : 1000000;

async function freshDatabase() {
  await withPg('postgres', async (c) => {
    await c.query(`drop database if exists ${DB} with (force)`);
    await c.query(`create database ${DB}`);
  });
}

function open(extra = {}) {
  const { TaskWorker, TaskRegistry } = require(DIST);
  const registry = new TaskRegistry();
  registry.register('bench.noop', () => null);
  return new TaskWorker({ databaseUrl: pgUrl(DB), redisUrl: REDIS_URL, channelPrefix: `twscale-${randomBytes(3).toString('hex')}`,
    registry, pool: 'inline', concurrency: 4, prefetch: 500, logLevel: 'warn', pollInterval: 0.05, ...extra });
}

// The status is a literal, so the count walks the partial index of that status (migration 0002)
// instead of the whole table with its million finished rows.
async function count(tw, status) {
  if (!['PENDING', 'PROGRESS', 'COMPLETED'].includes(status)) throw new Error(`unexpected status ${status}`);
  const [rows] = await tw.sequelize.query(`SELECT COUNT(*) AS n FROM tw_tasks WHERE status = '${status}'`);
  return Number(rows[0].n);
}

async function enqueue(tw, n) {
  for (let i = 0; i < n; i += 1000) await tw.createTasks(Array.from({ length: Math.min(1000, n - i) }, () => ({ name: 'bench.noop' })));
}

/** Starts a worker and times until no task is left PENDING or PROGRESS (the history may shrink meanwhile). */
async function drain(tw) {
  const started = Date.now();
  const worker = await tw.startWorker();
  while ((await count(tw, 'PENDING')) + (await count(tw, 'PROGRESS')) > 0) await new Promise((r) => setTimeout(r, 25));
  const ms = Date.now() - started;
  await worker.stop();
  return ms;
}

async function addHistory(tw, rows) {
  // Test data only: finished rows written straight into the table, 100,000 per statement.
  const now = Date.now();
  for (let i = 0; i < rows; i += 100000) {
    await tw.sequelize.query(
      `INSERT INTO tw_tasks (id, name, args, kwargs, timeout, status, result, retry_count, max_retries, queue, priority, run_at,
         created_at, updated_at, started_at, finished_at, duration)
       SELECT 'h' || lpad(g::text, 21, '0'), 'bench.noop', '[]', '{}', 300, 'COMPLETED', 'null', 0, 0, 'default', 0, NULL,
         $1::bigint - g, $1::bigint - g, $1::bigint - g, $1::bigint - g, 0.001
       FROM generate_series($2::int, $3::int) AS g`, { bind: [now - 86_400_000, i + 1, Math.min(rows, i + 100000)] });
  }
  await tw.sequelize.query('VACUUM ANALYZE tw_tasks');
}

(async () => {
  const results = { machine: await describeMachine(), runs: [] };
  await freshDatabase();
  let tw = open();
  await tw.migrate();
  for (const n of SIZES) {
    await enqueue(tw, n);
    const ms = await drain(tw);
    results.runs.push({ case: `${n.toLocaleString('en-US')} queued, empty history`, n, ms, rate: Math.round(n / (ms / 1000)) });
    console.log(results.runs.at(-1));
  }
  await tw.sequelize.query("DELETE FROM tw_tasks");
  await tw.sequelize.query('VACUUM ANALYZE tw_tasks');
  await addHistory(tw, HISTORY);
  const n = SIZES[0];
  await enqueue(tw, n);
  let ms = await drain(tw);
  results.runs.push({ case: `${n.toLocaleString('en-US')} queued, ${HISTORY.toLocaleString('en-US')} finished rows`, n, ms, rate: Math.round(n / (ms / 1000)) });
  console.log(results.runs.at(-1));

  // Purge the history in batches while a worker drains another batch of tasks.
  await enqueue(tw, n);
  const purgeStarted = Date.now();
  let purgeMs = 0;
  const purging = tw.admin.purge(3_600_000, { batchSize: 5000 }).then((r) => {
    purgeMs = Date.now() - purgeStarted;
    return r;
  });
  ms = await drain(tw);
  const purged = await purging;
  results.runs.push({ case: `${n.toLocaleString('en-US')} queued while purging the history`, n, ms, rate: Math.round(n / (ms / 1000)),
    purge: { rows: purged.completed + purged.failed, ms: purgeMs } });
  console.log(results.runs.at(-1));
  await tw.close();

  console.log('\n| case | tasks | drain ms | tasks/s |\n|---|---:|---:|---:|');
  for (const r of results.runs) console.log(`| ${r.case} | ${r.n.toLocaleString('en-US')} | ${r.ms.toLocaleString('en-US')} | ${r.rate.toLocaleString('en-US')} |`);
  const out = path.join(__dirname, 'scale-results.json');
  fs.writeFileSync(out, JSON.stringify(results, null, 2));
  console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
