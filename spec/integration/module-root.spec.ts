// Names resolved under a moduleRoot, with two TaskWorkers in one process sharing the process-wide
// registry: what one worker's root resolved never runs in a worker without a root, and only the
// functions a module itself exports are tasks (never toString, constructor or another inherited member).
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultRegistry, TaskWorker, UnknownTaskError } from '../../lib/index';
import { openSuite } from '../support/harness';

describe('moduleRoot: two TaskWorkers in one process [sqlite]', function () {
  this.timeout(30_000);
  let root: string;
  let withRoot: TaskWorker;
  let withoutRoot: TaskWorker;
  let producer: TaskWorker;

  before(async function () {
    root = mkdtempSync(path.join(os.tmpdir(), 'tw-two-roots-'));
    mkdirSync(path.join(root, 'app'));
    writeFileSync(path.join(root, 'app', 'tasks.js'), 'exports.multiply = (a, b) => a * b;');
    writeFileSync(path.join(root, 'app', 'fnmod.js'), 'module.exports = function run() { return "run"; };');
    // Both use the process-wide registry, as TaskWorkers do unless given their own.
    withRoot = await openSuite(this, 'sqlite', 'root_a', { registry: defaultRegistry, moduleRoot: root, pollInterval: 0.1 });
    withoutRoot = await openSuite(this, 'sqlite', 'root_b', { registry: defaultRegistry, pollInterval: 0.1 });
    // A producer that knows the root, writing into the rootless worker's database.
    producer = new TaskWorker({ databaseUrl: withoutRoot.config.databaseUrl, redisUrl: null, pool: 'inline', moduleRoot: root, logLevel: 'silent' });
  });
  after(async () => {
    await Promise.all([withRoot, withoutRoot, producer].map((tw) => tw?.close()));
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('a name the root resolved in one worker fails as unknown in a worker without a root', async () => {
    await withRoot.startWorker();
    const here = await withRoot.createTask('app.tasks.multiply', { args: [6, 7] });
    expect((await withRoot.waitForCompletion(here.id, { timeout: 10 }))!.resultValue).to.equal(42);

    await withoutRoot.startWorker();
    const there = await producer.createTask('app.tasks.multiply', { args: [6, 7] });
    const done = (await withoutRoot.waitForCompletion(there.id, { timeout: 10 }))!;
    expect(done.status).to.equal('FAILED');
    expect(done.error, done.error ?? '').to.match(/UnknownTaskError: unknown task "app.tasks.multiply"/);
  });

  it('refuses inherited members at create time: toString, hasOwnProperty, valueOf, __lookupGetter__, constructor', async () => {
    for (const name of ['app.tasks.toString', 'app.tasks.hasOwnProperty', 'app.tasks.valueOf', 'app.tasks.__lookupGetter__',
      'app.fnmod.constructor', 'app.fnmod.call']) {
      let thrown: unknown;
      try {
        await withRoot.createTask(name, { args: ['return process.pid'] });
      } catch (error) {
        thrown = error;
      }
      expect(thrown, name).to.be.instanceOf(UnknownTaskError);
    }
    const rows = await withRoot.sequelize.query("SELECT COUNT(*) AS n FROM tw_tasks WHERE name <> 'app.tasks.multiply'", { plain: true });
    expect(Number((rows as { n: number }).n)).to.equal(0);
  });
});
