// task-worker on PostgreSQL + Redis with the thread pool (the default pool) and a reserve of 500
// claimed tasks, as graphile-worker's batched row keeps in its local queue.
'use strict';
const { makeTaskWorkerAdapter } = require('./_task-worker');

module.exports = makeTaskWorkerAdapter({
  id: 'task-worker-thread-tuned', name: 'task-worker tuned (pg, thread, prefetch 500)', dialect: 'postgres',
  worker: { pool: 'thread', prefetch: 500 },
});
