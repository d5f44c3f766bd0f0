// task-worker on PostgreSQL without Redis: workers learn of new tasks by polling (every 0.2 s here).
'use strict';
const { makeTaskWorkerAdapter } = require('./_task-worker');

module.exports = makeTaskWorkerAdapter({
  id: 'task-worker-noredis', name: 'task-worker (pg, inline, no Redis)', dialect: 'postgres', redis: false,
  worker: { pool: 'inline', prefetch: 500, completionBatchDelay: 2, pollInterval: 0.2 },
});
