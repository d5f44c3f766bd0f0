// The bench scenarios. Each runs against a freshly set-up (empty) adapter queue and returns
// { value, ...details, check: { ok, ... } }; run.js repeats them and takes medians.
'use strict';
const { Collector } = require('./collector');
const { WorkerGroup } = require('./procs');
const { now } = require('./worker-runtime');
const { percentile } = require('./stats');
const { cpuSnapshot, cpuPerTask } = require('./cpu');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const payloads = (n) => Array.from({ length: n }, (_, i) => ({ k: `k${i}` }));

async function pendingCheck(adapter, expected) {
  if (typeof adapter.countPending !== 'function') return {};
  const pending = await adapter.countPending();
  return { pending, pendingOk: pending === expected };
}

async function enqueueOne(adapter, o) {
  const n = o.enqueueOneN;
  const cpuBefore = cpuSnapshot([process.pid]);
  const t0 = now();
  for (let i = 0; i < n; i++) await adapter.enqueueOne({ k: `k${i}` });
  const ms = now() - t0;
  const cpuUsPerTask = cpuPerTask(cpuBefore, cpuSnapshot([process.pid]), n, 'client');
  const pc = await pendingCheck(adapter, n);
  return { value: (n / ms) * 1000, n, ms, cpuUsPerTask, check: { ok: pc.pendingOk !== false, expected: n, ...pc } };
}

async function enqueueBulk(adapter, o) {
  const n = o.bulkN;
  const all = payloads(n);
  const cpuBefore = cpuSnapshot([process.pid]);
  const t0 = now();
  for (let i = 0; i < n; i += o.bulkBatch) await adapter.enqueueBulk(all.slice(i, i + o.bulkBatch));
  const ms = now() - t0;
  const cpuUsPerTask = cpuPerTask(cpuBefore, cpuSnapshot([process.pid]), n, 'client');
  const pc = await pendingCheck(adapter, n);
  return { value: (n / ms) * 1000, n, batch: o.bulkBatch, ms, cpuUsPerTask, check: { ok: pc.pendingOk !== false, expected: n, ...pc } };
}

// Runs `body(group, collector)` with `procs` worker processes; always stops/kills them.
async function withWorkers(adapter, workerConfig, procs, n, o, body) {
  const collector = new Collector(n);
  const group = new WorkerGroup(adapter.workerScript, { ...workerConfig, concurrency: o.concurrency }, procs, collector);
  try {
    const tBoot = now();
    await group.ready();
    const bootMs = now() - tBoot;
    const out = await body(group, collector, bootMs);
    await sleep(o.graceMs); // late duplicates would show up here
    const rss = await group.stop();
    const check = collector.check();
    if (group.errors.length) Object.assign(check, { ok: false, workerErrors: group.errors });
    return { ...out, rss, check };
  } catch (err) {
    group.kill();
    const check = collector.check();
    return { value: null, error: err.message, check: { ...check, ok: false } };
  }
}

function drain(procs) {
  return async (adapter, o, workerConfig) => {
    const n = o.drainN;
    const all = payloads(n);
    for (let i = 0; i < n; i += 1000) await adapter.enqueueBulk(all.slice(i, i + 1000));
    const pre = await pendingCheck(adapter, n);
    const res = await withWorkers(adapter, workerConfig, procs, n, o, async (group, col, bootMs) => {
      const pids = group.children.map((c) => c.pid);
      const cpuBefore = cpuSnapshot(pids);
      const t0 = now();
      group.start();
      await col.waitFor(n, o.drainTimeoutMs);
      const ms = col.maxEnd - t0;
      // The window runs until the bench has heard of the last task (up to ~20 ms after it ran); ticks are 10 ms.
      const cpuUsPerTask = cpuPerTask(cpuBefore, cpuSnapshot(pids), n, 'worker');
      return {
        value: (n / ms) * 1000, n, procs, ms, wallMs: now() - t0, bootMs, cpuUsPerTask,
        firstTaskMs: col.minStart - t0, steadyRate: col.steadyRate(),
      };
    });
    const post = await pendingCheck(adapter, 0);
    if (pre.pendingOk === false || post.pendingOk === false) res.check.ok = false;
    Object.assign(res.check, { pendingBefore: pre.pending, pendingAfter: post.pending });
    return res;
  };
}

async function pickup(adapter, o, workerConfig) {
  const n = o.latencyN;
  return withWorkers(adapter, workerConfig, 1, n, o, async (group, col) => {
    group.start();
    await sleep(o.idleBeforeMs); // let the worker settle into its idle state
    const base = now();
    for (let i = 0; i < n; i++) {
      const wait = base + i * o.latencyGapMs - now();
      if (wait > 0) await sleep(wait);
      const t = now();
      await adapter.enqueueOne({ k: `k${i}`, t });
    }
    await col.waitFor(n, o.drainTimeoutMs);
    const l = col.latencies;
    return { value: percentile(l, 50), p50: percentile(l, 50), p95: percentile(l, 95), p99: percentile(l, 99), max: Math.max(...l), n };
  });
}

const SCENARIOS = [
  { id: 'drain1', title: 'drain 1 proc c4', unit: 'tasks/s', needsWorker: true, run: drain(1) },
  { id: 'drain2', title: 'drain 2 procs c4', unit: 'tasks/s', needsWorker: true, run: drain(2) },
  { id: 'drain4', title: 'drain 4 procs c4', unit: 'tasks/s', needsWorker: true, run: drain(4) },
  { id: 'enqueueOne', title: 'enqueue 1-by-1', unit: 'tasks/s', run: enqueueOne },
  { id: 'enqueueBulk', title: 'enqueue bulk', unit: 'tasks/s', run: enqueueBulk },
  { id: 'pickup', title: 'pick-up p50/p95/p99 ms', unit: 'ms', needsWorker: true, run: pickup },
];

module.exports = { SCENARIOS, sleep };
