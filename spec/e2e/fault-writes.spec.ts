// Database writes that fail under a running worker (in-process workers on a real database, with a
// fault injected around one store call): a claim that committed but whose reply was lost is found
// and handed back; a completion that cannot be written for longer than the lease is retried until
// it lands while the lease stays renewed (nobody reruns the task); a result the database refuses
// fails the task instead of blocking it forever.
import { expect } from 'chai';
import pino from 'pino';
import { currentTask, TaskRegistry, type TaskWorker } from '../../lib/index';
import { openSuite } from '../support/harness';
import { ALL_DIALECTS, uniquePrefix } from '../support/services';
import { waitFor } from '../support/wait';

/** What a dropped connection looks like to the store: no SQLSTATE, so retried. */
function connectionLost(): Error {
  return new Error('Connection terminated unexpectedly (injected)');
}

interface Captured {
  msg: string;
  [key: string]: unknown;
}

function capturingLogger(lines: Captured[]) {
  return pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Captured) });
}

for (const dialect of ALL_DIALECTS) {
  describe(`fault: failed database writes [${dialect}]`, function () {
    const runs = new Map<string, number>();
    const registry = new TaskRegistry();
    registry.register('writes.count', async (ms = 0) => {
      const { id } = currentTask();
      runs.set(id, (runs.get(id) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, ms));
      return 'ok';
    });
    registry.register('writes.big', (chars: number) => 'x'.repeat(chars));
    const open: TaskWorker[] = [];
    let label = 0;

    /** A TaskWorker on this suite's database (created on first call), with a log it keeps. */
    async function openWorker(context: Mocha.Context, logs: Captured[]): Promise<TaskWorker> {
      const tw = await openSuite(context, dialect, `fault_writes_${label++}`, {
        registry, logger: capturingLogger(logs), leaseTime: 1, pollInterval: 0.1, channelPrefix: uniquePrefix('writes'),
      });
      open.push(tw);
      return tw;
    }

    afterEach(async () => {
      await Promise.all(open.splice(0).map((tw) => tw.close()));
    });

    it('a claim that committed but whose reply was lost is handed back, then runs once', async function () {
      const logs: Captured[] = [];
      const tw = await openWorker(this, logs);
      const realClaim = tw.store.claim.bind(tw.store);
      let injected = false;
      tw.store.claim = async (params) => {
        const rows = await realClaim(params);
        if (rows.length > 0 && !injected) {
          injected = true;
          throw connectionLost(); // the rows are PROGRESS for this worker, which never hears of them
        }
        return rows;
      };
      const task = await tw.createTask('writes.count');
      await tw.startWorker();
      const done = await waitFor('the task to complete', async () => {
        const row = await tw.store.get(task.id);
        return row?.status === 'COMPLETED' ? row : undefined;
      }, 15_000);
      expect(injected).to.equal(true);
      expect(runs.get(task.id)).to.equal(1);
      expect(done.retryCount).to.equal(0);
      expect(logs.some((l) => l.msg === 'found tasks claimed for this worker whose claim reply was lost; handing them back')).to.equal(true);
    });

    it('a completion unwritable for longer than the lease is retried until it lands; the lease stays renewed, no rerun', async function () {
      const logs: Captured[] = [];
      const tw = await openWorker(this, logs);
      // A healthy second worker on the same database: it would sweep and rerun the task if the
      // first worker let its lease lapse while its completion could not be written.
      const other = await openSuite(this, dialect, 'fault_writes_other', {
        registry, logger: capturingLogger([]), leaseTime: 1, pollInterval: 0.1, databaseUrl: tw.config.databaseUrl,
      });
      open.push(other);
      const realComplete = tw.store.complete.bind(tw.store);
      let failUntil = Infinity;
      let failures = 0;
      tw.store.complete = async (workerId, completions) => {
        if (Date.now() < failUntil) {
          failures++;
          throw connectionLost();
        }
        return realComplete(workerId, completions);
      };
      const task = await tw.createTask('writes.count');
      const worker = await tw.startWorker();
      worker.once('task:start', () => (failUntil = Date.now() + 3000)); // 3 leases long
      await waitFor('the first worker to run it', () => runs.get(task.id) === 1);
      await other.startWorker();
      const done = await waitFor('the task to complete', async () => {
        const row = await tw.store.get(task.id);
        return row?.status === 'COMPLETED' ? row : undefined;
      }, 20_000);
      expect(Date.now()).to.be.at.least(failUntil);
      expect(failures).to.be.at.least(3);
      expect(runs.get(task.id), 'ran once: nobody took the task over').to.equal(1);
      expect(done.retryCount).to.equal(0);
      expect(done.result).to.equal('"ok"');
      expect(logs.some((l) => l.msg === 'database write succeeded after retrying')).to.equal(true);
    });

    it('a result the database refuses fails the task (ResultError) instead of blocking it; one it takes is stored whole', async function () {
      const logs: Captured[] = [];
      const tw = await openWorker(this, logs);
      // 70,000 characters: over a MariaDB TEXT column (65,535 bytes); PostgreSQL and SQLite take it.
      const big = await tw.createTask('writes.big', { args: [70_000] });
      const after = await tw.createTask('writes.count');
      await tw.startWorker();
      const settled = await waitFor('the big result to settle', async () => {
        const row = await tw.store.get(big.id);
        return row && (row.status === 'COMPLETED' || row.status === 'FAILED') ? row : undefined;
      }, 15_000);
      // Either stored whole, or refused and failed with the reason: never stored cut, never stuck.
      if (settled.status === 'COMPLETED') {
        expect(settled.result!.length, 'length of the stored result').to.equal(70_002);
        expect(settled.result === JSON.stringify('x'.repeat(70_000)), 'the result as the task returned it').to.equal(true);
      } else {
        expect(settled.error).to.match(/^ResultError: the database refused the task's result \(.*too long/i);
      }
      await waitFor('the next task to complete', async () => (await tw.store.get(after.id))?.status === 'COMPLETED');
    });
  });
}
