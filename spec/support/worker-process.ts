// Real tw-worker processes for the fault specs: spawn one, wait for a log line, send signals,
// await the exit code; read what the fault-task fixtures recorded. Every process's output is kept
// and printed when a test fails (call cleanupWorkers in afterEach).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TaskWorkerOptions } from '../../lib/index';
import { waitFor } from './wait';

const ROOT = path.resolve(__dirname, '..', '..'); // dist/
export const CLI = path.join(ROOT, 'cli', 'tw-worker.js');
export const FAULT_TASKS = path.join(ROOT, 'spec', 'fixtures', 'fault-tasks.js');

/** Runs tw-worker to its end (flag and start-up errors), at log level info, with no DATABASE_URL or REDIS_URL inherited. */
export function runTwWorker(args: string[], cwd: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, TW_LOG_LEVEL: 'info' };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  return spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8', timeout: 30_000 });
}

export interface WorkerProcessOptions {
  /** Names the process in printed logs. */
  label: string;
  databaseUrl: string;
  /** Omitted: no Redis at all (polling only). */
  redisUrl?: string;
  /** Where the fixtures record runs ($TW_FAULT_DIR). */
  faultDir: string;
  concurrency?: number;
  retry?: number;
  leaseTime?: number;
  pollInterval?: number;
  shutdownGrace?: number;
  pool?: 'thread' | 'inline';
  /** Options without a flag (channelPrefix, backoffBase, threadMemoryLimit...), passed in a --config file. */
  config?: TaskWorkerOptions;
  /** Wait for the 'worker started' line. Default true. */
  waitStarted?: boolean;
  /** More tw-worker flags (e.g. --metrics-port 0). */
  args?: string[];
  /** Node's own flags, before the script (e.g. --require a preload file). */
  nodeArgs?: string[];
}

export interface LogLine {
  level: number;
  msg: string;
  time: number;
  [key: string]: unknown;
}

const all: WorkerProcess[] = [];

export class WorkerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private output = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(readonly options: WorkerProcessOptions) {
    const args = [CLI, '--require', FAULT_TASKS, '--database-url', options.databaseUrl, '--log-level', 'debug', '--no-migrate'];
    const flag = (name: string, value: unknown) => {
      if (value !== undefined) args.push(name, String(value));
    };
    flag('--redis-url', options.redisUrl);
    flag('--concurrency', options.concurrency);
    flag('--retry', options.retry);
    flag('--lease-time', options.leaseTime);
    flag('--poll-interval', options.pollInterval);
    flag('--shutdown-grace', options.shutdownGrace);
    flag('--pool', options.pool);
    args.push(...(options.args ?? []));
    // Always an explicit config file: no stray package.json key or rc file can change the test.
    const configDir = mkdtempSync(path.join(os.tmpdir(), 'tw-fault-config-'));
    const configFile = path.join(configDir, 'tw-worker.json');
    writeFileSync(configFile, JSON.stringify(options.config ?? {}));
    args.push('--config', configFile);
    const env: NodeJS.ProcessEnv = { ...process.env, TW_FAULT_DIR: options.faultDir, TW_LOG_LEVEL: 'debug' };
    delete env.REDIS_URL;
    delete env.DATABASE_URL;
    this.child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => (this.output += chunk.toString());
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        rmSync(configDir, { recursive: true, force: true });
        resolve(this.exitInfo);
      });
    });
  }

  /** Spawns tw-worker and (by default) waits until it logs 'worker started'. */
  static async start(options: WorkerProcessOptions): Promise<WorkerProcess> {
    const worker = new WorkerProcess(options);
    all.push(worker);
    if (options.waitStarted !== false) await worker.waitForLog('worker started', 20_000);
    return worker;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  /** Everything the process printed. */
  get text(): string {
    return this.output;
  }

  /** The JSON log lines printed so far. */
  logs(): LogLine[] {
    const lines: LogLine[] = [];
    for (const line of this.output.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        // a line cut in the middle of a chunk: complete on the next read
      }
    }
    return lines;
  }

  hasLog(msg: string): boolean {
    return this.logs().some((l) => l.msg === msg);
  }

  /** Resolves with the first log line whose msg equals `msg` (and passes `match`); fails if the process exits first. */
  async waitForLog(msg: string, timeoutMs = 20_000, match: (line: LogLine) => boolean = () => true): Promise<LogLine> {
    return waitFor(`"${msg}" in the log of ${this.options.label}`, () => {
      const line = this.logs().find((l) => l.msg === msg && match(l));
      if (line) return line;
      if (!this.alive) throw new Error(`${this.options.label} exited (${JSON.stringify(this.exitInfo)}) before logging "${msg}"`);
      return undefined;
    }, timeoutMs);
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Waits for the exit; fails after `timeoutMs`. */
  async waitExit(timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.options.label} did not exit within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, then the exit code. */
  async stop(timeoutMs = 30_000): Promise<number | null> {
    if (!this.alive) return this.exitInfo!.code;
    this.signal('SIGTERM');
    return (await this.waitExit(timeoutMs)).code;
  }
}

/**
 * In afterEach: prints the logs of every process started in the test if it failed (or always, with
 * TW_FAULT_PRINT_LOGS=1), then kills (SIGCONT + SIGKILL) those still running and forgets them.
 */
export async function cleanupWorkers(context: Mocha.Context): Promise<void> {
  const failed = context.currentTest?.state === 'failed';
  const print = failed || process.env.TW_FAULT_PRINT_LOGS === '1';
  const workers = all.splice(0);
  for (const worker of workers) {
    if (print) {
      console.log(`\n----- ${worker.options.label} (pid ${worker.child.pid}) -----\n${worker.text.slice(-20_000)}`);
    }
    if (worker.alive) {
      worker.signal('SIGCONT');
      worker.signal('SIGKILL');
      await worker.exited;
    }
  }
  for (const dir of dirs.splice(0)) {
    if (failed) console.log(`      run records kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

const dirs: string[] = [];

/** A fresh directory for one test's run records; removed by cleanupWorkers unless the test failed. */
export function faultDir(label: string): string {
  const base = path.join(os.tmpdir(), 'tw-fault-runs');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(path.join(base, `${label}-`));
  dirs.push(dir);
  return dir;
}

export interface RunRecord {
  pid: number;
  event: string;
  id: string;
  attempt: number;
}

/** Every line the fixtures recorded in `dir`, per process in the order written. */
export function readRecords(dir: string): RunRecord[] {
  const records: RunRecord[] = [];
  for (const file of readdirSync(dir)) {
    const pid = Number(path.basename(file, '.log'));
    for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      const [event, id, attempt] = line.split(' ');
      if (id) records.push({ pid, event, id, attempt: Number(attempt) });
    }
  }
  return records;
}

/** How many times each task id has `event` in the records. */
export function countBy(records: RunRecord[], event: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of records) if (r.event === event) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
  return counts;
}
