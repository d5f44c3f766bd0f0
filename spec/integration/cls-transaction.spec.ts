// Apps that use Sequelize's CLS (Sequelize.useCLS) get every query of a managed transaction inside
// it without passing `transaction`: a task created there must be too, and be announced on commit.
import { expect } from 'chai';
import { createNamespace } from 'cls-hooked';
import { Sequelize as BaseSequelize } from 'sequelize';
import { TaskRegistry, type TaskWorker } from '../../lib/index';
import { ALL_DIALECTS } from '../support/services';
import { clearTasks, countTasks, openSuite } from '../support/harness';

for (const dialect of ALL_DIALECTS) {
  describe(`createTask inside a CLS-managed transaction [${dialect}]`, function () {
    let tw: TaskWorker;
    const registry = new TaskRegistry();
    registry.register('cls.task', () => 'done');

    before(async function () {
      tw = await openSuite(this, dialect, 'cls', { registry });
      BaseSequelize.useCLS(createNamespace(`tw-cls-${dialect}-${process.pid}`));
    });
    after(async () => {
      // useCLS is process-wide: later suites must not run inside it.
      delete (BaseSequelize as unknown as { _cls?: unknown })._cls;
      await tw?.close();
    });
    beforeEach(async () => clearTasks(tw));

    it('joins the transaction: a rollback leaves no task and no wake-up', async () => {
      const heard: string[] = [];
      const unsubscribe = await tw.notifier.subscribe('created', (event) => heard.push(event.id));
      try {
        await tw.sequelize.transaction(async () => {
          await tw.createTask('cls.task');
          await tw.createTasks([{ name: 'cls.task' }, { name: 'cls.task' }]);
          throw new Error('roll back');
        }).catch((error: Error) => expect(error.message).to.equal('roll back'));
        expect(await countTasks(tw)).to.equal(0);
        await new Promise((resolve) => setImmediate(resolve));
        expect(heard).to.deep.equal([]);
      } finally {
        unsubscribe();
      }
    });

    it('joins the transaction: the task appears, and is announced, on commit', async () => {
      const heard: string[] = [];
      const unsubscribe = await tw.notifier.subscribe('created', (event) => heard.push(event.id));
      try {
        let id = '';
        await tw.sequelize.transaction(async () => {
          id = (await tw.createTask('cls.task')).id;
          expect(heard).to.deep.equal([]); // not before the commit
        });
        expect(await countTasks(tw)).to.equal(1);
        await new Promise((resolve) => setImmediate(resolve));
        expect(heard).to.deep.equal([id]);
      } finally {
        unsubscribe();
      }
    });
  });
}
