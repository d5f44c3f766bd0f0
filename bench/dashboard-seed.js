// Test data for the dashboard benchmark: n task rows spread over the last 7 days, newest PENDING,
// a few running, 3% FAILED for good, 0.2% waiting for a retry, the rest COMPLETED; five queues (one
// rare: 0.1%) and seven task names (one rare: 0.05%). Written straight into the table, 1,000 rows
// per statement, with ids made from each row's creation time (as the client's are), and run_at
// empty once a task cannot run again (COMPLETED, FAILED for good), as the engine leaves it.
'use strict';
const path = require('path');

const { idAt } = require(path.join(__dirname, '..', 'dist', 'lib', 'ids.js'));

const ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

const COLUMNS = ['id', 'name', 'args', 'kwargs', 'timeout', 'status', 'result', 'error', 'retry_count', 'max_retries', 'queue', 'priority',
  'run_at', 'created_at', 'updated_at', 'started_at', 'finished_at', 'duration', 'locked_by', 'lease_expires_at'];
const SPAN_MS = 7 * 86_400_000;
const RECENT_MS = 10 * 60_000;
const STACK = 'Error: supplier API answered 503\n    at SupplierClient.call (dist/app/supplier.js:41:11)\n    at App.sync (dist/app/tasks.js:77:5)';

/** Deterministic pseudo-random numbers (mulberry32), so every run seeds the same table. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick(r) {
  if (r < 0.60) return ['default', r < 0.0005 ? 'app.audit.rare' : r < 0.3 ? 'app.images.resize' : 'app.search.index'];
  if (r < 0.85) return ['emails', 'app.emails.send'];
  if (r < 0.95) return ['reports', 'app.reports.build'];
  if (r < 0.999) return ['sync', 'app.sync.inventory'];
  return ['billing', 'app.billing.invoice'];
}

/**
 * An id of millisecond `ms` whose last 6 characters are random: within that millisecond, as the
 * client's ids are (newTaskId would count up from the newest id this process made instead, and
 * the seed goes back in time).
 */
function idOf(ms, rnd) {
  let tail = '';
  for (let k = 0; k < 6; k++) tail += ALPHABET[Math.floor(rnd() * ALPHABET.length)];
  return idAt(ms).slice(0, 16) + tail;
}

function row(i, n, now, rnd) {
  const createdAt = now - SPAN_MS + Math.floor((i * SPAN_MS) / n);
  const [queue, name] = pick(rnd());
  const base = { id: idOf(createdAt, rnd), name, args: JSON.stringify([i, `order-${i}`]), kwargs: '{}', timeout: 300, status: 'COMPLETED',
    result: null, error: null, retry_count: 0, max_retries: 2, queue, priority: 0, run_at: createdAt, created_at: createdAt,
    updated_at: createdAt, started_at: null, finished_at: null, duration: null, locked_by: null, lease_expires_at: null };
  const recent = createdAt > now - RECENT_MS;
  const s = rnd();
  if (recent && s < 0.02) {
    return { ...base, status: 'PROGRESS', started_at: now - 1000, locked_by: 'bench-host:4242:abcdef', lease_expires_at: now + 30_000 };
  }
  if (recent) return { ...base, status: 'PENDING', max_retries: null };
  const startedAt = createdAt + 20;
  const finished = { started_at: startedAt, finished_at: startedAt + 150, duration: 0.15, updated_at: startedAt + 150 };
  if (s < 0.03) return { ...base, ...finished, status: 'FAILED', run_at: null, retry_count: 2, error: `${STACK}\n(task ${i})` };
  if (s < 0.032) return { ...base, ...finished, status: 'FAILED', run_at: now + 3_600_000, retry_count: 1, error: STACK };
  return { ...base, ...finished, run_at: null, result: JSON.stringify({ ok: true, n: i }) };
}

/** Inserts n rows (ending at `now`) into tw_tasks through the store's statement runner. */
async function seedTasks(tw, n, now = Date.now(), onProgress = () => undefined) {
  const rnd = random(42);
  const chunk = 1000;
  for (let start = 0; start < n; start += chunk) {
    const rows = [];
    for (let i = start; i < Math.min(n, start + chunk); i++) rows.push(row(i, n, now, rnd));
    const values = [];
    const tuples = rows.map((r) => `(${COLUMNS.map((c) => { values.push(r[c]); return `$${values.length}`; }).join(', ')})`);
    await tw.store.runner.execute(`INSERT INTO tw_tasks (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, values);
    onProgress(start + rows.length);
  }
}

module.exports = { seedTasks };
