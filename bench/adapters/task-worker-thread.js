// task-worker on PostgreSQL + Redis, tasks in worker threads (pool 'thread', the default).
'use strict';
const { makeTaskWorkerAdapter } = require('./_task-worker');

module.exports = makeTaskWorkerAdapter({
  id: 'task-worker-thread', name: 'task-worker (pg, thread)', dialect: 'postgres',
  worker: { pool: 'thread', prefetch: 500, completionBatchDelay: 2 },
});
