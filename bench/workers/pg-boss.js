// Worker process for the pg-boss adapter: boots a PgBoss instance (start() = connect, schema check,
// LISTEN), then on "start" registers work() with localConcurrency = concurrency; "stop" = offWork + stop.
'use strict';
const { runWorker } = require('../harness/worker-runtime');

runWorker({
  async boot(cfg) {
    const { PgBoss } = await import('pg-boss');
    const boss = new PgBoss({ connectionString: cfg.connectionString, schema: cfg.schema, ...cfg.boss });
    boss.on('error', (err) => console.error(`[pg-boss ${process.pid}] ${err.message}`));
    await boss.start();
    return { boss };
  },
  async start({ boss }, onTask, cfg) {
    await boss.work(cfg.queue, { ...cfg.work, localConcurrency: cfg.concurrency }, async (jobs) => {
      for (const job of jobs) await onTask(job.data);
    });
  },
  async stop({ boss }, cfg) {
    await boss.offWork(cfg.queue, { wait: true });
    await boss.stop({ graceful: true, timeout: 10000 });
  },
});
