// The completion batcher (lib/completion-batcher.ts): completions gathered for one batch window, a
// full batch sent at once, at most two writes in flight with the rest gathered behind them, and each
// caller told what became of its own completion.
import { expect } from 'chai';
import { CompletionBatcher, type BatchResult, type CompletionOutcome } from '../../lib/completion-batcher';
import type { Completion } from '../../lib/db/dialect';
import { turns, waitFor } from '../support/wait';

const completion = (id: string): Completion => ({ id, attempt: 0, result: '1', startedAt: 1, finishedAt: 2, duration: 0.001 });

/** A batcher whose writes wait until the spec ends them, each with the result it chooses. */
function batcherWithManualWrites(delayMs: number, maxBatch = 100) {
  const writes: Array<{ ids: string[]; end: (result: BatchResult | Error) => void }> = [];
  const batcher = new CompletionBatcher(delayMs, maxBatch, (completions) => new Promise<BatchResult>((resolve, reject) => {
    writes.push({ ids: completions.map((c) => c.id), end: (r) => (r instanceof Error ? reject(r) : resolve(r)) });
  }));
  const outcomes = new Map<string, CompletionOutcome>();
  const add = (...ids: string[]) => Promise.all(ids.map((id) => batcher.add(completion(id)).then((o) => void outcomes.set(id, o))));
  const allWritten = (ids: string[]): BatchResult => ({ written: new Set(ids), rejected: new Map() });
  return { batcher, writes, outcomes, add, allWritten };
}

describe('completion batcher', () => {
  it('gathers completions until the batch window ends, then writes them together', async () => {
    const { writes, add, allWritten } = batcherWithManualWrites(5);
    const added = add('a', 'b', 'c');
    expect(writes).to.deep.equal([]);
    await waitFor('the batch to be written', () => writes.length > 0, 5000, 1);
    expect(writes.map((w) => w.ids)).to.deep.equal([['a', 'b', 'c']]);
    writes[0].end(allWritten(['a', 'b', 'c']));
    await added;
  });

  it('writes nothing before its window ends or flush() is called', async () => {
    const { batcher, writes, add, allWritten, outcomes } = batcherWithManualWrites(60_000);
    const added = add('a', 'b');
    await turns();
    expect(writes).to.deep.equal([]);
    batcher.flush();
    expect(writes.map((w) => w.ids)).to.deep.equal([['a', 'b']]);
    writes[0].end(allWritten(['a', 'b']));
    await added;
    expect([...outcomes.values()]).to.deep.equal([{ kind: 'written' }, { kind: 'written' }]);
  });

  it('sends a full batch at once, and the rest waits for its window', async () => {
    const { batcher, writes, add, allWritten } = batcherWithManualWrites(60_000, 3);
    const added = add('a', 'b', 'c', 'd');
    expect(writes.map((w) => w.ids)).to.deep.equal([['a', 'b', 'c']]);
    await turns();
    expect(writes).to.have.length(1);
    batcher.flush();
    expect(writes.map((w) => w.ids)).to.deep.equal([['a', 'b', 'c'], ['d']]);
    writes[0].end(allWritten(['a', 'b', 'c']));
    writes[1].end(allWritten(['d']));
    await added;
  });

  it('with no window, writes each completion at once', () => {
    const { writes, add } = batcherWithManualWrites(0);
    void add('a');
    void add('b');
    expect(writes.map((w) => w.ids)).to.deep.equal([['a'], ['b']]);
  });

  it('keeps at most two writes in flight; what gathers meanwhile goes out as one batch when one ends', async () => {
    const { writes, add, allWritten } = batcherWithManualWrites(0);
    const added = add('a', 'b', 'c', 'd', 'e');
    expect(writes.map((w) => w.ids)).to.deep.equal([['a'], ['b']]);
    writes[1].end(allWritten(['b']));
    await turns();
    expect(writes.map((w) => w.ids)).to.deep.equal([['a'], ['b'], ['c', 'd', 'e']]);
    writes[0].end(allWritten(['a']));
    writes[2].end(allWritten(['c', 'd', 'e']));
    await added;
  });

  it('tells each caller what became of its own completion: written, lost, refused with the reason', async () => {
    const { batcher, writes, add, outcomes } = batcherWithManualWrites(60_000);
    const added = add('a', 'b', 'c');
    batcher.flush();
    writes[0].end({ written: new Set(['a']), rejected: new Map([['b', 'value too long']]) });
    await added;
    expect(Object.fromEntries(outcomes)).to.deep.equal({ a: { kind: 'written' }, b: { kind: 'rejected', reason: 'value too long' }, c: { kind: 'lost' } });
  });

  it('a write given up part-way: what was written stays written, the rest is abandoned', async () => {
    const { batcher, writes, add, outcomes } = batcherWithManualWrites(60_000);
    const added = add('a', 'b', 'c');
    batcher.flush();
    writes[0].end({ written: new Set(['a']), rejected: new Map([['b', 'value too long']]), abandoned: true });
    await added;
    expect(Object.fromEntries(outcomes)).to.deep.equal({ a: { kind: 'written' }, b: { kind: 'rejected', reason: 'value too long' }, c: { kind: 'abandoned' } });
  });

  it('a write that throws leaves no caller waiting: its completions are abandoned', async () => {
    const { batcher, writes, add, outcomes } = batcherWithManualWrites(60_000);
    const added = add('a', 'b');
    batcher.flush();
    writes[0].end(new Error('unexpected'));
    await added;
    expect(Object.fromEntries(outcomes)).to.deep.equal({ a: { kind: 'abandoned' }, b: { kind: 'abandoned' } });
  });
});
