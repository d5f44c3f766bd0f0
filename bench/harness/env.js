// Connection settings for the bench (local services only) and PostgreSQL helpers.
// Every URL is checked to point at loopback: the bench must never target another host.
'use strict';
const { Client } = require('pg');

const PG_BASE = process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432';
const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function assertLocal(url) {
  const host = new URL(url).hostname;
  if (!LOCAL_HOSTS.has(host)) throw new Error(`bench refuses non-loopback host ${host} (${url})`);
  return url;
}

function pgUrl(db) {
  return assertLocal(`${PG_BASE.replace(/\/+$/, '')}/${db}`);
}

function redisOptions() {
  const u = new URL(assertLocal(REDIS_URL));
  return { host: u.hostname, port: Number(u.port || 6379), maxRetriesPerRequest: null };
}

async function withPg(db, fn) {
  const c = new Client({ connectionString: pgUrl(db) });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

// CREATE DATABASE if it does not exist (connects to the always-present `postgres` DB).
async function ensureDatabase(db) {
  if (!/^[a-z_][a-z0-9_]*$/.test(db)) throw new Error(`bad database name ${db}`);
  await withPg('postgres', async (c) => {
    const r = await c.query('select 1 from pg_database where datname = $1', [db]);
    if (!r.rowCount) await c.query(`create database ${db}`);
  });
}

async function dropSchema(db, schema) {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`bad schema name ${schema}`);
  await withPg(db, (c) => c.query(`drop schema if exists ${schema} cascade`));
}

module.exports = { PG_BASE, REDIS_URL, assertLocal, pgUrl, redisOptions, withPg, ensureDatabase, dropSchema };

// Installed version of a bench dependency (reads its package.json directly: some packages
// restrict subpath exports, so require('x/package.json') is not always allowed).
function pkgVersion(name) {
  try {
    const p = require('path').join(__dirname, '..', 'node_modules', name, 'package.json');
    return JSON.parse(require('fs').readFileSync(p, 'utf8')).version;
  } catch {
    return 'unknown';
  }
}
module.exports.pkgVersion = pkgVersion;
