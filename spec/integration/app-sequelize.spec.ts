// new TaskWorker({ sequelize }) with the app's own instance, plain `sequelize` (what most Express
// apps have) or `sequelize-typescript`, on every database: the instance already has a connection
// open when task-worker gets it; tasks are created, run and read back through it; the dialect's
// session settings reach its connections; close() leaves it open for the app.
import { expect } from 'chai';
import { QueryTypes, Sequelize as PlainSequelize } from 'sequelize';
import { Sequelize as TypescriptSequelize } from 'sequelize-typescript';
import { ConfigError, TaskRegistry, TaskWorker } from '../../lib/index';
import { ALL_DIALECTS, freshDatabase, requireService, type TestDialect } from '../support/services';

type Kind = 'sequelize' | 'sequelize-typescript';

function appInstance(kind: Kind, dialect: TestDialect, url: string): PlainSequelize {
  const Class = kind === 'sequelize' ? PlainSequelize : TypescriptSequelize;
  if (dialect === 'sqlite') return new Class({ dialect: 'sqlite', storage: url.slice('sqlite:'.length), logging: false });
  return new Class(url, { logging: false });
}

/** The session setting each dialect applies, read on one of the app's pooled connections. */
async function sessionSetting(sequelize: PlainSequelize, dialect: TestDialect): Promise<string> {
  const sql = { postgres: 'SHOW plan_cache_mode', mariadb: 'SELECT @@SESSION.tx_isolation AS v', sqlite: 'PRAGMA journal_mode' }[dialect];
  const rows = await sequelize.query<Record<string, string>>(sql, { type: QueryTypes.SELECT });
  return String(Object.values(rows[0])[0]).toLowerCase();
}

const EXPECTED_SETTING: Record<TestDialect, string> = { postgres: 'force_generic_plan', mariadb: 'read-committed', sqlite: 'wal' };

describe("the app's own Sequelize instance", function () {
  this.timeout(60_000);

  it('anything but a Sequelize instance is a ConfigError that says what to pass', () => {
    expect(() => new TaskWorker({ sequelize: {} as PlainSequelize, logLevel: 'silent' })).to.throw(ConfigError, /Sequelize instance.*databaseUrl/s);
  });

  for (const dialect of ALL_DIALECTS) {
    for (const kind of ['sequelize', 'sequelize-typescript'] as Kind[]) {
      describe(`${kind} [${dialect}]`, () => {
        let app: PlainSequelize;

        before(async function () {
          await requireService(this, dialect);
          app = appInstance(kind, dialect, await freshDatabase(dialect, `app_${kind}`));
          await app.query('SELECT 1'); // the app has used its pool before task-worker sees it
        });
        after(async () => {
          await app?.close();
        });

        it('migrates, creates, runs and reads tasks through it; session settings applied; close() leaves it open', async () => {
          const registry = new TaskRegistry();
          registry.register('app.add', (a: number, b: number) => a + b, { maxRetries: 3 });
          const tw = new TaskWorker({ sequelize: app, registry, pool: 'inline', pollInterval: 0.1, logLevel: 'silent' });
          await tw.migrate();
          await tw.startWorker();
          const task = await tw.createTask('app.add', { args: [2, 3] });
          const done = await tw.waitForCompletion(task.id, { timeout: 20 });
          expect(done?.status).to.equal('COMPLETED');
          expect(done?.resultValue).to.equal(5);
          expect(done?.maxRetries).to.equal(3);
          expect(await sessionSetting(app, dialect)).to.equal(EXPECTED_SETTING[dialect]);
          // A second TaskWorker over the same instance works too (the model is defined once more).
          const other = new TaskWorker({ sequelize: app, registry, pool: 'inline', logLevel: 'silent' });
          expect((await other.getTask(task.id))?.status).to.equal('COMPLETED');
          await other.close();
          await tw.close();
          const rows = await app.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM tw_tasks', { type: QueryTypes.SELECT });
          expect(Number(rows[0].n), 'the app instance still answers after close()').to.equal(1);
        });
      });
    }
  }
});
