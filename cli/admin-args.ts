// Parses tw-admin's commands and flags with commander into one request; every bad value is rejected
// with a message naming the flag. Nothing here touches the database.
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseDuration as parseDurationText, purgeAgeProblem, TaskStatus, type TaskWorkerOptions } from '../lib/index';

export type AdminRequest =
  | { command: 'list'; status?: TaskStatus; queue?: string; name?: string; limit: number }
  | { command: 'show'; id: string }
  | { command: 'retry'; id: string }
  | { command: 'retry-failed'; status: 'FAILED' | 'FAILED_FINAL' | 'RETRYING'; queue?: string; name?: string; dryRun: boolean }
  | { command: 'cancel'; id: string; reason?: string; waitSeconds: number }
  | { command: 'purge'; olderThanMs: number; olderThan: string; batchSize: number; dryRun: boolean }
  | { command: 'stats' }
  | { command: 'schedules' }
  | { command: 'schedule-pause' | 'schedule-resume' | 'schedule-run-now'; key: string }
  | { command: 'dashboard'; port: number; host: string; readOnly: boolean }
  | { command: 'queues' }
  | { command: 'queue-pause' | 'queue-resume'; queue: string };

export interface AdminCli {
  request: AdminRequest;
  options: TaskWorkerOptions;
  configFile?: string;
  json: boolean;
}

/** '7d', '12h', '30min', '90s', '500ms', '2w', or combined like '1d12h'; returns milliseconds (a bare 'm' is refused). */
export function parseDuration(text: string): number {
  const problem = purgeAgeProblem(text);
  if (problem) throw new InvalidArgumentError(problem);
  return parseDurationText(text)!;
}

function wholeNumber(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max) throw new InvalidArgumentError(`${flag} takes a whole number from ${min} to ${max}`);
    return n;
  };
}

const FAILED_KINDS = ['FAILED', 'FAILED_FINAL', 'RETRYING'] as const;

function failedKind(value: string): (typeof FAILED_KINDS)[number] {
  const upper = value.toUpperCase();
  if (!(FAILED_KINDS as readonly string[]).includes(upper)) throw new InvalidArgumentError(`--status takes one of ${FAILED_KINDS.join(', ')}`);
  return upper as (typeof FAILED_KINDS)[number];
}

function status(value: string): TaskStatus {
  const upper = value.toUpperCase();
  if (!(upper in TaskStatus)) throw new InvalidArgumentError(`--status takes one of ${Object.keys(TaskStatus).join(', ')}`);
  return upper as TaskStatus;
}

interface GlobalFlags {
  databaseUrl?: string;
  redisUrl?: string;
  channelPrefix?: string;
  config?: string;
  json?: boolean;
}

export function buildAdminProgram(version: string, onRequest: (request: AdminRequest) => void): Command {
  const program = new Command('tw-admin')
    .version(version)
    .description("Inspect and repair task-worker's task table: list, show, retry, cancel, purge, stats, queues, schedules; or serve the web dashboard.")
    .addOption(new Option('--database-url <url>', 'sqlite:file, postgres://... or mysql://... (env DATABASE_URL)'))
    .addOption(new Option('--redis-url <url>', 'redis:// or rediss:// to wake workers after retry/cancel at once (env REDIS_URL)'))
    .addOption(new Option('--channel-prefix <prefix>', "the workers' channel prefix, if not tw (env TW_CHANNEL_PREFIX)"))
    .addOption(new Option('--config <file>', 'config file, as for tw-worker (default: "tw-worker" in package.json, .tw-workerrc.json, ...)'))
    .addOption(new Option('--json', 'print JSON for scripts instead of text'))
    .showHelpAfterError('(run tw-admin --help for every command)')
    // Usage errors exit 2, like a bad config; --help and --version exit 0. Set before the
    // subcommands are added, so they inherit it.
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
    .addHelpText('after', `
Examples:
  tw-admin list --status FAILED --queue emails --limit 20
  tw-admin show 2JaCvw9eCXudqaknjzkGQR
  tw-admin retry 2JaCvw9eCXudqaknjzkGQR
  tw-admin retry-failed --queue emails --dry-run
  tw-admin cancel 2JaCvw9eCXudqaknjzkGQR --reason "duplicate order"
  tw-admin cancel 2JaCvw9eCXudqaknjzkGQR --wait 30      (a running task: wait until its worker has stopped it)
  tw-admin purge --older-than 7d
  tw-admin stats --json
  tw-admin schedules
  tw-admin schedules pause nightly-report
  tw-admin dashboard --port 8080
  tw-admin queues pause emails

Exit codes: 0 done, 1 refused (no such task, or a state the command does not apply to), 2 bad flags or config.`);

  program.command('list')
    .description('tasks, newest first')
    .addOption(new Option('--status <status>', 'PENDING, PROGRESS, COMPLETED or FAILED').argParser(status))
    .option('--queue <queue>', 'only this queue')
    .option('--name <name>', "only this task name, e.g. 'app.tasks.multiply'")
    .addOption(new Option('--limit <n>', 'at most this many (default 50)').argParser(wholeNumber('--limit', 1, 100_000)).default(50))
    .action((o: { status?: TaskStatus; queue?: string; name?: string; limit: number }) =>
      onRequest({ command: 'list', status: o.status, queue: o.queue, name: o.name, limit: o.limit }));

  program.command('show <id>')
    .description('one task: arguments, progress, result, error with its stack, timings, and every attempt')
    .action((id: string) => onRequest({ command: 'show', id }));

  program.command('retry <id>')
    .description('a FAILED task back to PENDING, claimable now, with its retry count reset')
    .action((id: string) => onRequest({ command: 'retry', id }));

  program.command('retry-failed')
    .description('every FAILED task (or those of a queue, a name) back to PENDING, claimable now, retry counts reset')
    .addOption(new Option('--status <kind>', 'FAILED (any, default), FAILED_FINAL (failed for good) or RETRYING (retry scheduled)')
      .argParser(failedKind).default('FAILED'))
    .option('--queue <queue>', 'only this queue')
    .option('--name <name>', 'only this task name')
    .option('--dry-run', 'count what would be retried, change nothing')
    .action((o: { status: (typeof FAILED_KINDS)[number]; queue?: string; name?: string; dryRun?: boolean }) =>
      onRequest({ command: 'retry-failed', status: o.status, queue: o.queue, name: o.name, dryRun: o.dryRun === true }));

  program.command('cancel <id>')
    .description('a PENDING task (or one waiting for a retry) to FAILED with a CancelledError; a running one is stopped by its worker ' +
      '(its signal aborted, its thread ended after a short grace) and ends the same way')
    .option('--reason <text>', 'kept in the task error')
    .addOption(new Option('--wait <seconds>', 'for a running task: wait up to this long until it has ended (default 0: do not wait)')
      .argParser(wholeNumber('--wait', 0, 3600)).default(0))
    .action((id: string, o: { reason?: string; wait: number }) => onRequest({ command: 'cancel', id, reason: o.reason, waitSeconds: o.wait }));

  program.command('purge')
    .description('delete COMPLETED and FAILED-for-good tasks that finished longer ago than --older-than, in small batches')
    .addOption(new Option('--older-than <age>', 'e.g. 7d, 12h, 30min (m alone is refused: minutes or months?)').argParser((v) => ({ text: v, ms: parseDuration(v) })).makeOptionMandatory())
    .addOption(new Option('--batch-size <n>', 'rows per DELETE (default 1000)').argParser(wholeNumber('--batch-size', 1, 10_000)).default(1000))
    .option('--dry-run', 'count what would be deleted, delete nothing')
    .action((o: { olderThan: { text: string; ms: number }; batchSize: number; dryRun?: boolean }) =>
      onRequest({ command: 'purge', olderThan: o.olderThan.text, olderThanMs: o.olderThan.ms, batchSize: o.batchSize, dryRun: o.dryRun === true }));

  program.command('stats')
    .description('counts by queue and status, and the age of the oldest task waiting to start')
    .action(() => onRequest({ command: 'stats' }));

  const schedules = program.command('schedules')
    .description('recurring tasks: key, expression, zone, next fire, last fire and its task status, paused')
    .action(() => onRequest({ command: 'schedules' }));
  schedules.command('pause <key>')
    .description('stop a schedule from firing until resumed (survives restarts)')
    .action((key: string) => onRequest({ command: 'schedule-pause', key }));
  schedules.command('resume <key>')
    .description('fire again from now on (fire times passed while paused are skipped)')
    .action((key: string) => onRequest({ command: 'schedule-resume', key }));
  const queues = program.command('queues')
    .description('queues with their counts and whether they are paused')
    .action(() => onRequest({ command: 'queues' }));
  queues.command('pause <queue>')
    .description('stop every worker from claiming the queue\'s tasks (durable; running tasks finish, tasks can still be created)')
    .action((queue: string) => onRequest({ command: 'queue-pause', queue }));
  queues.command('resume <queue>')
    .description('let workers claim the queue\'s tasks again')
    .action((queue: string) => onRequest({ command: 'queue-resume', queue }));

  schedules.command('run-now <key>')
    .description("make one task of the schedule now, out of turn (its fire times do not change)")
    .action((key: string) => onRequest({ command: 'schedule-run-now', key }));

  program.command('dashboard')
    .description('serve the web dashboard until stopped (Ctrl-C); set TW_DASHBOARD_PASSWORD to require HTTP Basic authentication')
    .addOption(new Option('--port <n>', 'port to listen on (default 8080; 0: any free port)').argParser(wholeNumber('--port', 0, 65_535)).default(8080))
    .option('--host <address>', 'address to listen on (default 127.0.0.1: this machine only)', '127.0.0.1')
    .option('--read-only', 'hide and refuse every action (retry, cancel, purge)')
    .action((o: { port: number; host: string; readOnly?: boolean }) =>
      onRequest({ command: 'dashboard', port: o.port, host: o.host, readOnly: o.readOnly === true }));
  return program;
}

/** Parses argv (without node and script); usage errors are printed and exit with code 2. */
export function parseAdminArgs(argv: string[], version: string): AdminCli {
  let request: AdminRequest | undefined;
  const program = buildAdminProgram(version, (r) => (request = r));
  program.parse(argv, { from: 'user' });
  if (!request) program.help({ error: true });
  const flags = program.opts<GlobalFlags>();
  return {
    request: request!,
    options: { databaseUrl: flags.databaseUrl, redisUrl: flags.redisUrl, channelPrefix: flags.channelPrefix },
    configFile: flags.config,
    json: flags.json === true,
  };
}
