// Task ids sort in creation order only under a byte-wise collation. Many PostgreSQL servers are
// initialised with an en_US locale, whose linguistic order ("a" before "B") is not the ids'
// ASCII order: the claim's tie-break by id must not depend on the database's default collation.
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { TaskRegistry, TaskWorker } from '../../lib/index';
import type { ClaimParams } from '../../lib/db/dialect';
import { freshDatabase, missingPrerequisite, requireService } from '../support/services';

describe('task ids on a PostgreSQL database with an en-US default collation', function () {
  let tw: TaskWorker;

  before(async function () {
    await requireService(this, 'postgres');
    let databaseUrl: string;
    try {
      databaseUrl = await freshDatabase('postgres', 'collation', { linguisticCollation: true });
    } catch (error) {
      // ICU collations need a PostgreSQL 15+ server built with ICU (Debian's and the CI machine's are).
      return missingPrerequisite(this, `cannot create an ICU en-US database: ${(error as Error).message}`,
        'CI needs a PostgreSQL server with ICU', 'use a PostgreSQL 15+ server built with ICU to run this test');
    }
    tw = new TaskWorker({ databaseUrl, redisUrl: null, pool: 'inline', registry: new TaskRegistry(), logLevel: 'silent' });
    await tw.migrate();
  });
  after(async () => tw?.close());

  it('claims tasks created together in creation order', async () => {
    // One call: the same priority and run_at for all, so only the id orders them.
    const created = await tw.createTasks(Array.from({ length: 150 }, () => ({ name: 't.ordered' })));
    const ids = created.map((t) => t.id);
    // The premise: this database's own order of these strings is not their creation order.
    const [{ sorted }] = await tw.sequelize.query<{ sorted: string[] }>(
      'SELECT array_agg(x ORDER BY x) AS sorted FROM unnest(CAST($1 AS text[])) AS x', { bind: [ids], type: QueryTypes.SELECT });
    expect(sorted).to.not.deep.equal(ids);

    const params: ClaimParams = { from: 'PENDING', limit: 75, now: Date.now() + 1, workerId: 'w1', leaseUntil: Date.now() + 30_000, defaultMaxRetries: 0, queues: [] };
    const claimed = await tw.store.claim(params);
    expect(claimed.map((t) => t.id).sort()).to.deep.equal(ids.slice(0, 75));
  });
});
