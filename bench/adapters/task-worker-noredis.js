// task-worker on PostgreSQL without Redis, defaults otherwise: workers learn of new tasks by polling
// (every 0.2 s here).
'use strict';
const { makeTaskWorkerAdapter } = require('./_task-worker');

module.exports = makeTaskWorkerAdapter({
  id: 'task-worker-noredis', name: 'task-worker defaults (pg, no Redis, poll 0.2 s)', dialect: 'postgres', redis: false,
  worker: { pollInterval: 0.2 },
});
