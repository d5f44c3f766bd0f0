// STUB adapter for our own queue (task-worker); the lead finishes it once dist/lib/index.js exists.
// run.js skips this adapter (with a message) while ../dist/lib/index.js is missing.
'use strict';
const fs = require('fs');
const path = require('path');
const { pgUrl, ensureDatabase, dropSchema, redisOptions } = require('../harness/env');

const DIST = path.join(__dirname, '..', '..', 'dist', 'lib', 'index.js');
const DB = 'bench_taskworker';
const SCHEMA = 'tw_bench';

module.exports = {
  id: 'task-worker',
  name: 'task-worker',
  version: 'task-worker (repo dist/)',
  // TODO(lead): list the options the worker runs with (batching, wake-ups, polling) so they print in the report.
  settings: { database: DB, schema: SCHEMA, redis: 'wake-ups/locks', concurrency: 'per --concurrency (4)' },
  workerScript: path.join(__dirname, '..', 'workers', 'task-worker.js'),

  // Returns true, or a string saying why the adapter is skipped.
  available() {
    if (!fs.existsSync(DIST)) return `${path.relative(process.cwd(), DIST)} not found (run \`npm run build\` at the repo root)`;
    return true;
  },

  async setup() {
    await ensureDatabase(DB);
    await dropSchema(DB, SCHEMA); // start every scenario from an empty queue
    // TODO(lead): const tw = require(DIST); create the schema/migrations and a client for enqueueing,
    //             e.g. this.client = await tw.createClient({ connectionString: pgUrl(DB), schema: SCHEMA, redis: redisOptions() });
    //             Also flush any Redis keys task-worker uses for this schema (or use a fresh prefix per call).
    // Whatever is returned here is JSON-serialised and handed to workers/task-worker.js (plus `concurrency`).
    return { connectionString: pgUrl(DB), schema: SCHEMA, redis: redisOptions() };
  },
  async teardown() {
    // TODO(lead): close the enqueue client / pools opened in setup().
  },
  async enqueueOne(payload) {
    // TODO(lead): enqueue ONE task of type 'noop' with this JSON payload ({ k, t? }) and await it.
    throw new Error('task-worker adapter: enqueueOne not implemented yet');
  },
  async enqueueBulk(payloads) {
    // TODO(lead): enqueue all payloads with the bulk API (one round trip if possible) and await it.
    throw new Error('task-worker adapter: enqueueBulk not implemented yet');
  },
  // Optional: number of tasks not yet completed (queued/running/retrying); enables the pending checks.
  // async countPending() { ... }
};
