// task-worker on MariaDB + Redis wake-ups, pool 'inline'.
'use strict';
const { makeTaskWorkerAdapter } = require('./_task-worker');

module.exports = makeTaskWorkerAdapter({
  id: 'task-worker-mariadb', name: 'task-worker (mariadb, inline)', dialect: 'mariadb',
  worker: { pool: 'inline', prefetch: 500, completionBatchDelay: 2 },
});
