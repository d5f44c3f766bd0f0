// The inline pool on its own: whatever a handler throws, in any form, its run settles with a failure
// (describing the error never throws); a handler that timed out but goes on running keeps its run,
// and so its slot and lease, until it really ends, for a bounded time.
import { expect } from 'chai';
import { currentTask } from '../../lib/context';
import { describeError } from '../../lib/describe-error';
import { InlinePool } from '../../lib/pool/inline-pool';
import { TaskRegistry } from '../../lib/registry';
import type { TaskCall, TaskOutcome } from '../../lib/types';
import { THROWN_KINDS, thrownValue } from '../fixtures/thrown-values';
import { turns, waitFor } from '../support/wait';

function call(name: string, timeout = 30): TaskCall {
  return { id: `id-${name}-${Math.random()}`, name, queue: 'default', args: [], kwargs: {}, timeout, attempt: 0, scheduledFor: null };
}

describe('describeError', () => {
  for (const kind of THROWN_KINDS) {
    it(`describes a thrown ${kind} without throwing`, () => {
      const text = describeError(thrownValue(kind));
      expect(text).to.be.a('string').and.not.equal('');
    });
  }

  it('keeps name, message and stack of an ordinary error', () => {
    const error = new TypeError('bad');
    expect(describeError(error)).to.equal(error.stack);
  });
});

describe('inline pool', () => {
  let pool: InlinePool;
  let registry: TaskRegistry;
  const warnings: string[] = [];
  const logger = { warn: (_fields: unknown, message: string) => void warnings.push(message), error: () => undefined };

  beforeEach(async () => {
    registry = new TaskRegistry();
    warnings.length = 0;
    pool = new InlinePool(4, registry, undefined, async () => undefined, { logger, holdMs: () => 100 });
    await pool.start();
  });
  afterEach(async () => pool.close());

  for (const kind of THROWN_KINDS) {
    it(`fails a run whose handler throws a ${kind} (at once, and as a rejection)`, async () => {
      registry.register('t.sync', () => {
        throw thrownValue(kind);
      });
      registry.register('t.async', async () => {
        await turns(1);
        throw thrownValue(kind);
      });
      for (const name of ['t.sync', 't.async']) {
        const outcome = await pool.run(call(name));
        expect(outcome.ok, name).to.equal(false);
        expect((outcome as TaskOutcome & { ok: false }).error, name).to.be.a('string').and.not.equal('');
      }
    });
  }

  /** Registers 't.stubborn': notes its signal's abort, ignores it, and ends only when `finish` is called. */
  function stubborn(): { finish: () => void; aborted: () => boolean } {
    let finish: () => void = () => undefined;
    let aborted = false;
    registry.register('t.stubborn', () => {
      currentTask().signal.addEventListener('abort', () => (aborted = true));
      return new Promise<string>((resolve) => (finish = () => resolve('finished late')));
    });
    return { finish: () => finish(), aborted: () => aborted };
  }

  it('keeps the run of a timed-out handler that ignores its signal until it ends, then fails it with the timeout', async () => {
    await pool.close();
    pool = new InlinePool(4, registry, undefined, async () => undefined, { logger, holdMs: () => 60_000 });
    await pool.start();
    const handler = stubborn();
    let outcome: TaskOutcome | undefined;
    const run = pool.run(call('t.stubborn', 0.05)).then((o) => (outcome = o));
    await waitFor('the timeout to abort the signal', () => handler.aborted(), 5000, 5);
    await turns();
    expect(outcome, 'the run (its slot, its lease) must last while its handler runs').to.equal(undefined);
    handler.finish();
    await run;
    expect(outcome).to.deep.include({ ok: false, kind: 'timeout' });
    expect(warnings).to.deep.equal([]);
  });

  it('frees the run of a handler that never ends once the hold has passed, and says so', async () => {
    const handler = stubborn(); // never finished
    const outcome = await pool.run(call('t.stubborn', 0.05));
    expect(handler.aborted()).to.equal(true);
    expect(outcome).to.deep.include({ ok: false, kind: 'timeout' });
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(/still running after its task failed .* its slot is freed now/);
  });
});
