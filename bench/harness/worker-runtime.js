// Child-process side of the bench IPC protocol, shared by every adapter's worker script.
// A worker script calls runWorker({ boot, start, stop }); this module handles ready/start/stop,
// records each handler run (key, start/end time, pick-up latency) and reports RSS.
'use strict';
const fs = require('fs');
const { performance } = require('perf_hooks');

const now = () => performance.timeOrigin + performance.now();
const MiB = 1024 * 1024;

function peakRssMiB() {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {}
  return null;
}

function runWorker({ boot, start, stop }) {
  if (!process.send) throw new Error('worker scripts must be started by bench/run.js (needs IPC)');
  const config = JSON.parse(process.env.BENCH_WORKER_CONFIG || '{}');
  let buf = [];
  let sampledPeak = 0;
  const flush = () => {
    if (buf.length) {
      process.send({ type: 'ran', items: buf });
      buf = [];
    }
  };
  const flushTimer = setInterval(flush, 20);
  const rssTimer = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss());
  }, 100);

  // The adapter's handler calls this with the task payload { k, t? } for every run.
  // A payload may carry __s, the start time measured where the handler ran (a pool thread).
  const onTask = async (payload) => {
    const s = payload && typeof payload.__s === 'number' ? payload.__s : now();
    const lat = payload && typeof payload.t === 'number' ? s - payload.t : null;
    buf.push([payload && payload.k, s, now(), lat]);
    if (buf.length >= 500) flush();
  };

  const fail = (err) => {
    try {
      process.send({ type: 'error', message: String((err && err.message) || err), stack: err && err.stack });
    } catch {}
    setTimeout(() => process.exit(1), 50);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);

  let state;
  process.on('message', async (msg) => {
    try {
      if (msg.type === 'start') {
        await start(state, onTask, config);
      } else if (msg.type === 'stop') {
        const rssMiB = process.memoryUsage.rss() / MiB; // "after drain": before shutting down
        flush();
        await stop(state, config);
        flush();
        clearInterval(flushTimer);
        clearInterval(rssTimer);
        const peak = peakRssMiB() ?? sampledPeak / MiB;
        process.send({ type: 'stopped', rssMiB, peakRssMiB: peak }, () => process.exit(0));
      }
    } catch (err) {
      fail(err);
    }
  });

  Promise.resolve()
    .then(() => boot(config))
    .then((s) => {
      state = s;
      process.send({ type: 'ready', pid: process.pid });
    })
    .catch(fail);
}

module.exports = { runWorker, now };
