// task-worker on embedded SQLite (WAL, synchronous=FULL) + Redis wake-ups, with the library's defaults.
'use strict';
const { makeTaskWorkerAdapter } = require('./_task-worker');

module.exports = makeTaskWorkerAdapter({
  id: 'task-worker-sqlite', name: 'task-worker defaults (sqlite)', dialect: 'sqlite',
  worker: {},
});
