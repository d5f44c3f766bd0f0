// The bench's no-op task for task-worker (imports the light task entry, as task files should),
// loaded by the worker process and by each pool thread.
// On the main thread (pool 'inline') it reports its run at once; in a pool thread it returns its
// payload with its start time, and the worker process reports it when the outcome settles.
'use strict';
const path = require('path');
const { isMainThread } = require('worker_threads');
const { registerTask } = require(path.join(__dirname, '..', '..', 'dist', 'decorators', 'index.js'));

// Wall-clock ms: a thread's performance.timeOrigin is not the process's, so timeOrigin + now() is off.
const now = () => Date.now();

registerTask('bench.noop', async (payload) => {
  if (isMainThread) return global.__twBenchOnTask(payload);
  return { ...payload, __s: now() };
});
