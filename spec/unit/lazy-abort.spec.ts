// The lazily made AbortController behind a task's signal: aborting before the handler reads the
// signal must still hand it an aborted signal with the reason.
import { expect } from 'chai';
import { LazyAbortController } from '../../lib/pool/lazy-abort';

describe('LazyAbortController', () => {
  it('gives an aborted signal, with the reason, when aborted before the signal was read', () => {
    const controller = new LazyAbortController();
    const reason = new Error('timed out');
    controller.abort(reason);
    expect(controller.signal.aborted).to.equal(true);
    expect(controller.signal.reason).to.equal(reason);
  });

  it('fires the listeners of a signal read before the abort, once', () => {
    const controller = new LazyAbortController();
    const { signal } = controller;
    const seen: unknown[] = [];
    signal.addEventListener('abort', () => seen.push(signal.reason));
    const reason = new Error('worker stopped');
    controller.abort(reason);
    controller.abort(new Error('again'));
    expect(seen).to.deep.equal([reason]);
    expect(controller.signal).to.equal(signal);
  });

  it('keeps the signal unaborted until aborted', () => {
    expect(new LazyAbortController().signal.aborted).to.equal(false);
  });
});
