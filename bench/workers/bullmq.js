// Worker process for the BullMQ adapter: boots a Worker with autorun:false and waits for its
// Redis connection; "start" calls worker.run(); "stop" calls worker.close().
'use strict';
const { runWorker } = require('../harness/worker-runtime');

const onTaskRef = { fn: null }; // set on "start"; the Worker is created (not running) at boot

runWorker({
  async boot(cfg) {
    const { Worker } = require('bullmq');
    const worker = new Worker(cfg.queue, (job) => onTaskRef.fn(job.data), {
      connection: cfg.connection, prefix: cfg.prefix, concurrency: cfg.concurrency, autorun: false,
    });
    worker.on('error', (err) => console.error(`[bullmq ${process.pid}] ${err.message}`));
    await worker.waitUntilReady();
    return { worker };
  },
  async start({ worker }, onTask) {
    onTaskRef.fn = onTask;
    worker.run().catch((err) => console.error(`[bullmq ${process.pid}] run: ${err.message}`));
  },
  async stop({ worker }) {
    await worker.close();
  },
});
