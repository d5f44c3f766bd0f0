// Shared graphile-worker adapter factory; graphile-worker-batched.js and graphile-worker-defaults.js
// only differ in the worker preset. Each scenario drops and re-migrates the schema.
'use strict';
const path = require('path');
const { pgUrl, ensureDatabase, dropSchema, withPg, pkgVersion } = require('../harness/env');

const DB = 'bench_graphile';

function makeGraphileAdapter({ id, name, schema, worker, notes }) {
  const connectionString = pgUrl(DB);
  let utils = null;
  return {
    id,
    name,
    version: `graphile-worker ${pkgVersion('graphile-worker')}`,
    settings: { database: DB, schema, concurrency: 'per --concurrency (4)', ...worker, enqueueOne: 'WorkerUtils.addJob', enqueueBulk: 'WorkerUtils.addJobs', notes },
    workerScript: path.join(__dirname, '..', 'workers', 'graphile-worker.js'),

    async setup() {
      const { makeWorkerUtils, runMigrations, Logger } = await import('graphile-worker'); // 0.18 is ESM-only
      const logger = new Logger(() => () => {});
      await ensureDatabase(DB);
      await dropSchema(DB, schema);
      await runMigrations({ connectionString, schema, logger });
      utils = await makeWorkerUtils({ connectionString, schema, logger });
      return { connectionString, schema, worker };
    },
    async teardown() {
      if (utils) await utils.release();
      utils = null;
    },
    enqueueOne: (payload) => utils.addJob('noop', payload),
    enqueueBulk: (payloads) => utils.addJobs(payloads.map((payload) => ({ identifier: 'noop', payload }))),
    async countPending() {
      return withPg(DB, async (c) => (await c.query(`select count(*)::int as n from ${schema}._private_jobs`)).rows[0].n);
    },
  };
}

module.exports = { makeGraphileAdapter };
