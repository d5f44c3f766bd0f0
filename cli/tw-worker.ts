#!/usr/bin/env node
// tw-worker: parses flags and the config file, applies migrations, runs one worker and turns
// SIGINT/SIGTERM into a graceful stop (a second signal stops at once, handing tasks back).
import 'reflect-metadata';
import * as path from 'node:path';
import { TaskWorker, TaskWorkerError, type Worker } from '../lib/index';
import { parseArgs } from './args';
import { loadConfigFile, mergeOptions } from './config-file';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../package.json') as { version: string };

function handleSignals(tw: TaskWorker, worker: Worker): void {
  let received = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    received++;
    if (received === 1) {
      tw.logger.info({ signal }, 'stopping: finishing running tasks (send the signal again to stop now)');
      worker.stop()
        .then(() => tw.close())
        .then(() => process.exit(0), (error: Error) => {
          tw.logger.error({ err: error.message }, 'shutdown failed');
          process.exit(1);
        });
    } else {
      tw.logger.warn({ signal }, 'stopping now: handing running tasks back');
      worker.stopNow();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
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
  if (request.migrateOnStart) await tw.migrate();
  const worker = await tw.startWorker();
  handleSignals(tw, worker);
}

main().catch((error: unknown) => {
  if (error instanceof TaskWorkerError) {
    process.stderr.write(`tw-worker: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`tw-worker: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
