// Worker process for the graphile-worker adapters: boots (module load + logger), then on "start"
// calls graphile-worker's run() with a single no-op task `noop`; "stop" calls runner.stop().
'use strict';
const { runWorker } = require('../harness/worker-runtime');

runWorker({
  async boot(cfg) {
    const gw = await import('graphile-worker'); // 0.18 is ESM-only; import() works on every Node 20
    const logger = new gw.Logger((scope) => (level, message) => {
      if (level === 'error') console.error(`[graphile-worker ${process.pid}] ${message}`);
    });
    return { gw, logger, runner: null };
  },
  async start(s, onTask, cfg) {
    s.runner = await s.gw.run({
      connectionString: cfg.connectionString,
      noHandleSignals: true,
      taskList: { noop: (payload) => onTask(payload) },
      crontab: '',
      logger: s.logger,
      preset: { worker: { schema: cfg.schema, concurrentJobs: cfg.concurrency, ...cfg.worker } },
    });
  },
  async stop(s) {
    if (s.runner) await s.runner.stop();
  },
});
