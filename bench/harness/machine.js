// Describes the machine and the services the bench ran against (versions queried from the servers).
'use strict';
const os = require('os');
const { withPg, redisOptions } = require('./env');

async function pgVersion() {
  try {
    return await withPg('postgres', async (c) => {
      const v = (await c.query('show server_version')).rows[0].server_version;
      const r = await c.query("select name, setting, unit from pg_settings where name in ('synchronous_commit','fsync','shared_buffers','max_connections') order by name");
      return `${v} [${r.rows.map((x) => `${x.name}=${x.unit === '8kB' ? `${(x.setting * 8) / 1024}MB` : x.setting + (x.unit || '')}`).join(', ')}]`;
    });
  } catch (err) {
    return `unavailable (${err.message})`;
  }
}

async function redisVersion() {
  const Redis = require('ioredis');
  const r = new Redis({ ...redisOptions(), lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await r.connect();
    const info = await r.info('server');
    const persist = await r.info('persistence');
    const aof = (/aof_enabled:(\d)/.exec(persist) || [])[1];
    const save = await r.config('GET', 'save').then((x) => x[1], () => '?');
    return `${(/redis_version:(\S+)/.exec(info) || [])[1] || 'unknown'} [appendonly=${aof === '1' ? 'yes' : 'no'}, save="${save}"]`;
  } catch (err) {
    return `unavailable (${err.message})`;
  } finally {
    r.disconnect();
  }
}

async function describeMachine() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0] ? cpus[0].model.trim() : 'unknown',
    cpuCount: cpus.length,
    totalMemGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAvgAtStart: os.loadavg().map((x) => +x.toFixed(2)),
    postgres: await pgVersion(),
    redis: await redisVersion(),
  };
}

module.exports = { describeMachine };
