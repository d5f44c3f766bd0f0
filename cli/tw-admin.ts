#!/usr/bin/env node
// tw-admin: the operator's command beside tw-worker. Reads the same flags, environment and config
// file, runs one TaskAdmin action and prints it as text or JSON, or serves the web dashboard until
// stopped. Logs go to stderr, so stdout carries only the answer.
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import pino from 'pino';
import { ConfigError, serveDashboard, TaskWorker, TaskWorkerError } from '../lib/index';
import { parseAdminArgs, type AdminRequest } from './admin-args';
import {
  cancelText, changedText, listText, purgeText, queueChangedText, queueJson, queuesText, scheduleChangedText, scheduleJson, schedulesText,
  showText, statsText, taskJson,
} from './admin-format';
import { loadConfigFile, mergeOptions } from './config-file';
import { explainError } from './errors';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../package.json') as { version: string };

/** Codes of refusals the operator can act on (exit 1), as opposed to bad config (exit 2). */
const REFUSALS = new Set(['TW_NOT_FOUND', 'TW_WRONG_STATUS', 'TW_NOT_PAUSED']);

type ActionRequest = Exclude<AdminRequest, { command: 'dashboard' }>;

async function run(tw: TaskWorker, request: ActionRequest, json: boolean): Promise<string> {
  const { admin } = tw;
  const out = (value: unknown, text: () => string) => (json ? JSON.stringify(value, null, 2) : text());
  switch (request.command) {
    case 'list': {
      const tasks = await admin.list({ status: request.status, queue: request.queue, name: request.name, limit: request.limit });
      return out(tasks.map(taskJson), () => listText(tasks));
    }
    case 'show': {
      const task = await admin.show(request.id);
      return out(taskJson(task), () => showText(task));
    }
    case 'retry': {
      const task = await admin.retry(request.id);
      return out(taskJson(task), () => changedText('retrying', task));
    }
    case 'retry-failed': {
      const result = await admin.retryFailed({ status: request.status, queue: request.queue, name: request.name }, { dryRun: request.dryRun });
      const scope = [request.queue && `queue ${request.queue}`, request.name && `name ${request.name}`].filter(Boolean).join(', ');
      return out(result, () => `${result.dryRun ? 'would retry' : 'retried'} ${result.retried} ${request.status === 'FAILED' ? 'FAILED' : request.status} ` +
        `task${result.retried === 1 ? '' : 's'}${scope ? ` (${scope})` : ''}${result.dryRun ? '' : ': now PENDING'}`);
    }
    case 'cancel': {
      let task = await admin.cancel(request.id, request.reason);
      if (!task.isFinal && request.waitSeconds > 0) task = (await tw.waitForCompletion(task.id, { timeout: request.waitSeconds })) ?? await admin.show(task.id);
      return out(taskJson(task), () => cancelText(task));
    }
    case 'purge': {
      const result = await admin.purge(request.olderThanMs, { batchSize: request.batchSize, dryRun: request.dryRun });
      return out({ ...result, cutoff: result.cutoff.toISOString(), deleted: result.dryRun ? 0 : result.completed + result.failed },
        () => purgeText(result, request.olderThan));
    }
    case 'stats': {
      const stats = await admin.stats();
      return out(stats, () => statsText(stats));
    }
    case 'schedules': {
      const schedules = await admin.schedules();
      return out(schedules.map(scheduleJson), () => schedulesText(schedules));
    }
    case 'schedule-pause': {
      const schedule = await admin.pauseSchedule(request.key);
      return out(scheduleJson(schedule), () => scheduleChangedText('paused', schedule));
    }
    case 'schedule-resume': {
      const schedule = await admin.resumeSchedule(request.key);
      return out(scheduleJson(schedule), () => scheduleChangedText('resumed', schedule));
    }
    case 'queues': {
      const queues = await admin.queues();
      return out(queues.map(queueJson), () => queuesText(queues));
    }
    case 'queue-pause': {
      const queue = await admin.pauseQueue(request.queue);
      return out(queueJson(queue), () => queueChangedText(queue));
    }
    case 'queue-resume': {
      const queue = await admin.resumeQueue(request.queue);
      return out(queueJson(queue), () => queueChangedText(queue));
    }
    case 'schedule-run-now': {
      const task = await admin.runScheduleNow(request.key);
      return out(taskJson(task), () => `created ${task.id} (${task.name}) for schedule ${request.key}: now ${task.status}`);
    }
  }
}

/** Opening a missing SQLite file would create an empty one: refuse instead (tw-admin never creates a database). */
function assertSqliteFileExists(url: string): void {
  if (!url.startsWith('sqlite:')) return;
  const rest = url.slice('sqlite:'.length);
  const file = rest.startsWith('//') ? rest.slice(2) : rest;
  if (file === '' || file === ':memory:' || existsSync(file)) return;
  throw new ConfigError(`no SQLite database at ${path.resolve(file)}: check --database-url (or DATABASE_URL), or run \`tw-worker migrate\` first`);
}

/** Serves the dashboard until SIGINT or SIGTERM. */
async function dashboard(tw: TaskWorker, request: Extract<AdminRequest, { command: 'dashboard' }>): Promise<number> {
  const password = process.env.TW_DASHBOARD_PASSWORD || undefined;
  const served = await serveDashboard(tw, { port: request.port, host: request.host, readOnly: request.readOnly, password });
  process.stdout.write(`task-worker dashboard on ${served.url}${request.readOnly ? ' (read-only)' : ''}${password ? ' (password required)' : ''}\n`);
  if (!password && !['127.0.0.1', 'localhost', '::1'].includes(request.host)) {
    process.stderr.write('tw-admin: warning: the dashboard listens beyond this machine without a password: set TW_DASHBOARD_PASSWORD, ' +
      'or keep --host 127.0.0.1 and reach it through an SSH tunnel or an authenticating proxy\n');
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await served.close();
  return 0;
}

async function main(): Promise<number> {
  const cli = parseAdminArgs(process.argv.slice(2), version);
  const file = await loadConfigFile(cli.configFile);
  const options = mergeOptions(file.options, cli.options);
  // Only the commands that change tasks or queues publish wake-ups (and the dashboard hears them); the others never open Redis.
  if (!['retry', 'retry-failed', 'cancel', 'schedule-run-now', 'queue-pause', 'queue-resume', 'dashboard'].includes(cli.request.command)) options.redisUrl = null;
  // Logs on stderr: stdout carries only the answer.
  const logger = pino({ level: options.logLevel ?? process.env.TW_LOG_LEVEL ?? 'warn' }, pino.destination(2));
  const tw = new TaskWorker({ ...options, logger });
  assertSqliteFileExists(tw.config.databaseUrl);
  try {
    if (cli.request.command === 'dashboard') return await dashboard(tw, cli.request);
    process.stdout.write(`${await run(tw, cli.request, cli.json)}\n`);
    return 0;
  } finally {
    await tw.close();
  }
}

main().then((code) => process.exit(code), (error: unknown) => {
  const code = error instanceof TaskWorkerError ? (REFUSALS.has(error.code) ? 1 : 2) : 1;
  process.stderr.write(`tw-admin: ${explainError(error) ?? (error as Error).message}\n`);
  process.exit(code);
});
