// task-worker on PostgreSQL + Redis with the library's defaults: only the connection, the
// concurrency and the task file are given (the thread pool needs its task file).
'use strict';
const { makeTaskWorkerAdapter } = require('./_task-worker');

module.exports = makeTaskWorkerAdapter({
  id: 'task-worker-defaults', name: 'task-worker defaults (pg)', dialect: 'postgres', worker: {},
});
