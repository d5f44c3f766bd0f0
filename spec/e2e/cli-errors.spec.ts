// The errors a new user meets first, as tw-worker prints them: one line that says what to do, no
// internal stack: a ConfigError, a database that does not exist, a TypeScript file passed to
// --require, a task file with decorator syntax Node cannot run; and the start and per-task logs.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TaskWorker } from '../../lib/index';
import { freshDatabase, PG_ADMIN_URL, requireService } from '../support/services';
import { cleanupWorkers, faultDir, runTwWorker, WorkerProcess } from '../support/worker-process';

const run = runTwWorker;

/** Exactly one line on stderr, starting "tw-worker: ", with no stack frame. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).to.have.length(1);
  expect(lines[0]).to.match(/^tw-worker: /);
  expect(stderr).not.to.match(/^\s+at /m);
  return lines[0];
}

describe('tw-worker: the first errors a user meets are one clear line', function () {
  this.timeout(60_000);
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tw-first-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a ConfigError (a bad database URL): exit 2, one line naming the key', () => {
    const result = run(['--database-url', 'ftp://db.example/x'], dir);
    expect(result.status).to.equal(2);
    expect(oneLine(result.stderr)).to.match(/^tw-worker: databaseUrl must start with/);
  });

  it('a Redis URL the drivers read but the config refuses (redis:/:PW@host) shows no password', () => {
    const result = run(['--redis-url', 'redis:/:TailSecret@cache.example', '--database-url', `sqlite:${path.join(dir, 'db.sqlite')}`], dir);
    expect(result.status).to.equal(2);
    expect(oneLine(result.stderr)).to.equal('tw-worker: redisUrl must start with redis:// or rediss://; got redis:/***@cache.example');
    expect(result.stdout + result.stderr).not.to.include('TailSecret');
  });

  it('a database that does not exist: exit 1, one line with the server\'s message, password redacted', async function () {
    await requireService(this, 'postgres');
    const url = PG_ADMIN_URL.replace('postgres@', 'postgres:hunter2@').replace(/\/[^/]*$/, `/tw_missing_${process.pid}`);
    const result = run(['--database-url', url, '--pool', 'inline'], dir);
    expect(result.status).to.equal(1);
    expect(oneLine(result.stderr)).to.match(/database error: database "tw_missing_\d+" does not exist/);
    expect(result.stdout + result.stderr).not.to.include('hunter2');
  });

  it('--require ./src/tasks.ts: says the file must be compiled, or which loader to use', () => {
    writeFileSync(path.join(dir, 'tasks.ts'), "import { registerTask } from 'task-worker/tasks';\nregisterTask('a.b', (x: number) => x);\n");
    const result = run(['--require', './tasks.ts', '--database-url', `sqlite:${path.join(dir, 'db.sqlite')}`], dir);
    expect(result.status).to.equal(2);
    expect(oneLine(result.stderr)).to.match(/tasks\.ts is TypeScript.*compile it with tsc and pass the \.js file.*--import tsx/);
  });

  it('--require of a missing .ts file says to pass the compiled .js file', () => {
    const result = run(['--require', './src/tasks.ts', '--database-url', `sqlite:${path.join(dir, 'db.sqlite')}`], dir);
    expect(result.status).to.equal(2);
    expect(oneLine(result.stderr)).to.match(/cannot find task module "\.\/src\/tasks\.ts".*must be compiled first.*--require \.\/dist\/tasks\.js/);
  });

  it('a task file with decorator syntax left in (tsc target ESNext): names the target to use', () => {
    writeFileSync(path.join(dir, 'tasks.js'), 'function Task() { return () => {}; }\n@Task()\nclass AppTasks {}\nmodule.exports = { AppTasks };\n');
    const result = run(['--require', './tasks.js', '--database-url', `sqlite:${path.join(dir, 'db.sqlite')}`], dir);
    expect(result.status).to.equal(2);
    expect(oneLine(result.stderr)).to.match(/loading task module \.\/tasks\.js failed: .*"target": "ES2022"/);
  });
});

describe('tw-worker logs: the start line and one debug line per task outcome', function () {
  this.timeout(60_000);
  afterEach(async function () {
    await cleanupWorkers(this);
  });

  it("'worker started' names the tasks, queues, pool and database (password redacted); each outcome is a debug line", async function () {
    await requireService(this, 'postgres');
    const databaseUrl = (await freshDatabase('postgres', 'start_logs')).replace('postgres@', 'postgres:hunter2@');
    const tw = new TaskWorker({ databaseUrl, logLevel: 'silent' });
    await tw.migrate();
    const worker = await WorkerProcess.start({ label: 'logs', databaseUrl, faultDir: faultDir('logs'), pollInterval: 0.2 });
    const started = worker.logs().find((l) => l.msg === 'worker started')!;
    expect(started.level).to.equal(30);
    expect(started.tasks).to.include.members(['fault.work', 'fault.spin']);
    expect(started).to.include({ queues: 'all', pool: 'thread' });
    expect(started.database).to.match(/^postgres:\/\/postgres:\*+@127\.0\.0\.1:5432\/tw_test_start_logs_\d+$/);
    const ok = await tw.createTask('fault.work');
    const bad = await tw.createTask('fault.work', { args: [{ failFirst: true }] });
    const line = await worker.waitForLog('task finished', 20_000, (l) => l.task === ok.id);
    expect(line).to.include({ level: 20, name: 'fault.work', queue: 'default', attempt: 0, outcome: 'completed' });
    expect(line.duration).to.be.a('number');
    const failed = await worker.waitForLog('task finished', 20_000, (l) => l.task === bad.id);
    expect(failed).to.include({ level: 20, attempt: 0, outcome: 'failed' });
    expect(worker.text).not.to.include('hunter2');
    expect(await worker.stop()).to.equal(0);
    await tw.close();
  });
});
