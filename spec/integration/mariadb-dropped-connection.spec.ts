// MariaDB drops the connection after a statement over max_allowed_packet. That connection must
// never be lent again: the next valid call, ours or the app's through the same Sequelize instance,
// works at once instead of failing with ECONNRESET.
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { TaskRegistry, type TaskWorker } from '../../lib/index';
import { openSuite } from '../support/harness';

describe('a connection MariaDB dropped [mariadb]', function () {
  let tw: TaskWorker;
  let oversized: string;

  before(async function () {
    tw = await openSuite(this, 'mariadb', 'dropped_conn', { registry: new TaskRegistry() });
    const [{ packet }] = await tw.sequelize.query<{ packet: number | string }>('SELECT @@max_allowed_packet AS packet', { type: QueryTypes.SELECT });
    oversized = 'x'.repeat(Number(packet) + 1024);
  });
  after(async () => tw?.close());

  it('is not reused: after each oversized statement is refused, the next valid call succeeds', async () => {
    for (let round = 0; round < 3; round++) {
      let refused: unknown;
      await tw.createTask('app.big', { args: [oversized] }).catch((error: unknown) => (refused = error));
      expect((refused as Error)?.message).to.match(/max_allowed_packet/);
      const task = await tw.createTask('app.small');
      expect((await tw.getTask(task.id))?.status).to.equal('PENDING');

      await tw.sequelize.query(`SELECT '${oversized}' AS x`).catch((error: unknown) => (refused = error));
      expect((refused as Error)?.message).to.match(/max_allowed_packet/);
      const rows = await tw.sequelize.query<{ one: number }>('SELECT 1 AS one', { type: QueryTypes.SELECT });
      expect(Number(rows[0].one)).to.equal(1);
    }
  });
});
