// Worker process for the task-worker adapters: a TaskWorker with the adapter's settings; "start"
// starts the worker, "stop" stops it gracefully (running tasks finish, completions commit).
'use strict';
const path = require('path');
const { runWorker } = require('../harness/worker-runtime');

const TASKS = path.join(__dirname, 'task-worker-tasks.js');

runWorker({
  async boot(cfg) {
    const { TaskWorker } = require(path.join(__dirname, '..', '..', 'dist', 'lib', 'index.js'));
    require(TASKS);
    const tw = new TaskWorker({
      databaseUrl: cfg.databaseUrl, redisUrl: cfg.redisUrl, channelPrefix: cfg.channelPrefix, concurrency: cfg.concurrency,
      modules: [TASKS], logLevel: 'warn', ...cfg.worker,
    });
    // Threads start (and load the task module) here, before "ready": boot time is not measured.
    const worker = tw.createWorker();
    await worker.prepare();
    return { tw, worker };
  },
  async start(state, onTask, cfg) {
    global.__twBenchOnTask = onTask;
    // Pool threads return { ...payload, __s: start time }: reported once the outcome is known.
    if (cfg.worker.pool === 'thread') {
      state.worker.on('task:settled', ({ outcome }) => {
        if (outcome.ok) onTask(JSON.parse(outcome.result));
      });
    }
    await state.worker.start();
  },
  async stop(state) {
    await state.tw.close();
  },
});
