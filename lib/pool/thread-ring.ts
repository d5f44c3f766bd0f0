// The state a pool thread shares with the worker for the tasks queued to it, one cell per queued
// task. A call is handed to a thread ahead of time (several per message, to spend one message on
// several tasks) and the two sides decide in one atomic step who owns it: the thread starts it
// (QUEUED -> STARTED) or the worker takes it back unstarted (QUEUED -> REVOKED), never both. The
// worker thus knows without a message whether a task has started and when (for its timeout), and
// can move a task that has not started to another thread, or give it back at shutdown.
//
// A cell holds generation * 8 + state. The generation changes each time the worker reuses the
// cell, so a thread holding a stale copy of a revoked call (in its local queue) cannot start it.

const QUEUED = 1;
const STARTED = 2;
const REVOKED = 3;
/** The thread has finished the task; its result is on its way. */
const FINISHED = 4;

/** Generations wrap well inside Int32: 2^27 reuses of one cell before a stale copy could match. */
const GENERATIONS = 1 << 27;

export interface RingCell {
  index: number;
  generation: number;
}

/** The shared memory of one thread's cells: their states and, once started, their start times. */
export class ThreadRing {
  readonly states: Int32Array;
  readonly startedAt: Float64Array;

  constructor(readonly buffer: SharedArrayBuffer, readonly size: number) {
    this.states = new Int32Array(buffer, 0, size);
    this.startedAt = new Float64Array(buffer, ThreadRing.startsOffset(size), size);
  }

  static create(size: number): ThreadRing {
    return new ThreadRing(new SharedArrayBuffer(ThreadRing.startsOffset(size) + size * 8), size);
  }

  private static startsOffset(size: number): number {
    return Math.ceil((size * 4) / 8) * 8;
  }

  private static word(cell: RingCell, state: number): number {
    return cell.generation * 8 + state;
  }

  static nextGeneration(generation: number): number {
    return (generation + 1) % GENERATIONS || 1;
  }

  /** Worker: queues a call in `cell` (the cell must be free of any earlier call). */
  queue(cell: RingCell): void {
    Atomics.store(this.states, cell.index, ThreadRing.word(cell, QUEUED));
  }

  /** Thread: takes the call for running; false when the worker took it back (or the cell moved on). */
  start(cell: RingCell, at: number): boolean {
    // Written before the exchange that publishes it: whoever sees STARTED sees the time.
    this.startedAt[cell.index] = at;
    const queued = ThreadRing.word(cell, QUEUED);
    return Atomics.compareExchange(this.states, cell.index, queued, ThreadRing.word(cell, STARTED)) === queued;
  }

  /** Thread: the task has returned; its result is being posted. */
  finish(cell: RingCell): void {
    Atomics.store(this.states, cell.index, ThreadRing.word(cell, FINISHED));
  }

  /** Worker: takes back a call that has not started; false when the thread has started it. */
  revoke(cell: RingCell): boolean {
    const queued = ThreadRing.word(cell, QUEUED);
    return Atomics.compareExchange(this.states, cell.index, queued, ThreadRing.word(cell, REVOKED)) === queued;
  }

  /** Worker: the start time of the call in `cell`, or null while it has not started. */
  startTime(cell: RingCell): number | null {
    const word = Atomics.load(this.states, cell.index);
    return word === ThreadRing.word(cell, STARTED) || word === ThreadRing.word(cell, FINISHED) ? this.startedAt[cell.index] : null;
  }

  /** Worker: true once the thread has finished the call in `cell` (its result may still be on its way). */
  finished(cell: RingCell): boolean {
    return Atomics.load(this.states, cell.index) === ThreadRing.word(cell, FINISHED);
  }
}
