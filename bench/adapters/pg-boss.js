// pg-boss v12 (ESM-only, loaded with dynamic import()) tuned per its docs for speed:
// LISTEN/NOTIFY wake-ups (useListenNotify + queue notify), batch fetch, burst fetching, 0.5 s polling.
'use strict';
const path = require('path');
const { pgUrl, ensureDatabase, dropSchema, withPg, pkgVersion } = require('../harness/env');

const DB = 'bench_pgboss';
const SCHEMA = 'pgboss_bench';
const QUEUE = 'bench';
const boss = { useListenNotify: true, schedule: false };
const queue = { notify: true };
const work = { batchSize: 50, localConcurrency: 4, pollingIntervalSeconds: 0.5, burstWhenBatchFull: true };
let instance = null;

module.exports = {
  id: 'pg-boss',
  name: 'pg-boss',
  version: `pg-boss ${pkgVersion('pg-boss')}`,
  settings: {
    database: DB, schema: SCHEMA, constructor: boss, createQueue: queue,
    work: { ...work, localConcurrency: 'per --concurrency (4)' },
    handler: 'jobs of a fetched batch run one after another, so at most `concurrency` handlers run at once per process',
    enqueueOne: 'send()', enqueueBulk: 'insert()',
  },
  workerScript: path.join(__dirname, '..', 'workers', 'pg-boss.js'),

  async setup() {
    const { PgBoss } = await import('pg-boss');
    const connectionString = pgUrl(DB);
    await ensureDatabase(DB);
    await dropSchema(DB, SCHEMA);
    instance = new PgBoss({ connectionString, schema: SCHEMA, ...boss });
    instance.on('error', (err) => console.error(`[pg-boss] ${err.message}`));
    await instance.start();
    await instance.createQueue(QUEUE, queue);
    return { connectionString, schema: SCHEMA, queue: QUEUE, boss, work };
  },
  async teardown() {
    if (instance) await instance.stop({ graceful: false, timeout: 5000 });
    instance = null;
  },
  enqueueOne: (payload) => instance.send(QUEUE, payload),
  enqueueBulk: (payloads) => instance.insert(QUEUE, payloads.map((data) => ({ data }))),
  async countPending() {
    return withPg(DB, async (c) => (await c.query(`select count(*)::int as n from ${SCHEMA}.job where name = $1 and state in ('created','retry','active')`, [QUEUE])).rows[0].n);
  },
};
