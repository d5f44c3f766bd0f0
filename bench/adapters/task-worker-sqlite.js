// task-worker on embedded SQLite (WAL, synchronous=FULL) + Redis wake-ups, pool 'inline'.
'use strict';
const { makeTaskWorkerAdapter } = require('./_task-worker');

module.exports = makeTaskWorkerAdapter({
  id: 'task-worker-sqlite', name: 'task-worker (sqlite, inline)', dialect: 'sqlite',
  worker: { pool: 'inline', prefetch: 500, completionBatchDelay: 2 },
});
