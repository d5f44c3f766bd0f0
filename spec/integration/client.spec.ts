// The client on every database: what createTask saves, bulk inserts, and validation that rejects
// bad input with a typed error and writes nothing.
import { expect } from 'chai';
import { TaskRegistry, TaskWorkerError, UnknownTaskError, ValidationError, type TaskWorker } from '../../lib/index';
import { ALL_DIALECTS } from '../support/services';
import { clearTasks, countTasks, openSuite } from '../support/harness';

/** An array nested `depth` levels deep. */
function nested(depth: number): unknown[] {
  let value: unknown[] = [];
  for (let i = 1; i < depth; i++) value = [value];
  return value;
}

function nestedObject(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

for (const dialect of ALL_DIALECTS) {
  describe(`client [${dialect}]`, function () {
    let tw: TaskWorker;
    const registry = new TaskRegistry();
    registry.register('app.tasks.multiply', (a: number, b: number) => a * b, { timeout: 60 });
    registry.register('app.tasks.send', () => 'sent', { queue: 'emails', priority: 3, maxRetries: 2 });

    before(async function () {
      tw = await openSuite(this, dialect, 'client', { registry });
    });
    after(async () => tw?.close());
    beforeEach(async () => clearTasks(tw));

    it('saves a PENDING task with the seed fields and returns it', async () => {
      const before = Date.now();
      const task = await tw.createTask('app.tasks.multiply', { args: [2, 3], kwargs: { round: true } });
      expect(task.id).to.have.length(22);
      expect(task).to.include({ name: 'app.tasks.multiply', status: 'PENDING', timeout: 60, retryCount: 0, queue: 'default', priority: 0 });
      expect(task.args).to.deep.equal([2, 3]);
      expect(task.kwargs).to.deep.equal({ round: true });
      expect(task.result).to.equal(null);
      expect(task.createdAt).to.be.instanceOf(Date);
      expect(task.createdAt.getTime()).to.be.within(before, Date.now());
      expect(task.startedAt).to.equal(null);
      const stored = (await tw.getTask(task.id))!;
      expect(stored.toJSON()).to.deep.equal(task.toJSON());
      expect(String(stored)).to.equal(`Task ${task.id}: app.tasks.multiply (PENDING)`);
    });

    it('applies the handler defaults, and explicit options over them', async () => {
      const defaulted = await tw.createTask('app.tasks.send');
      expect(defaulted).to.include({ queue: 'emails', priority: 3, maxRetries: 2, timeout: 300 });
      const explicit = await tw.createTask('app.tasks.send', { queue: 'bulk', priority: -2, maxRetries: 0, timeout: 1.5 });
      expect(explicit).to.include({ queue: 'bulk', priority: -2, maxRetries: 0, timeout: 1.5 });
    });

    it('schedules with delay or runAt', async () => {
      const at = new Date(Date.now() + 60_000);
      expect((await tw.createTask('app.tasks.multiply', { runAt: at })).runAt!.getTime()).to.equal(at.getTime());
      const delayed = await tw.createTask('app.tasks.multiply', { delay: 30 });
      expect(delayed.runAt!.getTime() - delayed.createdAt.getTime()).to.equal(30_000);
    });

    it('inserts many tasks at once, in order, all or nothing', async () => {
      const specs = Array.from({ length: 2500 }, (_, i) => ({ name: 'app.tasks.multiply', args: [i, 2] }));
      const tasks = await tw.createTasks(specs);
      expect(tasks.map((t) => t.args[0])).to.deep.equal(specs.map((s) => s.args[0]));
      expect(await countTasks(tw)).to.equal(2500);
      await clearTasks(tw);
      const withBadItem = [...specs.slice(0, 1500), { name: 'app.tasks.multiply', args: [() => 1] }];
      await expectRejected(() => tw.createTasks(withBadItem), ValidationError, /createTasks\[1500\].*args\[0\]: a function/);
      expect(await countTasks(tw)).to.equal(0);
    });

    async function expectRejected(call: () => Promise<unknown>, type: typeof TaskWorkerError, message: RegExp): Promise<void> {
      let caught: unknown;
      try {
        await call();
      } catch (error) {
        caught = error;
      }
      expect(caught, 'expected a rejection').to.be.instanceOf(type);
      expect((caught as Error).message).to.match(message);
      expect(await countTasks(tw)).to.equal(0);
    }

    const badInputs: Array<[string, string, object, typeof TaskWorkerError, RegExp]> = [
      ['an unknown name', 'app.tasks.nope', {}, UnknownTaskError, /unknown task "app\.tasks\.nope".*registered: app\.tasks\.multiply/],
      ['a malformed name', 'app..tasks', {}, ValidationError, /dot-separated identifiers/],
      ['args that are not an array', 'app.tasks.multiply', { args: 'x' }, ValidationError, /args must be an array/],
      ['undefined in args', 'app.tasks.multiply', { args: [1, undefined] }, ValidationError, /args\[1\]: undefined/],
      ['a function in kwargs', 'app.tasks.multiply', { kwargs: { f: () => 1 } }, ValidationError, /kwargs\.f: a function/],
      ['a BigInt', 'app.tasks.multiply', { args: [1n] }, ValidationError, /a BigInt \(pass it as a string\)/],
      ['a Date', 'app.tasks.multiply', { args: [new Date()] }, ValidationError, /a Date \(pass date\.toISOString\(\)\)/],
      ['kwargs that are not an object', 'app.tasks.multiply', { kwargs: [1] }, ValidationError, /kwargs must be a plain object/],
      ['a zero timeout', 'app.tasks.multiply', { timeout: 0 }, ValidationError, /timeout must be a number of seconds above 0/],
      ['a negative timeout', 'app.tasks.multiply', { timeout: -5 }, ValidationError, /timeout/],
      ['an infinite timeout', 'app.tasks.multiply', { timeout: Infinity }, ValidationError, /timeout/],
      ['a string timeout', 'app.tasks.multiply', { timeout: '5' }, ValidationError, /timeout/],
      ['runAt and delay', 'app.tasks.multiply', { runAt: new Date(), delay: 1 }, ValidationError, /runAt or delay, not both/],
      ['an invalid runAt', 'app.tasks.multiply', { runAt: new Date('nope') }, ValidationError, /runAt must be a valid Date/],
      ['a bad queue', 'app.tasks.multiply', { queue: 'no spaces' }, ValidationError, /queue must be/],
      ['a fractional priority', 'app.tasks.multiply', { priority: 1.5 }, ValidationError, /priority must be a whole number/],
      ['negative maxRetries', 'app.tasks.multiply', { maxRetries: -1 }, ValidationError, /maxRetries/],
      ['a misspelled option', 'app.tasks.multiply', { timout: 5 }, ValidationError, /unknown option "timout"/],
      // Bounded by what every database and a JS Date hold: no raw database error, no row that cannot be printed.
      ['a delay of 1e16 s', 'app.tasks.multiply', { delay: 1e16 }, ValidationError, /delay must be .* that ends by 9999-12-31T23:59:59\.999Z/],
      ['a delay of 1e15 s', 'app.tasks.multiply', { delay: 1e15 }, ValidationError, /delay must be/],
      ['a runAt past the year 9999', 'app.tasks.multiply', { runAt: new Date(Date.UTC(10_000, 0, 1)) }, ValidationError, /runAt must be a valid Date from 1970 to 9999-12-31/],
      ['a runAt that is not a Date', 'app.tasks.multiply', { runAt: 1e20 }, ValidationError, /runAt must be a valid Date/],
      ['args nested 5000 deep', 'app.tasks.multiply', { args: [nested(5000)] }, ValidationError, /nested deeper than 64 levels/],
      ['kwargs nested 5000 deep', 'app.tasks.multiply', { kwargs: nestedObject(5000) }, ValidationError, /nested deeper than 64 levels/],
      ['an object as timeout', 'app.tasks.multiply', { timeout: { toString: 'x' } }, ValidationError, /timeout must be .*; got an object/],
      ['a null-prototype object as priority', 'app.tasks.multiply', { priority: Object.create(null) }, ValidationError, /priority must be a whole number/],
      ['an object as uniqueKey', 'app.tasks.multiply', { uniqueKey: { toString: 'x' } }, ValidationError, /uniqueKey must be a string/],
    ];
    for (const [what, name, options, type, message] of badInputs) {
      it(`rejects ${what} with ${type.name} and writes nothing`, async () => {
        await expectRejected(() => tw.createTask(name, options as never), type, message);
      });
    }

    it('accepts arguments nested 64 levels deep, and a runAt at the last millisecond of 9999', async () => {
      const deep = await tw.createTask('app.tasks.multiply', { args: nested(63) });
      expect(JSON.stringify((await tw.getTask(deep.id))!.args)).to.equal(JSON.stringify(nested(63)));
      const last = new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999));
      const late = await tw.createTask('app.tasks.multiply', { runAt: last });
      expect((await tw.getTask(late.id))!.runAt!.getTime()).to.equal(last.getTime());
    });

    it('a name sent as an object is a ValidationError, not a TypeError', async () => {
      for (const name of [{ toString: 'x' }, Object.assign(Object.create(null) as object, { a: 1 }), nestedObject(5000)]) {
        await expectRejected(() => tw.createTask(name as never, {}), ValidationError, /task name must be a non-empty string.*; got an object/);
        await expectRejected(() => tw.createTasks([{ name } as never]), ValidationError, /task name must be a non-empty string/);
      }
    });

    it('waitForCompletion returns null at its timeout and fails fast on an unknown id', async () => {
      const task = await tw.createTask('app.tasks.multiply');
      expect(await tw.waitForCompletion(task.id, { timeout: 0.2 })).to.equal(null);
      let caught: unknown;
      try {
        await tw.waitForCompletion('2JaCuBJ8wtnRAaSDCJw4yP', { timeout: 1 });
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(TaskWorkerError).with.property('code', 'TW_NOT_FOUND');
    });
  });
}
