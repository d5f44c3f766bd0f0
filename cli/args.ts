// Parses tw-worker's flags with commander into TaskWorkerOptions; every bad value is rejected with
// a message naming the flag. Nothing here touches the database.
import { Command, InvalidArgumentError, Option } from 'commander';
import type { TaskWorkerOptions } from '../lib/index';

export interface CliRequest {
  command: 'run' | 'migrate';
  options: TaskWorkerOptions;
  /** Path of a config file given with --config. */
  configFile?: string;
  migrateOnStart: boolean;
}

function wholeNumber(flag: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`${flag} takes a whole number of at least ${min}, e.g. ${flag} ${Math.max(min, 4)}`);
    }
    return n;
  };
}

function autoOrWholeNumber(flag: string) {
  const number = wholeNumber(flag, 0);
  return (value: string): number | 'auto' => (value.trim() === 'auto' ? 'auto' : number(value));
}

function seconds(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${flag} takes a number of seconds above 0, e.g. ${flag} 2`);
    return n;
  };
}

function port(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n > 65_535) throw new InvalidArgumentError(`${flag} takes a port number from 0 to 65535, e.g. ${flag} 9464`);
    return n;
  };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function queueList(value: string, previous: string[] = []): string[] {
  const names = value.split(',').map((q) => q.trim()).filter(Boolean);
  if (names.length === 0) throw new InvalidArgumentError('--queue takes queue names separated by commas, e.g. --queue emails,reports');
  return [...previous, ...names];
}

export function buildProgram(version: string): Command {
  const program = new Command('tw-worker')
    .version(version)
    .description('Run a task-worker worker: claims tasks from the database and runs them.')
    .argument('[command]', "'migrate' to apply the schema and exit; nothing to run the worker")
    .addOption(new Option('-c, --concurrency <n>', 'tasks run at once (default 1)').argParser(wholeNumber('--concurrency', 1)))
    .addOption(new Option('-r, --retry <n>', 'retries after the first attempt for tasks that set none (default 0)').argParser(wholeNumber('--retry', 0)))
    .addOption(new Option('-q, --queue <names>', 'only take tasks of these queues (comma-separated; repeatable)').argParser(queueList))
    .addOption(new Option('--require <module>', 'a file that registers tasks; repeatable').argParser(collect))
    .addOption(new Option('--database-url <url>', 'sqlite:file, postgres://... or mysql://... (env DATABASE_URL)'))
    .addOption(new Option('--redis-url <url>', 'redis:// or rediss:// for wake-ups and locks (env REDIS_URL)'))
    .addOption(new Option('--channel-prefix <prefix>', 'prefix of Redis channels and lock keys, to share one Redis between apps (default tw; env TW_CHANNEL_PREFIX)'))
    .addOption(new Option('--poll-interval <s>', 'seconds between polls when no wake-up comes (default 1)').argParser(seconds('--poll-interval')))
    .addOption(new Option('--lease-time <s>', "seconds before a silent worker's tasks are retried elsewhere (default 30)").argParser(seconds('--lease-time')))
    .addOption(new Option('--shutdown-grace <s>', 'seconds to let running tasks finish on SIGTERM (default 30)').argParser(seconds('--shutdown-grace')))
    .addOption(new Option('--prefetch <n>', "tasks claimed ahead and kept ready in memory: 'auto' (default; sized by recent run times) or a number")
      .argParser(autoOrWholeNumber('--prefetch')))
    .addOption(new Option('--thread-memory-limit <mib>', 'heap limit of each pool thread in MiB (default 512)').argParser(wholeNumber('--thread-memory-limit', 16)))
    .addOption(new Option('--thread-recycle-memory <mib>', 'replace a pool thread holding more than this (heap and off-heap, MiB) after a task (default 512)')
      .argParser(wholeNumber('--thread-recycle-memory', 16)))
    .addOption(new Option('--pool <kind>', "'thread' (default; hung tasks are killed) or 'inline' (same event loop)").choices(['thread', 'inline']))
    .addOption(new Option('--module-root <dir>', "directory where unregistered names like 'app.tasks.add' resolve to app/tasks.js"))
    .addOption(new Option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (env TW_LOG_LEVEL)')
      .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .addOption(new Option('--config <file>', 'config file (default: "tw-worker" in package.json, .tw-workerrc.json, tw-worker.config.js)'))
    .addOption(new Option('--no-migrate', 'do not apply pending migrations at start'))
    .addOption(new Option('--no-scheduler', 'do not fire schedules in this worker (it still stores the declared ones)'))
    .addOption(new Option('--metrics-port <port>', 'serve Prometheus metrics at http://<host>:<port>/metrics (0: any free port)')
      .argParser(port('--metrics-port')))
    .addOption(new Option('--metrics-host <host>', 'interface of the metrics server (default: all)'))
    .showHelpAfterError('(run tw-worker --help for every flag)')
    .addHelpText('after', `
Examples:
  tw-worker migrate --database-url postgres://app@localhost/app
  tw-worker --require ./dist/tasks.js --concurrency 4 --retry 1
  REDIS_URL=redis://localhost:6379 tw-worker --require ./dist/tasks.js --queue emails
  tw-worker --require ./dist/tasks.js --metrics-port 9464

Flags win over the config file, which wins over the environment.`);
  return program;
}

interface ParsedFlags {
  concurrency?: number;
  retry?: number;
  queue?: string[];
  require?: string[];
  databaseUrl?: string;
  redisUrl?: string;
  channelPrefix?: string;
  pollInterval?: number;
  leaseTime?: number;
  shutdownGrace?: number;
  prefetch?: number | 'auto';
  threadMemoryLimit?: number;
  threadRecycleMemory?: number;
  pool?: 'thread' | 'inline';
  moduleRoot?: string;
  logLevel?: string;
  config?: string;
  migrate: boolean;
  scheduler: boolean;
  metricsPort?: number;
  metricsHost?: string;
}

/** Parses argv (without node and script); commander prints usage errors and exits with code 1. */
export function parseArgs(argv: string[], version: string): CliRequest {
  const program = buildProgram(version);
  program.parse(argv, { from: 'user' });
  const [command] = program.args;
  if (command !== undefined && command !== 'migrate') {
    program.error(`unknown command "${command}": use 'tw-worker migrate' or no command to run the worker`);
  }
  const flags = program.opts<ParsedFlags>();
  const options: TaskWorkerOptions = {
    concurrency: flags.concurrency,
    retry: flags.retry,
    queues: flags.queue,
    modules: flags.require,
    databaseUrl: flags.databaseUrl,
    redisUrl: flags.redisUrl,
    channelPrefix: flags.channelPrefix,
    pollInterval: flags.pollInterval,
    leaseTime: flags.leaseTime,
    shutdownGrace: flags.shutdownGrace,
    prefetch: flags.prefetch,
    threadMemoryLimit: flags.threadMemoryLimit,
    threadRecycleMemory: flags.threadRecycleMemory,
    pool: flags.pool,
    moduleRoot: flags.moduleRoot,
    logLevel: flags.logLevel,
    metricsPort: flags.metricsPort,
    metricsHost: flags.metricsHost,
    // Only an explicit --no-scheduler: otherwise the config file decides.
    scheduler: program.getOptionValueSource('scheduler') === 'cli' ? flags.scheduler : undefined,
  };
  return { command: command === 'migrate' ? 'migrate' : 'run', options, configFile: flags.config, migrateOnStart: flags.migrate };
}
