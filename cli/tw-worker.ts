#!/usr/bin/env node
// tw-worker: parses flags and the config file, applies migrations, runs one worker and turns
// SIGINT/SIGTERM into a graceful stop (a second signal stops at once, handing tasks back).
import 'reflect-metadata';
import * as path from 'node:path';
import { TaskWorker, TaskWorkerError, type Worker } from '../lib/index';
import { parseArgs } from './args';
import { loadConfigFile, mergeOptions } from './config-file';
import { explainError } from './errors';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../package.json') as { version: string };

/** How often a worker started by npx checks that npx is still its parent. */
const PARENT_CHECK_MS = 1000;

/** After a second signal, the longest wait for the hand-back before exiting anyway. */
const STOP_NOW_DEADLINE_MS = 10_000;

/**
 * 1st SIGINT/SIGTERM: graceful stop, exit 0. 2nd: stop now (tasks handed back), exit 0. 3rd, or a
 * stop-now that hangs: exit 1 at once (leases expire and other workers recover the tasks).
 * Installed before the worker starts: a signal during start-up stops it as soon as it runs.
 */
function handleSignals(tw: TaskWorker, started: Promise<Worker>): void {
  let received = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    received++;
    if (received === 1) {
      tw.logger.info({ signal }, 'stopping: finishing running tasks (send the signal again to stop now)');
      started
        .then((worker) => worker.stop())
        .then(() => tw.close())
        .then(() => process.exit(0), (error: Error) => {
          tw.logger.error({ err: error.message }, 'shutdown failed');
          process.exit(1);
        });
    } else if (received === 2) {
      tw.logger.warn({ signal }, 'stopping now: handing running tasks back (a third signal exits at once)');
      void started.then((worker) => worker.stopNow());
      setTimeout(() => {
        tw.logger.error('stop-now did not finish in time; exiting');
        process.exit(1);
      }, STOP_NOW_DEADLINE_MS).unref();
    } else {
      process.exit(1);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  watchNpxParent(() => {
    tw.logger.warn('the npx that started tw-worker has exited without passing on its signal: stopping as on SIGTERM ' +
      '(under a process manager, start node_modules/.bin/tw-worker itself)');
    onSignal('SIGTERM');
  });
}

/**
 * `npx tw-worker` runs this process under npm and a shell, and npm does not pass SIGTERM on: a
 * process manager that stops npx would orphan the worker. Under npx (npm_command=exec) the parent
 * is watched, and its exit is taken as the SIGTERM it never forwarded. Started directly
 * (node_modules/.bin/tw-worker, the documented way), nothing is watched.
 */
function watchNpxParent(stop: () => void): void {
  if (process.env.npm_command !== 'exec') return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop();
  }, PARENT_CHECK_MS);
  timer.unref();
}

async function main(): Promise<void> {
  const request = parseArgs(process.argv.slice(2), version);
  const file = await loadConfigFile(request.configFile);
  const options = mergeOptions(file.options, request.options);
  if (options.moduleRoot) options.moduleRoot = path.resolve(options.moduleRoot);
  const tw = new TaskWorker(options);
  if (file.file) tw.logger.debug({ configFile: file.file }, 'config file loaded');
  if (request.command === 'migrate') {
    const applied = await tw.migrate();
    tw.logger.info({ applied }, applied.length > 0 ? 'migrations applied' : 'schema already up to date');
    await tw.close();
    return;
  }
  // A promise rejected in a task's background work and never handled is not worth the whole
  // worker (Node's default is to exit): it is logged, and the tasks go on.
  process.on('unhandledRejection', (reason: unknown) => {
    tw.logger.error({ err: reason instanceof Error ? reason.stack ?? reason.message : String(reason) },
      'unhandled promise rejection (from a task?); the worker goes on');
  });
  const started = (async () => {
    if (request.migrateOnStart) await tw.migrate();
    return tw.startWorker();
  })();
  handleSignals(tw, started);
  await started;
}

main().catch((error: unknown) => {
  if (error instanceof TaskWorkerError) {
    process.stderr.write(`tw-worker: ${error.message}\n`);
    process.exit(2);
  }
  // A database that is unreachable or missing is one line; a stack only for what looks like a bug.
  const explained = explainError(error);
  process.stderr.write(`tw-worker: ${explained ?? (error instanceof Error ? error.stack ?? error.message : String(error))}\n`);
  process.exit(1);
});
