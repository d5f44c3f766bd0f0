// The claim conformance suite, run on every database: order, readiness, queues, atomicity under
// concurrent claimers, fencing of later writes, and the claim staying an index scan.
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import type { TaskWorker } from '../../lib/index';
import type { ClaimParams } from '../../lib/db/dialect';
import { COMPLETE_SQL } from '../../lib/db/postgres';
import { openDatabase } from '../../lib/db/open';
import { TaskStore } from '../../lib/store/task-store';
import { ALL_DIALECTS } from '../support/services';
import { clearTasks, openSuite } from '../support/harness';

for (const dialect of ALL_DIALECTS) {
  describe(`claim conformance [${dialect}]`, function () {
    let tw: TaskWorker;
    const base = (overrides: Partial<ClaimParams> = {}): ClaimParams => ({
      from: 'PENDING', limit: 10, now: Date.now(), workerId: 'w1', leaseUntil: Date.now() + 30_000,
      defaultMaxRetries: 2, queues: [], ...overrides,
    });

    before(async function () {
      tw = await openSuite(this, dialect, 'claim');
    });
    after(async () => tw?.close());
    beforeEach(async () => clearTasks(tw));

    it('migrating again is a no-op', async () => {
      expect(await tw.migrate()).to.deep.equal([]);
      expect(await tw.pendingMigrations()).to.deep.equal([]);
    });

    it('takes ready PENDING tasks by priority, then run_at, then creation', async () => {
      const now = Date.now();
      const low = await tw.createTask('t.low', { priority: 5 });
      const first = await tw.createTask('t.first', { runAt: new Date(now - 5000) });
      const second = await tw.createTask('t.second');
      const third = await tw.createTask('t.third');
      const urgent = await tw.createTask('t.urgent', { priority: -1 });
      const claimed = await tw.store.claim(base({ now: Date.now() + 1 }));
      const sorted = claimed.sort((a, b) => a.priority - b.priority || (a.runAt! - b.runAt!) || (a.id < b.id ? -1 : 1));
      expect(sorted.map((t) => t.id)).to.deep.equal([urgent.id, first.id, second.id, third.id, low.id]);
      for (const t of claimed) {
        expect(t.status).to.equal('PROGRESS');
        expect(t.lockedBy).to.equal('w1');
        expect(t.startedAt).to.be.a('number');
        expect(t.maxRetries).to.equal(2); // the worker's --retry, written at claim
      }
    });

    it('takes tasks created in one call in creation order: ids compare byte-wise', async () => {
      // One priority and run_at for all: the id alone orders them, across case boundaries ("Z" < "a").
      const created = await tw.createTasks(Array.from({ length: 150 }, () => ({ name: 't.batch' })));
      const claimed = await tw.store.claim(base({ limit: 75, now: Date.now() + 1 }));
      expect(claimed.map((t) => t.id).sort()).to.deep.equal(created.slice(0, 75).map((t) => t.id));
    });

    it('claims no more than the free slots and leaves future tasks waiting', async () => {
      await tw.createTasks(Array.from({ length: 5 }, () => ({ name: 't.now' })));
      const later = await tw.createTask('t.later', { delay: 3600 });
      const claimed = await tw.store.claim(base({ limit: 3, now: Date.now() + 1 }));
      expect(claimed).to.have.length(3);
      const rest = await tw.store.claim(base({ limit: 10, now: Date.now() + 1 }));
      expect(rest).to.have.length(2);
      expect(rest.map((t) => t.id)).to.not.include(later.id);
      expect((await tw.getTask(later.id))!.status).to.equal('PENDING');
      const whenDue = await tw.store.claim(base({ now: Date.now() + 3_601_000 }));
      expect(whenDue.map((t) => t.id)).to.deep.equal([later.id]);
    });

    it('takes only the given queues', async () => {
      const email = await tw.createTask('t.mail', { queue: 'emails' });
      await tw.createTask('t.report', { queue: 'reports' });
      const claimed = await tw.store.claim(base({ queues: ['emails', 'other'], now: Date.now() + 1 }));
      expect(claimed.map((t) => t.id)).to.deep.equal([email.id]);
    });

    it('takes a retryable FAILED task once its retry time has come, counting the retry', async () => {
      const task = await tw.createTask('t.flaky', { maxRetries: 1 });
      const [claimed] = await tw.store.claim(base({ now: Date.now() + 1 }));
      const failedAt = Date.now();
      expect(await tw.store.fail('w1', { id: task.id, attempt: 0, error: 'Error: boom', startedAt: failedAt, finishedAt: failedAt, duration: 0.1, retryAt: failedAt + 5000 })).to.equal(true);
      expect(await tw.store.claim(base({ from: 'FAILED', now: failedAt + 10 }))).to.have.length(0);
      const [retry] = await tw.store.claim(base({ from: 'FAILED', now: failedAt + 5001, workerId: 'w2' }));
      expect(retry.id).to.equal(claimed.id);
      expect(retry.retryCount).to.equal(1);
      expect(retry.lockedBy).to.equal('w2');
      expect(retry.error).to.equal('Error: boom'); // the last error stays visible while the retry runs
    });

    it('never takes a FAILED task with no retry left', async () => {
      const task = await tw.createTask('t.dead');
      await tw.store.claim(base({ now: Date.now() + 1 }));
      await tw.store.fail('w1', { id: task.id, attempt: 0, error: 'x', startedAt: Date.now(), finishedAt: Date.now(), duration: 0, retryAt: null });
      expect(await tw.store.claim(base({ from: 'FAILED', now: Date.now() + 10 ** 9 }))).to.have.length(0);
    });

    it('gives each task to exactly one of many concurrent claimers', async () => {
      await tw.createTasks(Array.from({ length: 300 }, (_, i) => ({ name: 't.race', args: [i] })));
      const seen: string[] = [];
      const claimer = async (worker: string) => {
        for (;;) {
          const got = await tw.store.claim(base({ workerId: worker, limit: 7, now: Date.now() + 1 }));
          if (got.length === 0) return;
          seen.push(...got.map((t) => t.id));
        }
      };
      await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map(claimer));
      expect(seen).to.have.length(300);
      expect(new Set(seen).size).to.equal(300);
    });

    it('fences writes: a worker that no longer holds the task changes nothing', async () => {
      const task = await tw.createTask('t.fenced');
      await tw.store.claim(base({ now: Date.now() + 1 }));
      const done = { id: task.id, attempt: 0, result: '1', startedAt: Date.now(), finishedAt: Date.now(), duration: 0 };
      expect(await tw.store.complete('intruder', [done])).to.deep.equal([]);
      expect(await tw.store.complete('w1', [{ ...done, attempt: 1 }])).to.deep.equal([]);
      expect(await tw.store.fail('intruder', { ...done, error: 'x', retryAt: null })).to.equal(false);
      expect((await tw.getTask(task.id))!.status).to.equal('PROGRESS');
      expect(await tw.store.complete('w1', [done])).to.deep.equal([task.id]);
      const row = (await tw.getTask(task.id))!;
      expect(row.status).to.equal('COMPLETED');
      expect(row.lockedBy).to.equal(null);
      expect(await tw.store.complete('w1', [done])).to.deep.equal([]); // no second completion
    });

    it('renews only its own leases and gives tasks back as PENDING', async () => {
      await tw.createTasks([{ name: 't.a' }, { name: 't.b' }]);
      const mine = await tw.store.claim(base({ limit: 1, now: Date.now() + 1 }));
      await tw.store.claim(base({ limit: 1, workerId: 'w2', now: Date.now() + 1 }));
      expect(await tw.store.renewLeases('w1', Date.now() + 60_000, Date.now())).to.equal(1);
      expect(await tw.store.giveBack('w1', mine.map((t) => t.id), Date.now())).to.equal(1);
      const back = (await tw.getTask(mine[0].id))!;
      expect(back.status).to.equal('PENDING');
      expect(back.lockedBy).to.equal(null);
      expect(back.startedAt).to.equal(null);
    });

    if (dialect === 'postgres') {
      it('gives the claim connection back with default durability, keeping the generic plans', async () => {
        // One connection in the pool: the claim connection and the next borrower are the same session.
        const sequelize = openDatabase(tw.config.databaseUrl, { poolMax: 1 });
        const store = new TaskStore(sequelize);
        const settings = "SELECT current_setting('synchronous_commit') AS durability, current_setting('plan_cache_mode') AS plans, pg_backend_pid() AS pid";
        type Session = { durability: string; plans: string; pid: number };
        try {
          const [claimSession] = await store.runner.rows<Session>(settings, [], { relaxedDurability: true });
          expect(claimSession).to.include({ durability: 'off', plans: 'force_generic_plan' });
          await store.close();
          const [after] = await sequelize.query<Session>(settings, { type: QueryTypes.SELECT });
          expect(after).to.deep.equal({ ...claimSession, durability: 'on' });
        } finally {
          await sequelize.close();
        }
      });

      it('completes a batch by primary key, even with statistics older than the claims', async () => {
        // Statistics say nothing is in PROGRESS; 3,000 rows are. A plan built on that estimate
        // reads every PROGRESS row once per completed task.
        await tw.createTasks(Array.from({ length: 3000 }, () => ({ name: 't.batch' })));
        await tw.sequelize.query('ANALYZE tw_tasks');
        const claimed = await tw.store.claim(base({ limit: 3000, now: Date.now() + 1 }));
        const [{ plan_cache_mode: mode }] = await tw.sequelize.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode', { type: QueryTypes.SELECT });
        expect(mode).to.equal('force_generic_plan');
        const ids = claimed.slice(0, 200).map((t) => t.id);
        const arrays = [ids, ids.map(() => 'null'), ids.map(() => 0), ids.map(() => 1), ids.map(() => 2), ids.map(() => 0.5)]
          .map((values) => `'{${values.join(',')}}'`);
        const plan = await tw.sequelize.transaction(async (transaction) => {
          await tw.sequelize.query(`PREPARE tw_spec_complete AS ${COMPLETE_SQL}`, { transaction });
          const rows = await tw.sequelize.query<Record<string, string>>(
            `EXPLAIN EXECUTE tw_spec_complete(${arrays.join(', ')}, 'w1', '{${ids.map(() => 'null').join(',')}}')`, { type: QueryTypes.SELECT, transaction });
          await tw.sequelize.query('DEALLOCATE tw_spec_complete', { transaction });
          return rows.map((r) => Object.values(r)[0]).join('\n');
        });
        expect(plan).to.match(/Index Scan using tw_tasks_pkey/);
        expect(plan).to.not.match(/Seq Scan|Bitmap|tw_tasks_leases/);
        expect(await tw.store.complete('w1', claimed.map((t) => ({ id: t.id, attempt: 0, result: 'null', startedAt: 1, finishedAt: 2, duration: 0 }))))
          .to.have.length(3000);
      });
    }

    it('keeps the claim, the retry claim and the sweep index scans over a large finished history', async function () {
      this.timeout(120_000);
      const finished = Array.from({ length: 20_000 }, (_, i) => ({ name: 't.history', args: [i] }));
      await tw.createTasks(finished);
      await tw.sequelize.query("UPDATE tw_tasks SET status = 'COMPLETED', run_at = NULL");
      await tw.createTasks(Array.from({ length: 10 }, () => ({ name: 't.ready' })));
      const ready = (status: string, queue = '') =>
        `SELECT id FROM tw_tasks WHERE status = '${status}' AND run_at <= 99999999999999${queue} ORDER BY priority, run_at, id LIMIT 4`;
      // Which index each statement must walk: partial ones on PostgreSQL and SQLite (migration 0002).
      const partial = dialect !== 'mariadb';
      const cases: Array<[string, string]> = [
        [ready('PENDING'), partial ? 'tw_tasks_pending' : 'tw_tasks_claim'],
        [ready('FAILED'), partial ? 'tw_tasks_retry' : 'tw_tasks_claim'],
        [ready('PENDING', " AND queue = 'q1'"), partial ? 'tw_tasks_pending_queue' : 'tw_tasks_claim_queue'],
        // Paused queues are left out by a filter on the same ordered walk (lib/queue-pauses.ts).
        [ready('PENDING', " AND queue NOT IN ('q1', 'q2')"), partial ? 'tw_tasks_pending' : 'tw_tasks_claim'],
        [ready('FAILED', " AND queue NOT IN ('q1', 'q2')"), partial ? 'tw_tasks_retry' : 'tw_tasks_claim'],
        // The retries ranked ahead of the PENDING tasks (shared-sql.ts): the retry walk, and one row of the PENDING one.
        [ready('FAILED', " AND (run_at <= 5 OR priority < COALESCE((SELECT p.priority FROM tw_tasks p WHERE p.status = 'PENDING' " +
          'AND p.run_at <= 99999999999999 ORDER BY p.priority, p.run_at, p.id LIMIT 1), 2147483647))'), partial ? 'tw_tasks_retry' : 'tw_tasks_claim'],
        ["SELECT id FROM tw_tasks WHERE status = 'PROGRESS' AND lease_expires_at < 5 ORDER BY lease_expires_at LIMIT 4",
          partial ? 'tw_tasks_leases' : 'tw_tasks_finished'],
      ];
      if (dialect === 'postgres') await tw.sequelize.query('ANALYZE tw_tasks');
      if (dialect === 'mariadb') await tw.sequelize.query('ANALYZE TABLE tw_tasks');
      for (const [sql, index] of cases) {
        if (dialect === 'postgres') {
          const rows = await tw.sequelize.query<Record<string, string>>(`EXPLAIN ${sql}`, { type: QueryTypes.SELECT });
          const plan = rows.map((r) => Object.values(r)[0]).join('\n');
          expect(plan, sql).to.match(new RegExp(`Index (Only )?Scan using ${index} `));
          expect(plan, sql).to.not.match(/Seq Scan|Sort/);
        } else if (dialect === 'mariadb') {
          const rows = await tw.sequelize.query<{ key: string; type: string; Extra: string | null }>(`EXPLAIN ${sql}`, { type: QueryTypes.SELECT });
          expect(rows[0].key, sql).to.equal(index);
          expect(rows[0].type, sql).to.not.equal('ALL');
        } else {
          const rows = await tw.sequelize.query<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, { type: QueryTypes.SELECT });
          const plan = rows.map((r) => r.detail).join('\n');
          expect(plan, sql).to.match(new RegExp(`USING (COVERING )?INDEX ${index}\\b`));
          expect(plan, sql).to.not.match(/USE TEMP B-TREE/);
        }
      }
    });
  });
}
