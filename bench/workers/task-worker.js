// Worker process for the task-worker adapters. Boot only loads the library and the task file, as
// every other queue's boot does; "start" builds the TaskWorker and starts its worker (connections,
// threads, first claim), so start-up is timed from the start signal like graphile-worker's run().
// "stop" stops it gracefully (running tasks finish, completions commit).
'use strict';
const path = require('path');
const { runWorker } = require('../harness/worker-runtime');

const TASKS = path.join(__dirname, 'task-worker-tasks.js');

runWorker({
  async boot() {
    const { TaskWorker } = require(path.join(__dirname, '..', '..', 'dist', 'lib', 'index.js'));
    require(TASKS);
    return { TaskWorker, tw: null };
  },
  async start(state, onTask, cfg) {
    global.__twBenchOnTask = onTask;
    state.tw = new state.TaskWorker({
      databaseUrl: cfg.databaseUrl, redisUrl: cfg.redisUrl, channelPrefix: cfg.channelPrefix, concurrency: cfg.concurrency,
      modules: [TASKS], logLevel: 'warn', ...cfg.worker,
    });
    const worker = state.tw.createWorker();
    // Pool threads return { ...payload, __s: start time }: reported once the outcome is known.
    if ((cfg.worker.pool ?? 'thread') === 'thread') {
      worker.on('task:settled', ({ outcome }) => {
        if (outcome.ok) onTask(JSON.parse(outcome.result));
      });
    }
    await worker.start();
  },
  async stop(state) {
    if (state.tw) await state.tw.close();
  },
});
