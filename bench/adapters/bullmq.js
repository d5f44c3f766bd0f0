// BullMQ (Redis only): Queue.add / Queue.addBulk, Worker with concurrency 4, library defaults
// otherwise. Each scenario uses a fresh key prefix and obliterates the queue afterwards.
'use strict';
const path = require('path');
const { redisOptions, pkgVersion } = require('../harness/env');

const QUEUE = 'bench';
let queue = null;
let seq = 0;

module.exports = {
  id: 'bullmq',
  name: 'bullmq',
  version: `bullmq ${pkgVersion('bullmq')}`,
  settings: {
    redis: `${redisOptions().host}:${redisOptions().port}`, queue: QUEUE, prefix: 'bench-<pid>-<n> (fresh per scenario)',
    worker: { concurrency: 'per --concurrency (4)' }, jobOptions: 'defaults (completed jobs kept)',
    enqueueOne: 'Queue.add', enqueueBulk: 'Queue.addBulk',
  },
  workerScript: path.join(__dirname, '..', 'workers', 'bullmq.js'),

  async setup() {
    const { Queue } = require('bullmq');
    const prefix = `bench-${process.pid}-${++seq}`;
    queue = new Queue(QUEUE, { connection: redisOptions(), prefix });
    await queue.waitUntilReady();
    return { queue: QUEUE, prefix, connection: redisOptions() };
  },
  async teardown() {
    if (!queue) return;
    await queue.obliterate({ force: true });
    await queue.close();
    queue = null;
  },
  enqueueOne: (payload) => queue.add('noop', payload),
  enqueueBulk: (payloads) => queue.addBulk(payloads.map((data) => ({ name: 'noop', data }))),
  async countPending() {
    const c = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused');
    return Object.values(c).reduce((a, b) => a + b, 0);
  },
};
