// Handler defaults reach tasks created by a process that never loaded the handler: workers record
// their task types at start, and createTask applies them. Precedence: the createTask option, then
// the enqueuer's own registry, then the stored task type, then the config. Unknown names are
// refused once any worker has recorded its types; before that, every valid name is accepted. An
// enqueuer reads the recorded types at most every 10 s, and a name it misses at most every second.
import { expect } from 'chai';
import { TaskRegistry, TaskWorker, UnknownTaskError } from '../../lib/index';
import { countTasks } from '../support/harness';
import { ALL_DIALECTS, freshDatabase, requireService } from '../support/services';
import { waitFor } from '../support/wait';

const MAIL_DEFAULTS = { queue: 'emails', maxRetries: 2, timeout: 7, priority: -1 };

for (const dialect of ALL_DIALECTS) {
  describe(`handler defaults for enqueuers without the handler [${dialect}]`, function () {
    this.timeout(60_000);
    let databaseUrl: string;
    let enqueuer: TaskWorker;
    /** A process that starts after the first worker, as the README's enqueue script does. */
    let later: TaskWorker;
    const opened: TaskWorker[] = [];

    const open = (registry: TaskRegistry, extra: object = {}) => {
      const tw = new TaskWorker({ databaseUrl, registry, pool: 'inline', pollInterval: 0.1, logLevel: 'silent', retry: 1, ...extra });
      opened.push(tw);
      return tw;
    };

    before(async function () {
      await requireService(this, dialect);
      databaseUrl = await freshDatabase(dialect, 'task_types');
      enqueuer = open(new TaskRegistry()); // loads no handler, like the README's enqueue script
      await enqueuer.migrate();
    });
    after(async () => {
      await Promise.all(opened.map((tw) => tw.close()));
    });

    it('before any worker has run, any valid name is accepted with the config defaults', async () => {
      const task = await enqueuer.createTask('types.mail');
      expect(task).to.include({ queue: 'default', priority: 0, timeout: 300, maxRetries: null });
    });

    it("a started worker's handler defaults apply to tasks created by name elsewhere; a -q emails worker runs them", async () => {
      const handlers = new TaskRegistry();
      handlers.register('types.mail', (to: string) => `sent to ${to}`, MAIL_DEFAULTS);
      handlers.register('types.plain', () => 'plain');
      await open(handlers, { queues: ['emails'] }).startWorker();
      later = open(new TaskRegistry());
      const task = await later.createTask('types.mail', { args: ['ann'] });
      expect(task).to.include(MAIL_DEFAULTS);
      const plain = await later.createTask('types.plain');
      expect(plain).to.include({ queue: 'default', priority: 0, timeout: 300, maxRetries: null });
      const done = await enqueuer.waitForCompletion(task.id, { timeout: 20 });
      expect(done?.status).to.equal('COMPLETED');
      expect(done?.resultValue).to.equal('sent to ann');
      const [batch] = await later.createTasks([{ name: 'types.mail', priority: 3 }]);
      expect(batch).to.include({ ...MAIL_DEFAULTS, priority: 3 });
    });

    it('an explicit option wins, then the enqueuer\'s own registry (as a whole), then the stored type', async () => {
      const explicit = await later.createTask('types.mail', { queue: 'urgent', maxRetries: 0, timeout: 1, priority: 5 });
      expect(explicit).to.include({ queue: 'urgent', maxRetries: 0, timeout: 1, priority: 5 });
      const ownRegistry = new TaskRegistry();
      ownRegistry.register('types.mail', () => 'mine', { maxRetries: 5 });
      const mine = await open(ownRegistry).createTask('types.mail');
      expect(mine).to.include({ maxRetries: 5, queue: 'default', timeout: 300, priority: 0 });
    });

    it('once a worker has recorded its types, an unknown name is refused and nothing is written', async () => {
      const before = await countTasks(later);
      let error: unknown;
      await later.createTask('types.nope').catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(UnknownTaskError);
      expect((error as Error).message).to.match(/types\.nope.*types\.mail/);
      error = undefined;
      await later.createTasks([{ name: 'types.mail' }, { name: 'types.nope' }]).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(UnknownTaskError);
      expect(await countTasks(enqueuer)).to.equal(before);
    });

    it("a worker that starts later is seen within a second, despite the enqueuer's cache", async () => {
      await later.createTask('types.mail'); // the cache is fresh
      const late = new TaskRegistry();
      late.register('types.late', () => 'late', { queue: 'late' });
      await open(late).startWorker();
      const started = Date.now();
      const task = await waitFor('types.late to be accepted', () => later.createTask('types.late').catch(() => undefined), 5000, 100);
      expect(Date.now() - started, 'ms until the new name is accepted').to.be.below(2000);
      expect(task.queue).to.equal('late');
    });

    it('a restarted worker replaces its recorded defaults', async () => {
      const changed = new TaskRegistry();
      changed.register('types.late', () => 'late', { queue: 'later', maxRetries: 1 });
      await open(changed).startWorker();
      const task = await waitFor('the new defaults', async () => {
        const t = await later.createTask('types.late');
        return t.queue === 'later' ? t : undefined;
      }, 15_000, 200); // within the enqueuer's 10 s cache
      expect(task).to.include({ queue: 'later', maxRetries: 1 });
    });
  });
}
