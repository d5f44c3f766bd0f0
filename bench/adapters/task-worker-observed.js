// task-worker tuned (pg, inline, prefetch 500) with everything an operator turns on: Prometheus
// metrics counted (and scraped every second, the gauges' database reading included) and an
// OpenTelemetry SDK registered in the worker, recording a consumer span per attempt (spans go to a
// batch processor whose exporter drops them). Side by side with task-worker-tuned it shows the cost.
'use strict';
const { makeTaskWorkerAdapter } = require('./_task-worker');

module.exports = makeTaskWorkerAdapter({
  id: 'task-worker-observed', name: 'task-worker observed (tuned + metrics + tracing)', dialect: 'postgres',
  worker: { pool: 'inline', prefetch: 500, observe: true },
});
