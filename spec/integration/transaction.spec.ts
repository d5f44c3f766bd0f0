// Enqueue inside the app's transaction, on every database, with the wake-up crossing Redis: the row
// is written in the transaction, the wake-up is published only after the outermost commit, and a
// rollback leaves neither a row nor a wake-up. The worker polls every 60 s, so a task it runs within
// seconds was woken by the post-commit message, not found by a poll.
import { expect } from 'chai';
import type { Transaction } from 'sequelize';
import { TaskRegistry, TaskWorker, type DatabaseTask, type Worker } from '../../lib/index';
import { ALL_DIALECTS, freshDatabase, REDIS_URL, requireService, uniquePrefix } from '../support/services';
import { waitFor } from '../support/wait';

for (const dialect of ALL_DIALECTS) {
  describe(`enqueue inside the app's transaction (${dialect} + Redis)`, function () {
    let producer: TaskWorker;
    let consumer: TaskWorker;
    let worker: Worker;
    const seen: string[] = []; // ids of 'created' events, in arrival order, as the worker hears them
    let markers = 0;
    const open: Transaction[] = [];

    async function begin(parent?: Transaction): Promise<Transaction> {
      const t = await producer.sequelize.transaction(parent ? { transaction: parent } : {});
      open.push(t);
      return t;
    }

    /** Publishes a marker on the producer's connection and waits for it: every earlier message has arrived too. */
    async function drainWakeUps(): Promise<string[]> {
      const marker = `marker-${++markers}`;
      producer.notifier.publish('created', { id: marker, queue: 'no-such-queue' });
      await waitFor(`wake-up ${marker}`, () => seen.includes(marker), 5000);
      return seen.slice(0, seen.indexOf(marker));
    }

    async function finished(id: string): Promise<DatabaseTask> {
      return waitFor(`task ${id} COMPLETED`, async () => {
        const task = await consumer.getTask(id);
        return task?.status === 'COMPLETED' ? task : null;
      }, 10_000);
    }

    before(async function () {
      await requireService(this, dialect);
      await requireService(this, 'redis');
      const databaseUrl = await freshDatabase(dialect, 'transaction');
      const registry = new TaskRegistry();
      registry.register('tx.echo', (value: unknown) => value);
      const common = { databaseUrl, redisUrl: REDIS_URL, channelPrefix: uniquePrefix('tx'), pool: 'inline' as const, registry, logLevel: 'silent', pollInterval: 60 };
      producer = new TaskWorker(common);
      consumer = new TaskWorker(common);
      await producer.migrate();
      await consumer.notifier.subscribe('created', (event) => seen.push(event.id));
      // The publisher connects in the background: repeat the first marker until it gets through.
      await waitFor('Redis round trip', () => {
        producer.notifier.publish('created', { id: 'hello', queue: 'no-such-queue' });
        return seen.includes('hello');
      }, 10_000, 100);
      worker = await consumer.startWorker();
    });

    afterEach(async function () {
      // A failed assertion must not leave a transaction holding a connection (or SQLite's write lock).
      for (const t of open.splice(0).reverse()) {
        if (!(t as unknown as { finished?: string }).finished) await t.rollback().catch(() => undefined);
      }
    });

    after(async function () {
      await consumer?.close();
      await producer?.close();
    });

    it('commit: the row is invisible until commit, the wake-up follows the commit, and the worker runs it', async function () {
      const t = await begin();
      const task = await producer.createTask('tx.echo', { args: ['committed'], transaction: t });
      const [second] = await producer.createTasks([{ name: 'tx.echo', args: ['bulk'] }], { transaction: t });
      // Read on the producer's own connection: on SQLite, the worker's connection may be parked behind
      // a claim that waits for this transaction's write lock.
      expect(await producer.getTask(task.id), 'visible outside the transaction before commit').to.equal(null);
      expect(await drainWakeUps(), 'wake-up published before commit').to.not.include(task.id);
      await t.commit();
      expect((await finished(task.id)).resultValue).to.equal('committed');
      expect((await finished(second.id)).resultValue).to.equal('bulk');
      expect(seen).to.include(task.id);
    });

    it('rollback: no row and no wake-up', async function () {
      const t = await begin();
      const task = await producer.createTask('tx.echo', { args: ['rolled back'], transaction: t });
      const [second] = await producer.createTasks([{ name: 'tx.echo', args: ['bulk'] }], { transaction: t });
      await t.rollback();
      expect(await drainWakeUps()).to.not.include.members([task.id]).and.not.include(second.id);
      expect(await consumer.getTask(task.id)).to.equal(null);
      expect(await consumer.getTask(second.id)).to.equal(null);
    });

    it('managed transaction: a throw rolls the task back, a return commits it', async function () {
      let doomed = '';
      const failure = await producer.sequelize.transaction(async (t) => {
        doomed = (await producer.createTask('tx.echo', { args: ['doomed'], transaction: t })).id;
        throw new Error('the app changed its mind');
      }).catch((error: Error) => error);
      expect(failure).to.be.instanceOf(Error);
      const kept = await producer.sequelize.transaction(async (t) => producer.createTask('tx.echo', { args: ['kept'], transaction: t }));
      expect((await finished(kept.id)).resultValue).to.equal('kept');
      expect(await consumer.getTask(doomed)).to.equal(null);
      expect(await drainWakeUps()).to.not.include(doomed);
    });

    it('savepoint: the wake-up waits for the outermost commit, not the nested one', async function () {
      const outer = await begin();
      const inner = await begin(outer);
      const task = await producer.createTask('tx.echo', { args: ['nested'], transaction: inner });
      await inner.commit(); // releases the savepoint only: nothing is visible yet
      expect(await drainWakeUps(), 'wake-up published at the savepoint').to.not.include(task.id);
      expect(await producer.getTask(task.id)).to.equal(null);
      await outer.commit();
      expect((await finished(task.id)).resultValue).to.equal('nested');
      expect(worker.status).to.equal('running');
    });
  });
}
