// Off-heap memory in a real thread pool: a task that fills a large Buffer leaves it on its thread
// (the heap limit does not bound it, and an idle thread does not collect it). A thread holding more
// than threadRecycleMemory after its task is replaced, and the process's RSS falls back; a thread
// under the bound is kept.
import { expect } from 'chai';
import * as path from 'node:path';
import { ThreadPool } from '../../lib/pool/thread-pool';
import type { JsonObject, TaskCall } from '../../lib/types';
import { waitFor } from '../support/wait';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'fault-tasks.js');
const MIB = 1024 * 1024;

function call(name: string, kwargs: JsonObject = {}): TaskCall {
  return { id: `id-${Math.random()}`, name, queue: 'default', args: [], kwargs, timeout: 60, attempt: 0, scheduledFor: null };
}

describe('thread pool: memory a task leaves behind', () => {
  let pool: ThreadPool | undefined;
  const recycled: number[] = [];

  async function start(recycleMb: number): Promise<ThreadPool> {
    recycled.length = 0;
    pool = new ThreadPool({ size: 1, modules: [FIXTURE], moduleRoot: undefined, memoryLimitMb: 64, recycleMb, onRecycle: (held) => recycled.push(held) },
      (error) => {
        throw error;
      });
    await pool.start();
    return pool;
  }

  /** Runs `name` and returns the id of the thread that ran it. */
  async function threadOf(name: string, kwargs: JsonObject = {}): Promise<number> {
    const outcome = await pool!.run(call(name, kwargs));
    if (!outcome.ok) throw new Error(`${name} failed: ${outcome.error}`);
    return (JSON.parse(outcome.result) as { threadId: number }).threadId;
  }

  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it('replaces a thread left holding a 256 MiB Buffer by its task; the RSS falls back', async () => {
    await start(64);
    const first = await threadOf('fault.threadId');
    expect(await threadOf('fault.threadId'), 'an ordinary task keeps its thread').to.equal(first);
    const rssBefore = process.memoryUsage.rss();
    expect(await threadOf('fault.buffer', { mb: 256 })).to.equal(first);
    expect(recycled).to.have.length(1);
    expect(recycled[0]).to.be.above(256 * MIB);
    expect(await threadOf('fault.threadId'), 'the next task runs on a fresh thread').to.not.equal(first);
    const rss = await waitFor('the RSS to fall back', () => {
      const now = process.memoryUsage.rss();
      return now < rssBefore + 64 * MIB ? now : undefined;
    }, 20_000, 50);
    console.log(`      RSS ${Math.round(rssBefore / MIB)} MiB before the task, ${Math.round(rss / MIB)} MiB after its thread was replaced`);
  });

  it('keeps a thread whose task left less than threadRecycleMemory', async () => {
    await start(512);
    const first = await threadOf('fault.threadId');
    expect(await threadOf('fault.buffer', { mb: 64 })).to.equal(first);
    expect(await threadOf('fault.threadId')).to.equal(first);
    expect(recycled).to.deep.equal([]);
  });
});
