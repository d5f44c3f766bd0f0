// task-worker on PostgreSQL + Redis, tuned: tasks on the worker's event loop (pool 'inline') and a
// reserve of 500 claimed tasks, the size of graphile-worker's local queue in its batched row.
'use strict';
const { makeTaskWorkerAdapter } = require('./_task-worker');

module.exports = makeTaskWorkerAdapter({
  id: 'task-worker-tuned', name: 'task-worker tuned (pg, inline, prefetch 500)', dialect: 'postgres',
  worker: { pool: 'inline', prefetch: 500 },
});
