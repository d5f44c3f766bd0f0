// Parent side of the bench IPC protocol: forks an adapter's worker script N times,
// waits for "ready", broadcasts "start"/"stop" and feeds every "ran" item into a Collector.
'use strict';
const { fork } = require('child_process');

function waitMsg(child, type, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => done(new Error(`timeout (${timeoutMs} ms) waiting for ${what}`)), timeoutMs);
    const onMsg = (m) => m && m.type === type && done(null, m);
    const onErr = (m) => m && m.type === 'error' && done(new Error(`worker ${child.pid}: ${m.message}`));
    const onExit = (code) => done(new Error(`worker ${child.pid} exited (${code}) while waiting for ${what}`));
    function done(err, v) {
      clearTimeout(t);
      child.off('message', onMsg);
      child.off('message', onErr);
      child.off('exit', onExit);
      err ? reject(err) : resolve(v);
    }
    child.on('message', onMsg);
    child.on('message', onErr);
    child.on('exit', onExit);
  });
}

class WorkerGroup {
  constructor(script, config, count, collector) {
    this.errors = [];
    this.children = [];
    for (let i = 0; i < count; i++) {
      const child = fork(script, [], {
        env: { ...process.env, BENCH_WORKER_CONFIG: JSON.stringify({ ...config, workerIndex: i }) },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        // e.g. BENCH_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=prof" to profile the workers
        execArgv: (process.env.BENCH_WORKER_NODE_ARGS || '').split(' ').filter(Boolean),
      });
      child.on('message', (m) => {
        if (m.type === 'ran') collector.add(m.items);
        else if (m.type === 'error') {
          this.errors.push(m.message);
          collector.fail(`worker ${child.pid} error: ${m.message}`);
        }
      });
      this.children.push(child);
    }
  }

  ready(timeoutMs = 60000) {
    return Promise.all(this.children.map((c) => waitMsg(c, 'ready', timeoutMs, 'worker ready')));
  }

  start() {
    for (const c of this.children) c.send({ type: 'start' });
  }

  // Graceful stop; returns [{ rssMiB, peakRssMiB }] per worker (null for a worker that failed to stop).
  async stop(timeoutMs = 30000) {
    return Promise.all(
      this.children.map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return null;
        const p = waitMsg(c, 'stopped', timeoutMs, 'worker stop');
        c.send({ type: 'stop' });
        try {
          const m = await p;
          await new Promise((r) => (c.exitCode !== null ? r() : c.once('exit', r)));
          return { rssMiB: m.rssMiB, peakRssMiB: m.peakRssMiB };
        } catch (err) {
          this.errors.push(err.message);
          c.kill('SIGKILL');
          return null;
        }
      }),
    );
  }

  kill() {
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGKILL');
  }
}

module.exports = { WorkerGroup };
