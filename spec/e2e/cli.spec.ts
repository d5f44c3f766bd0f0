// The tw-worker command end to end: help, flag and config errors that stop before anything is
// written, migrate twice, and settings read from package.json.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TaskRegistry, TaskWorker } from '../../lib/index';
import { waitFor } from '../support/wait';
import { runTwWorker } from '../support/worker-process';

const CLI = path.resolve(__dirname, '..', '..', 'cli', 'tw-worker.js');
const LIB = path.resolve(__dirname, '..', '..', 'lib', 'index.js');

const run = runTwWorker;

describe('tw-worker CLI', function () {
  this.timeout(60_000);
  let dir: string;
  let dbFile: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tw-cli-'));
    dbFile = path.join(dir, 'tasks.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prints every flag with --help', () => {
    const result = run(['--help'], dir);
    expect(result.status).to.equal(0);
    for (const flag of ['--concurrency', '--retry', '--queue', '--require', '--database-url', '--redis-url', '--poll-interval', '--pool', 'migrate']) {
      expect(result.stdout).to.include(flag);
    }
  });

  const badFlags: Array<[string[], RegExp]> = [
    [['--concurrency', '0'], /--concurrency takes a whole number of at least 1/],
    [['--concurrency', 'four'], /--concurrency takes a whole number/],
    [['--retry', '-1'], /--retry/],
    [['--poll-interval', 'soon'], /--poll-interval takes a number of seconds above 0/],
    [['--queue', ','], /--queue takes queue names separated by commas/],
    [['--pool', 'process'], /Allowed choices are thread, inline/],
    [['--concurency', '4'], /unknown option '--concurency'/],
    [['launch'], /unknown command "launch"/],
    [['--queue', 'bad name!'], /queues: "bad name!" is not a queue name/],
    [['--redis-url', 'http://localhost'], /redisUrl must start with redis:\/\/ or rediss:\/\//],
  ];
  for (const [flags, message] of badFlags) {
    it(`refuses ${flags.join(' ')} with a clear message and writes nothing`, () => {
      const result = run([...flags, '--database-url', `sqlite:${dbFile}`], dir);
      expect(result.status).to.not.equal(0);
      expect(result.stderr).to.match(message);
      expect(existsSync(dbFile), 'no database file may be created').to.equal(false);
    });
  }

  it('refuses an unknown key in the config file and writes nothing', () => {
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', 'tw-worker': { databaseUrl: `sqlite:${dbFile}`, concurency: 4 } }));
    const result = run([], dir);
    expect(result.status).to.equal(2);
    expect(result.stderr).to.match(/unknown option "concurency"/);
    expect(existsSync(dbFile)).to.equal(false);
  });

  it('migrates, and migrating again does nothing', () => {
    const first = run(['migrate', '--database-url', `sqlite:${dbFile}`], dir);
    expect(first.status, first.stderr).to.equal(0);
    expect(first.stdout).to.match(/migrations applied/).and.to.include('0001-create-tasks');
    const second = run(['migrate', '--database-url', `sqlite:${dbFile}`], dir);
    expect(second.status).to.equal(0);
    expect(second.stdout).to.match(/schema already up to date/);
  });

  it('runs with the settings in package.json and stops cleanly on SIGTERM', async () => {
    writeFileSync(path.join(dir, 'tasks.js'),
      `const { registerTask } = require(${JSON.stringify(LIB)});\nregisterTask('app.tasks.multiply', (a, b) => a * b);\n`);
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({
      name: 'app', 'tw-worker': { databaseUrl: `sqlite:${dbFile}`, modules: ['./tasks.js'], concurrency: 2, pollInterval: 0.1 },
    }));
    const env: NodeJS.ProcessEnv = { ...process.env, TW_LOG_LEVEL: 'info' };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    const child = spawn(process.execPath, [CLI], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const tw = new TaskWorker({ databaseUrl: `sqlite:${dbFile}`, redisUrl: null, registry: new TaskRegistry(), logLevel: 'silent', pollInterval: 0.1 });
    try {
      await waitFor('the worker to start', () => output.includes('worker started'), 20_000);
      expect(output).to.include('"concurrency":2');
      const task = await tw.createTask('app.tasks.multiply', { args: [6, 7] });
      const done = await tw.waitForCompletion(task.id, { timeout: 10 });
      expect(done?.status).to.equal('COMPLETED');
      expect(done?.resultValue).to.equal(42);
    } finally {
      await tw.close();
      child.kill('SIGTERM');
    }
    expect(await exited, output).to.equal(0);
  });
});
