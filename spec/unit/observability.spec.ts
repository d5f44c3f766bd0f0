// The pure parts of progress, cancels, pauses and traces: what progress() accepts, how reports are
// coalesced and read back, the claim filter of paused queues, stored cancel texts, PermanentError
// recognised across copies, and stored trace contexts that are malformed.
import { expect } from 'chai';
import * as otel from '@opentelemetry/api';
import { checkProgress, parseProgress, progressText, ProgressCoalescer, type ProgressReport } from '../../lib/progress';
import { QueuePauses } from '../../lib/queue-pauses';
import { CancelledError, PermanentError } from '../../lib/task-errors';
import { ValidationError } from '../../lib/errors';
import { errorCodeOf } from '../../lib/attempts';
import { parentContext } from '../../lib/tracing';
import { createLogger } from '../../lib/logger';

describe('progress', () => {
  it('accepts 0 to 100 and a small plain JSON object; refuses the rest with a ValidationError', () => {
    expect(checkProgress(0, undefined)).to.deep.equal({ percent: 0, info: null });
    expect(checkProgress(42.5, { step: 'upload', n: [1, 2] })).to.deep.equal({ percent: 42.5, info: { step: 'upload', n: [1, 2] } });
    for (const bad of [-1, 101, NaN, Infinity, '50', null]) expect(() => checkProgress(bad, undefined), String(bad)).to.throw(ValidationError, /0 to 100/);
    expect(() => checkProgress(1, [1])).to.throw(ValidationError, /plain JSON object/);
    expect(() => checkProgress(1, { when: new Date() })).to.throw(ValidationError, /plain JSON/);
    expect(() => checkProgress(1, { big: 'x'.repeat(5000) })).to.throw(ValidationError, /at most 4000/);
  });

  it('reads back what it stores, and nothing malformed', () => {
    const text = progressText({ percent: 30, info: { a: 1 } }, 1_700_000_000_000);
    expect(parseProgress(text)).to.deep.equal({ percent: 30, info: { a: 1 }, at: new Date(1_700_000_000_000) });
    expect(parseProgress(progressText({ percent: 5, info: null }, 1))).to.deep.equal({ percent: 5, info: null, at: new Date(1) });
    for (const bad of [null, undefined, 'nope', '{}', '[]', 42, { percent: 101, at: 1 }, { percent: 1 }, { percent: 1, at: 1, info: 'x' }]) {
      expect(parseProgress(bad), JSON.stringify(bad)).to.equal(null);
    }
  });

  it('a coalescer passes the first report at once, then only the latest, at most once per interval', async () => {
    const sent: number[] = [];
    let next: () => void = () => undefined;
    const coalescer = new ProgressCoalescer(30, (report: ProgressReport) => {
      sent.push(report.percent);
      next();
    });
    for (let i = 1; i <= 1000; i++) coalescer.report({ percent: i / 10, info: null }, i);
    expect(sent).to.deep.equal([0.1]);
    await new Promise<void>((resolve) => (next = resolve));
    expect(sent).to.deep.equal([0.1, 100]);
    coalescer.report({ percent: 7, info: null }, 2000);
    coalescer.flush(); // a run that ends sends what is pending at once
    expect(sent).to.deep.equal([0.1, 100, 7]);
    coalescer.flush();
    expect(sent).to.have.length(3);
  });
});

describe('paused queues in the claim', () => {
  const pauses = (paused: string[]) => {
    const p = new QueuePauses({ queues: { paused: async () => paused } }, createLogger('silent', false));
    return p.refresh().then(() => p);
  };

  it('a worker of every queue excludes the paused ones; one with --queue keeps its running ones, or claims nothing', async () => {
    const none = await pauses([]);
    expect(none.claimFilter([])).to.deep.equal({ queues: [], excludeQueues: [] });
    const some = await pauses(['mail', 'pdf']);
    expect(some.loaded).to.equal(true);
    expect(some.claimFilter([])).to.deep.equal({ queues: [], excludeQueues: ['mail', 'pdf'] });
    expect(some.claimFilter(['mail', 'sms'])).to.deep.equal({ queues: ['sms'], excludeQueues: [] });
    expect(some.claimFilter(['mail', 'pdf'])).to.equal(null);
  });

  it('is not loaded, and keeps the last known set, while the database does not answer', async () => {
    let fail = true;
    const p = new QueuePauses({ queues: { paused: async () => { if (fail) throw new Error('down'); return ['x']; } } }, createLogger('silent', false));
    await p.refresh();
    expect(p.loaded).to.equal(false);
    fail = false;
    expect(await p.refresh()).to.equal(false); // nothing resumed
    fail = true;
    await p.refresh();
    expect(p.claimFilter([])).to.deep.equal({ queues: [], excludeQueues: ['x'] });
  });
});

describe('stored error kinds', () => {
  it('a cancel stored on the row gives back its CancelledError, reason included', () => {
    const text = new CancelledError('wrong customer').storedText;
    expect(CancelledError.fromStoredText(text)).to.be.instanceOf(CancelledError).and.include({ reason: 'wrong customer', code: 'TW_CANCELLED' });
    expect(CancelledError.fromStoredText(new CancelledError().storedText).reason).to.equal(undefined);
  });

  it('PermanentError is recognised by class, subclass or code (another copy of the package)', () => {
    class BadInput extends PermanentError {}
    expect(PermanentError.is(new PermanentError('x'))).to.equal(true);
    expect(PermanentError.is(new BadInput('x'))).to.equal(true);
    expect(PermanentError.is(Object.assign(new Error('x'), { code: 'TW_PERMANENT' }))).to.equal(true);
    expect(PermanentError.is(new Error('x'))).to.equal(false);
    expect(PermanentError.is('TW_PERMANENT')).to.equal(false);
  });

  it('a failed outcome stores its own code, else the one of its kind', () => {
    expect(errorCodeOf({ ok: false, kind: 'error', error: 'x' })).to.equal('TW_TASK_ERROR');
    expect(errorCodeOf({ ok: false, kind: 'timeout', error: 'x' })).to.equal('TW_TIMEOUT');
    expect(errorCodeOf({ ok: false, kind: 'crash', error: 'x' })).to.equal('TW_THREAD_CRASH');
    expect(errorCodeOf({ ok: false, kind: 'error', code: 'TW_PERMANENT', error: 'x' })).to.equal('TW_PERMANENT');
  });
});

describe('stored trace contexts', () => {
  it('a malformed or absent one starts a new trace; a valid one is the remote parent', () => {
    for (const bad of [null, 'nope', '{}', '{"traceparent":"01-abc"}', JSON.stringify({ traceparent: `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01` })]) {
      expect(otel.trace.getSpanContext(parentContext(otel, bad)), String(bad)).to.equal(undefined);
    }
    const traceId = 'a'.repeat(32);
    const spanId = 'b'.repeat(16);
    const parent = otel.trace.getSpanContext(parentContext(otel, JSON.stringify({ traceparent: `00-${traceId}-${spanId}-01`, tracestate: 'k=v' })));
    expect(parent).to.include({ traceId, spanId, traceFlags: 1, isRemote: true });
    expect(parent!.traceState!.get('k')).to.equal('v');
  });
});
