// Unique tasks on every database: one task that is not final per uniqueKey (PENDING, PROGRESS, or
// FAILED with a retry due), whoever creates it and however many at once; a create while one exists
// returns it with `deduplicated`, inside the caller's transaction too; a create after it is final
// makes a new one.
import { expect } from 'chai';
import { TaskRegistry, TaskStateError, TaskWorker } from '../../lib/index';
import { countTasks, openSuite } from '../support/harness';
import { ALL_DIALECTS } from '../support/services';

for (const dialect of ALL_DIALECTS) {
  describe(`unique tasks [${dialect}]`, function () {
    this.timeout(60_000);
    let tw: TaskWorker;

    before(async function () {
      tw = await openSuite(this, dialect, 'unique');
    });
    after(async () => tw?.close());

    const claim = (id: string) => tw.store.claim({ from: 'PENDING', limit: 10, now: Date.now(), workerId: 'w1', leaseUntil: Date.now() + 60_000,
      defaultMaxRetries: 1, queues: ['unique-q'] }).then((rows) => rows.find((r) => r.id === id));

    it('returns the task that holds the key while it is PENDING, PROGRESS or retrying; makes a new one once it is final', async () => {
      const first = await tw.createTask('uniq.job', { uniqueKey: 'invoice-1', queue: 'unique-q', args: [1] });
      expect(first.deduplicated).to.equal(false);
      expect(first.uniqueKey).to.equal('invoice-1');
      const again = await tw.createTask('uniq.job', { uniqueKey: 'invoice-1', queue: 'unique-q', args: [2] });
      expect(again.deduplicated).to.equal(true);
      expect(again.id).to.equal(first.id);
      expect(again.args, 'the existing task, as stored').to.deep.equal([1]);

      expect((await claim(first.id))?.status).to.equal('PROGRESS');
      expect((await tw.createTask('uniq.job', { uniqueKey: 'invoice-1' })).id, 'while PROGRESS').to.equal(first.id);
      const now = Date.now();
      expect(await tw.store.fail('w1', { id: first.id, attempt: 0, error: 'boom', startedAt: now, finishedAt: now, duration: 0, retryAt: now + 3_600_000 }))
        .to.equal(true);
      expect((await tw.createTask('uniq.job', { uniqueKey: 'invoice-1' })).id, 'while FAILED with a retry due').to.equal(first.id);

      await tw.admin.cancel(first.id, 'final now');
      const fresh = await tw.createTask('uniq.job', { uniqueKey: 'invoice-1' });
      expect(fresh.deduplicated).to.equal(false);
      expect(fresh.id).to.not.equal(first.id);
      // The cancelled one cannot come back while the new one holds its key.
      let refusal: unknown;
      await tw.admin.retry(first.id).catch((e: unknown) => (refusal = e));
      expect(refusal).to.be.instanceOf(TaskStateError);
      expect((refusal as Error).message).to.match(new RegExp(`task ${fresh.id} holds its uniqueKey "invoice-1" and is PENDING`));
      expect(await countTasks(tw, "unique_key = 'invoice-1'")).to.equal(2);
    });

    it('createTasks: an item whose key is held (by a stored task or an earlier item) returns the holder, in order', async () => {
      const held = await tw.createTask('uniq.job', { uniqueKey: 'batch-held' });
      const tasks = await tw.createTasks([
        { name: 'uniq.job', uniqueKey: 'batch-a', args: [1] }, { name: 'uniq.job', uniqueKey: 'batch-a', args: [2] },
        { name: 'uniq.job', args: [3] }, { name: 'uniq.job', uniqueKey: 'batch-held' },
      ]);
      expect(tasks.map((t) => t.deduplicated)).to.deep.equal([false, true, false, true]);
      expect(tasks[1].id).to.equal(tasks[0].id);
      expect(tasks[3].id).to.equal(held.id);
      expect(await countTasks(tw, "unique_key = 'batch-a'")).to.equal(1);
    });

    it("works inside the caller's transaction: a duplicate does not break it, and a rollback undoes the task", async () => {
      const ids = await tw.sequelize.transaction(async (transaction) => {
        const a = await tw.createTask('uniq.job', { uniqueKey: 'tx-1', transaction });
        const b = await tw.createTask('uniq.job', { uniqueKey: 'tx-1', transaction });
        // The transaction is still usable (on PostgreSQL an error would have aborted it).
        const c = await tw.createTask('uniq.job', { uniqueKey: 'tx-2', transaction });
        return [a, b, c].map((t) => [t.id, t.deduplicated]);
      });
      expect(ids[1]).to.deep.equal([ids[0][0], true]);
      expect(await countTasks(tw, "unique_key IN ('tx-1', 'tx-2')")).to.equal(2);
      await tw.sequelize.transaction(async (transaction) => {
        await tw.createTask('uniq.job', { uniqueKey: 'tx-3', transaction });
        await transaction.rollback();
      }).catch(() => undefined);
      expect(await countTasks(tw, "unique_key = 'tx-3'")).to.equal(0);
      expect((await tw.createTask('uniq.job', { uniqueKey: 'tx-3' })).deduplicated).to.equal(false);
    });

    it('8 creators of the same key at once, each with its own connections, make one task', async () => {
      const creators = Array.from({ length: 8 }, () => new TaskWorker({ databaseUrl: tw.config.databaseUrl, redisUrl: null, logLevel: 'silent',
        registry: new TaskRegistry() }));
      try {
        await Promise.all(creators.map((c) => c.getTask('2JaCvw9eCXudqaknjzkGQR'))); // connected before the race
        for (let round = 0; round < 3; round++) {
          const key = `race-${round}`;
          const made = await Promise.all(creators.map((c) => c.createTask('uniq.job', { uniqueKey: key })));
          expect(new Set(made.map((t) => t.id)).size, 'one task id').to.equal(1);
          expect(made.filter((t) => !t.deduplicated)).to.have.length(1);
          expect(await countTasks(tw, `unique_key = '${key}'`)).to.equal(1);
        }
      } finally {
        await Promise.all(creators.map((c) => c.close()));
      }
    });

    it('refuses a bad uniqueKey, and writes nothing', async () => {
      const before = await countTasks(tw);
      await tw.createTask('uniq.job', { uniqueKey: '' }).then(() => expect.fail('accepted'), (e: Error) => expect(e.message).to.match(/uniqueKey must be a string of 1 to 255/));
      await tw.createTasks([{ name: 'uniq.job' }, { name: 'uniq.job', uniqueKey: 'x'.repeat(256) }])
        .then(() => expect.fail('accepted'), (e: Error) => expect(e.message).to.match(/createTasks\[1\].*uniqueKey/));
      expect(await countTasks(tw)).to.equal(before);
    });
  });
}
