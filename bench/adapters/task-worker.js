// task-worker on PostgreSQL + Redis, tasks on the worker's event loop (pool 'inline').
'use strict';
const { makeTaskWorkerAdapter } = require('./_task-worker');

module.exports = makeTaskWorkerAdapter({
  id: 'task-worker', name: 'task-worker (pg, inline)', dialect: 'postgres',
  worker: { pool: 'inline', prefetch: 500, completionBatchDelay: 2 },
});
