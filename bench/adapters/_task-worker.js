// Shared task-worker adapter factory: one row per database and pool. Every scenario starts from a
// fresh database (dropped and re-migrated) and a fresh Redis channel prefix.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { randomBytes } = require('crypto');
const { pgUrl, ensureDatabase, assertLocal, REDIS_URL, withPg } = require('../harness/env');

const DIST = path.join(__dirname, '..', '..', 'dist', 'lib', 'index.js');
const MARIADB_BASE = process.env.BENCH_MARIADB_URL || 'mysql://root@127.0.0.1:3306';

/** Drops and recreates database `db` (PostgreSQL, MariaDB) or its file (SQLite); returns its URL. */
async function freshDatabase(dialect, db) {
  if (dialect === 'postgres') {
    await ensureDatabase('postgres');
    await withPg('postgres', async (c) => {
      await c.query(`drop database if exists ${db} with (force)`);
      await c.query(`create database ${db}`);
    });
    return pgUrl(db);
  }
  if (dialect === 'mariadb') {
    const { Sequelize } = require(path.join(__dirname, '..', '..', 'node_modules', 'sequelize'));
    const admin = new Sequelize(assertLocal(`${MARIADB_BASE}/mysql`), { logging: false, dialect: 'mysql' });
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${db}`);
      await admin.query(`CREATE DATABASE ${db}`);
    } finally {
      await admin.close();
    }
    return `${MARIADB_BASE}/${db}`;
  }
  const file = path.join(os.tmpdir(), `${db}.sqlite`);
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  return `sqlite:${file}`;
}

function makeTaskWorkerAdapter({ id, name, dialect, worker, redis = true }) {
  const db = `bench_${id.replace(/-/g, '_')}`;
  let tw = null;
  return {
    id,
    name,
    version: 'task-worker (repo dist/)',
    settings: { database: dialect, redis: redis ? 'pub/sub wake-ups' : 'none (workers poll)', concurrency: 'per --concurrency (4)', ...worker,
      enqueueOne: 'createTask', enqueueBulk: 'createTasks (1,000 per call)' },
    workerScript: path.join(__dirname, '..', 'workers', 'task-worker.js'),

    available() {
      if (!fs.existsSync(DIST)) return `${path.relative(process.cwd(), DIST)} not found (run \`npm run build\` at the repo root)`;
      return true;
    },

    async setup() {
      const { TaskWorker, TaskRegistry } = require(DIST);
      const databaseUrl = await freshDatabase(dialect, db);
      const channelPrefix = `twbench-${randomBytes(4).toString('hex')}`;
      const redisUrl = redis ? REDIS_URL : null;
      tw = new TaskWorker({ databaseUrl, redisUrl, channelPrefix, registry: new TaskRegistry(), logLevel: 'warn' });
      await tw.migrate();
      return { databaseUrl, redisUrl, channelPrefix, worker };
    },
    async teardown() {
      if (tw) await tw.close();
      tw = null;
    },
    enqueueOne: (payload) => tw.createTask('bench.noop', { args: [payload] }),
    enqueueBulk: (payloads) => tw.createTasks(payloads.map((payload) => ({ name: 'bench.noop', args: [payload] }))),
    async countPending() {
      const [rows] = await tw.sequelize.query("SELECT COUNT(*) AS n FROM tw_tasks WHERE status <> 'COMPLETED'");
      return Number(rows[0].n);
    },
  };
}

module.exports = { makeTaskWorkerAdapter, freshDatabase };
