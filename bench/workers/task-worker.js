// STUB worker process for the task-worker adapter (see adapters/task-worker.js); the lead fills in
// the TODOs. Protocol: boot -> "ready"; "start" -> begin consuming; each run calls onTask(payload).
'use strict';
const path = require('path');
const { runWorker } = require('../harness/worker-runtime');

runWorker({
  async boot(cfg) {
    // TODO(lead): load the library and connect, but do NOT start consuming yet.
    const tw = require(path.join(__dirname, '..', '..', 'dist', 'lib', 'index.js'));
    return { tw, worker: null };
  },
  async start(s, onTask, cfg) {
    // TODO(lead): start a worker with concurrency cfg.concurrency whose 'noop' handler is
    //             `(payload) => onTask(payload)` (await it), connected to cfg.connectionString / cfg.schema / cfg.redis.
    throw new Error('task-worker worker script: start not implemented yet');
  },
  async stop(s) {
    // TODO(lead): graceful shutdown (let in-flight tasks finish and their completions commit).
  },
});
