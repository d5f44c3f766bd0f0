// graphile-worker with the batching options its performance docs recommend for throughput
// (localQueue + completeJobBatchDelay/failJobBatchDelay = 0), concurrency 4.
'use strict';
const { makeGraphileAdapter } = require('./_graphile');

module.exports = makeGraphileAdapter({
  id: 'graphile-worker-batched',
  name: 'graphile-worker (batched)',
  schema: 'gw_batched',
  worker: {
    localQueue: { size: 500 },
    completeJobBatchDelay: 0,
    failJobBatchDelay: 0,
  },
  notes: 'preset per worker.graphile.org/docs/performance (localQueue.size 500, batch delays 0); maxPoolSize default 10; LISTEN/NOTIFY on',
});
