// CPU accounting for the scenarios (Linux /proc): the CPU time of the given processes (the worker
// processes, or the bench itself as the enqueuing client; all their threads) and that of the
// database and Redis servers on this machine, so that a rate can be read as "what each task
// costs, and where". Returns null where /proc is not available.
'use strict';
const fs = require('fs');

const SERVERS = { postgres: 'database', mariadbd: 'database', mysqld: 'database', 'redis-server': 'redis' };
const TICK_MS = 10; // USER_HZ is 100 on every Linux build Node supports

function ticksOf(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** CPU milliseconds used so far by the given pids (together), and by the servers, grouped. */
function cpuSnapshot(pids) {
  if (!fs.existsSync('/proc/self/stat')) return null;
  const snap = { processes: 0, database: 0, redis: 0 };
  for (const pid of pids) {
    try {
      snap.processes += ticksOf(pid).ticks * TICK_MS;
    } catch {} // exited
  }
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const { comm, ticks } = ticksOf(entry);
      if (SERVERS[comm]) snap[SERVERS[comm]] += ticks * TICK_MS;
    } catch {} // gone meanwhile
  }
  return snap;
}

/** Microseconds of CPU per task between two snapshots; `label` names the processes' share. */
function cpuPerTask(before, after, tasks, label) {
  if (!before || !after) return null;
  const us = (key) => Math.round(((after[key] - before[key]) * 1000) / tasks);
  return { [label]: us('processes'), database: us('database'), redis: us('redis') };
}

module.exports = { cpuSnapshot, cpuPerTask };
