// task-worker on MariaDB + Redis wake-ups, with the library's defaults.
'use strict';
const { makeTaskWorkerAdapter } = require('./_task-worker');

module.exports = makeTaskWorkerAdapter({
  id: 'task-worker-mariadb', name: 'task-worker defaults (mariadb)', dialect: 'mariadb',
  worker: {},
});
