// The tw-admin command end to end (the compiled CLI in its own process): text and --json output,
// exit codes, the config file, and on PostgreSQL + Redis a retry that wakes a worker in another
// process at once (that worker polls only once a minute).
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TaskRegistry, TaskWorker, type DatabaseTask } from '../../lib/index';
import { freshDatabase, REDIS_URL, requireService, uniquePrefix } from '../support/services';
import { TW_ADMIN, twAdmin } from '../support/tw-admin-process';
import { waitFor } from '../support/wait';

function registryForTests(state: { supplierUp: boolean }): TaskRegistry {
  const registry = new TaskRegistry();
  registry.register('cli.ok', (x: unknown) => x);
  registry.register('cli.supplier', () => {
    if (!state.supplierUp) throw new Error('supplier API unavailable');
    return 'synced';
  });
  return registry;
}

async function settled(tw: TaskWorker, id: string, status: string): Promise<DatabaseTask> {
  return waitFor(`task ${id} ${status}`, async () => {
    const task = await tw.getTask(id);
    return task?.status === status && task.finishedAt ? task : null;
  }, 15_000);
}

describe('tw-admin CLI (SQLite)', function () {
  this.timeout(60_000);
  const state = { supplierUp: false };
  let tw: TaskWorker;
  let url: string;
  let dir: string;
  let completed: DatabaseTask;
  let failed: DatabaseTask;
  let pending: DatabaseTask;

  before(async function () {
    url = await freshDatabase('sqlite', 'tw_admin_cli');
    dir = mkdtempSync(path.join(os.tmpdir(), 'tw-admin-'));
    tw = new TaskWorker({ databaseUrl: url, redisUrl: null, pool: 'inline', registry: registryForTests(state), logLevel: 'silent', pollInterval: 0.1 });
    await tw.migrate();
    await tw.startWorker();
    completed = await settled(tw, (await tw.createTask('cli.ok', { args: ['report.pdf'], queue: 'reports' })).id, 'COMPLETED');
    failed = await settled(tw, (await tw.createTask('cli.supplier', { maxRetries: 0, queue: 'sync' })).id, 'FAILED');
    pending = await tw.createTask('cli.ok', { args: ['later'], delay: 3600 });
  });
  after(async () => {
    await tw?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('list prints a table, newest first; --json prints the tasks; filters apply', async function () {
    // Independent runs in parallel: each CLI start loads the whole library.
    const [text, json, byQueueRun] = await Promise.all([
      twAdmin(['list', '--database-url', url]),
      twAdmin(['list', '--status', 'failed', '--json', '--database-url', url]),
      twAdmin(['list', '--queue', 'reports', '--json', '--database-url', url]),
    ]);
    expect(text.code, text.stderr).to.equal(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).to.match(/^ID\s+NAME\s+STATUS\s+QUEUE\s+RETRIES\s+CREATED \(UTC\)\s+DURATION$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).to.deep.equal([pending.id, failed.id, completed.id]);
    expect(json.code).to.equal(0);
    const tasks = JSON.parse(json.stdout) as Array<{ id: string; status: string; final: boolean; error: string }>;
    expect(tasks.map((t) => t.id)).to.deep.equal([failed.id]);
    expect(tasks[0]).to.include({ status: 'FAILED', final: true });
    expect(tasks[0].error).to.match(/^Error: supplier API unavailable/);
    const byQueue = JSON.parse(byQueueRun.stdout) as unknown[];
    expect(byQueue).to.have.length(1);
  });

  it('show prints one task with its result; --json parses the result', async function () {
    const [text, jsonRun] = await Promise.all([
      twAdmin(['show', completed.id, '--database-url', url]),
      twAdmin(['show', completed.id, '--json', '--database-url', url]),
    ]);
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout).to.match(/^id\s+/m).and.to.include(completed.id).and.to.match(/^result\s+"report.pdf"$/m);
    const json = JSON.parse(jsonRun.stdout) as Record<string, unknown>;
    expect(json).to.include({ id: completed.id, name: 'cli.ok', status: 'COMPLETED', result: 'report.pdf', queue: 'reports' });
    expect(json.createdAt).to.match(/^\d{4}-\d\d-\d\dT/);
  });

  it('stats --json counts by queue; text shows a row per queue and a total', async function () {
    const [jsonRun, text] = await Promise.all([twAdmin(['stats', '--json', '--database-url', url]), twAdmin(['stats', '--database-url', url])]);
    const stats = JSON.parse(jsonRun.stdout) as { queues: Record<string, Record<string, number>>; total: Record<string, number> };
    expect(stats.queues.reports).to.include({ COMPLETED: 1 });
    expect(stats.queues.sync).to.include({ FAILED: 1 });
    expect(stats.total).to.include({ PENDING: 1, COMPLETED: 1, FAILED: 1, retrying: 0 });
    expect(text.stdout).to.match(/^QUEUE\s+PENDING\s+PROGRESS\s+COMPLETED\s+FAILED\s+RETRYING\s+OLDEST WAITING$/m).and.to.match(/^\(all\)\s+1\s+0\s+1\s+1\s+0\s/m);
  });

  it('retry-failed --dry-run counts the FAILED tasks of a queue; retry-failed makes them PENDING and they run again', async function () {
    const bulk = await Promise.all([1, 2].map(() => tw.createTask('cli.supplier', { maxRetries: 0, queue: 'bulk' })));
    const firstRuns = await Promise.all(bulk.map((t) => settled(tw, t.id, 'FAILED')));
    const dry = await twAdmin(['retry-failed', '--queue', 'bulk', '--dry-run', '--database-url', url]);
    expect(dry.code, dry.stderr).to.equal(0);
    expect(dry.stdout.trim()).to.equal('would retry 2 FAILED tasks (queue bulk)');
    const run = await twAdmin(['retry-failed', '--queue', 'bulk', '--json', '--database-url', url]);
    expect(run.code, run.stderr).to.equal(0);
    expect(JSON.parse(run.stdout)).to.deep.equal({ retried: 2, dryRun: false });
    // The supplier is still down: each runs once more and fails again, later than the first time.
    for (const [i, task] of bulk.entries()) {
      const again = await waitFor(`task ${task.id} run again`, async () => {
        const t = await tw.getTask(task.id);
        return t?.status === 'FAILED' && t.finishedAt! > firstRuns[i].finishedAt! ? t : null;
      }, 15_000);
      expect(again.retryCount).to.equal(0);
    }
    expect((await tw.getTask(failed.id))?.status, 'other queues are untouched').to.equal('FAILED');
  });

  it('dashboard serves the page and its data until SIGTERM; with TW_DASHBOARD_PASSWORD it asks for it', async function () {
    const env: NodeJS.ProcessEnv = { ...process.env, TW_DASHBOARD_PASSWORD: 's3cret' };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    const child = spawn(process.execPath, [TW_ADMIN, 'dashboard', '--port', '0', '--read-only', '--database-url', url], { env });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const served = await waitFor('the dashboard URL', () => /dashboard on (http:\/\/127\.0\.0\.1:\d+\/) \(read-only\) \(password required\)/.exec(stdout)?.[1], 15_000);
      expect((await fetch(served)).status).to.equal(401);
      const auth = { authorization: `Basic ${Buffer.from('ops:s3cret').toString('base64')}` };
      const page = await fetch(served, { headers: auth });
      expect(page.status).to.equal(200);
      expect(await page.text()).to.include('assets/main.js');
      const list = await (await fetch(`${served}api/tasks?status=COMPLETED&queue=reports`, { headers: auth })).json() as { tasks: Array<{ id: string }> };
      expect(list.tasks.map((t) => t.id)).to.deep.equal([completed.id]);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, stdout).to.equal(0);
  });

  it('retry brings a FAILED task back and the worker completes it; retrying it again exits 1', async function () {
    state.supplierUp = true;
    const retried = await twAdmin(['retry', failed.id, '--database-url', url]);
    expect(retried.code, retried.stderr).to.equal(0);
    expect(retried.stdout).to.match(new RegExp(`^retrying ${failed.id} \\(cli.supplier\\): now `));
    expect((await settled(tw, failed.id, 'COMPLETED')).resultValue).to.equal('synced');
    const again = await twAdmin(['retry', failed.id, '--database-url', url]);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.match(/cannot retry task .*: it is COMPLETED; only FAILED tasks can be retried/);
  });

  it('cancel stops a PENDING task (--json shows it FAILED); cancelling a finished task exits 1', async function () {
    const cancelled = await twAdmin(['cancel', pending.id, '--reason', 'customer left', '--json', '--database-url', url]);
    expect(cancelled.code, cancelled.stderr).to.equal(0);
    expect(JSON.parse(cancelled.stdout)).to.include({ status: 'FAILED', final: true, error: 'CancelledError: cancelled by an operator: customer left' });
    const refused = await twAdmin(['cancel', completed.id, '--database-url', url]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(/cannot cancel task .*: it is COMPLETED/);
  });

  it('purge --dry-run counts, purge deletes old finished tasks only', async function () {
    const fresh = await twAdmin(['purge', '--older-than', '1h', '--json', '--database-url', url]);
    expect(JSON.parse(fresh.stdout)).to.include({ completed: 0, failed: 0, deleted: 0 });
    const old = Date.now() - 3 * 86_400_000;
    await tw.sequelize.query(`UPDATE tw_tasks SET finished_at = ${old} WHERE id IN ('${completed.id}', '${failed.id}')`);
    const dry = await twAdmin(['purge', '--older-than', '2d', '--dry-run', '--database-url', url]);
    expect(dry.stdout).to.match(/^would delete 2 finished tasks older than 2d .*: 2 COMPLETED, 0 FAILED$/m);
    const purged = await twAdmin(['purge', '--older-than', '2d', '--database-url', url]);
    expect(purged.code, purged.stderr).to.equal(0);
    expect(purged.stdout).to.match(/^deleted 2 finished tasks older than 2d/);
    expect((await tw.getTask(completed.id))).to.equal(null);
    expect((await tw.getTask(pending.id))?.status, 'the cancelled task finished just now: kept').to.equal('FAILED');
  });

  it('reads the database from the tw-worker config in package.json, like tw-worker', async function () {
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', 'tw-worker': { databaseUrl: url } }));
    const result = await twAdmin(['stats', '--json'], { cwd: dir });
    expect(result.code, result.stderr).to.equal(0);
    expect(JSON.parse(result.stdout).total.PENDING).to.be.a('number');
  });

  it('bad usage exits 2 with a message; an unknown id or a missing table exits 1 with a hint', async function () {
    const emptyFile = path.join(dir, 'empty.sqlite');
    writeFileSync(emptyFile, '');
    const [badAge, minuteOrMonth, badStatus, unknown, noTable, noFile] = await Promise.all([
      twAdmin(['purge', '--older-than', 'soon', '--database-url', url]),
      twAdmin(['purge', '--older-than', '1m', '--database-url', url]),
      twAdmin(['list', '--status', 'DONE', '--database-url', url]),
      twAdmin(['show', '2222222222222222222222', '--database-url', url]),
      twAdmin(['list', '--database-url', `sqlite:${emptyFile}`]),
      twAdmin(['list', '--database-url', `sqlite:${path.join(dir, 'nope.sqlite')}`]),
    ]);
    expect(badAge.code).to.equal(2);
    expect(badAge.stderr).to.match(/"soon" is not a duration/);
    expect(minuteOrMonth.code, 'purge --older-than 1m (minutes or months?)').to.equal(2);
    expect(minuteOrMonth.stderr).to.match(/"1m" is ambiguous.*30min.*30d/s);
    expect(badStatus.code).to.equal(2);
    expect(badStatus.stderr).to.match(/--status takes one of PENDING, PROGRESS, COMPLETED, FAILED/);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.match(/no task with id 2222222222222222222222/);
    expect(noTable.code).to.equal(1);
    expect(noTable.stderr).to.match(/run `tw-worker migrate`/);
    expect(noFile.code).to.equal(2);
    expect(noFile.stderr).to.match(/no SQLite database at/);
  });

  it('purge --older-than past 100 years exits 2 with a clear message, not "Invalid time value"', async function () {
    for (const age of ['99999999999999999999w', '36501d']) {
      const result = await twAdmin(['purge', '--older-than', age, '--database-url', url]);
      expect(result.code, result.stderr).to.equal(2);
      expect(result.stderr).to.include(`"${age}" is longer than 100 years (36500d); use 36500d or less`);
      expect(result.stderr).not.to.include('Invalid time value');
    }
  });

  it('list and show still print a row whose run time no Date holds (written before run times were bounded)', async function () {
    const task = await tw.createTask('cli.ok', { args: ['far'], delay: 3600 });
    await tw.sequelize.query('UPDATE tw_tasks SET run_at = 1000000000000000000 WHERE id = ?', { replacements: [task.id] });
    try {
      const [list, show] = await Promise.all([twAdmin(['list', '--database-url', url]), twAdmin(['show', task.id, '--json', '--database-url', url])]);
      expect(list.code, list.stderr).to.equal(0);
      expect(list.stdout).to.include(task.id);
      expect(show.code, show.stderr).to.equal(0);
      expect((JSON.parse(show.stdout) as { runAt: string }).runAt).to.equal('invalid date');
    } finally {
      await tw.sequelize.query('DELETE FROM tw_tasks WHERE id = ?', { replacements: [task.id] });
    }
  });
});

describe('tw-admin CLI (PostgreSQL + Redis): retry wakes a worker in another process', function () {
  this.timeout(60_000);
  const state = { supplierUp: false };
  let tw: TaskWorker;
  let url: string;
  let prefix: string;

  before(async function () {
    await requireService(this, 'postgres');
    await requireService(this, 'redis');
    url = await freshDatabase('postgres', 'tw_admin_cli');
    prefix = uniquePrefix('admin');
    // Polls once a minute: only the Redis wake-up from tw-admin can make it start the task quickly.
    tw = new TaskWorker({ databaseUrl: url, redisUrl: REDIS_URL, channelPrefix: prefix, pool: 'inline',
      registry: registryForTests(state), logLevel: 'silent', pollInterval: 60 });
    await tw.migrate();
    await tw.startWorker();
  });
  after(async () => tw?.close());

  it('retry publishes the wake-up before it exits, and the worker completes the task within seconds', async function () {
    const task = await tw.createTask('cli.supplier', { maxRetries: 0 });
    await settled(tw, task.id, 'FAILED');
    state.supplierUp = true;
    const started = Date.now();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-admin-pg-'));
    const config = path.join(dir, 'tw-worker.json');
    writeFileSync(config, JSON.stringify({ channelPrefix: prefix }));
    const retried = await twAdmin(['retry', task.id, '--json', '--config', config], { env: { DATABASE_URL: url, REDIS_URL } });
    rmSync(dir, { recursive: true, force: true });
    expect(retried.code, retried.stderr).to.equal(0);
    const done = await settled(tw, task.id, 'COMPLETED');
    expect(done.resultValue).to.equal('synced');
    expect(Date.now() - started, 'woken by Redis, not by the 60 s poll').to.be.below(20_000);
  });
});
