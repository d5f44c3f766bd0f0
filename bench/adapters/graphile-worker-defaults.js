// graphile-worker with library defaults (LISTEN/NOTIFY wake-ups, no local queue, no completion
// batching, pollInterval 2000 ms); only concurrency is raised to 4 like every other adapter.
'use strict';
const { makeGraphileAdapter } = require('./_graphile');

module.exports = makeGraphileAdapter({
  id: 'graphile-worker-defaults',
  name: 'graphile-worker (defaults)',
  schema: 'gw_defaults',
  worker: {},
  notes: 'library defaults: no localQueue, completeJobBatchDelay/failJobBatchDelay -1, LISTEN/NOTIFY on, pollInterval 2000',
});
