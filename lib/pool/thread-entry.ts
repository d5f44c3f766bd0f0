// The body of one pool thread: loads the task modules into this thread's registry, then runs the
// calls the pool queues to it, one at a time in the order received. Each call is started only if
// the pool has not taken it back (thread-ring.ts). Results finished in the same turn of the event
// loop go back in one message. After each task the thread measures the memory it holds (heap and
// off-heap: Buffers, external strings); over the pool's bound it starts nothing more and asks to be
// replaced. Anything thrown outside a task's promise (a timer's `throw null`) is described here and
// reported as 'fatal': the pool fails the running task and replaces the thread. Node's own report
// of a thread's uncaught error clones the thrown value into the worker's thread and can itself crash
// the whole process (an error with a cyclic `cause` overflows its stack there), so it is never left
// to Node.
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { taskContext, taskContextStorage, type TaskContext } from '../context';
import { describeError, executeTask } from '../executor';
import { loadTaskModules } from '../modules';
import { LazyAbortController } from './lazy-abort';
import { ProgressCoalescer } from '../progress';
import { CancelledError } from '../task-errors';
import { defaultRegistry } from '../registry';
import { ThreadRing } from './thread-ring';
import type { FromThread, QueuedCall, TaskResult, ThreadData, ToThread } from './thread-messages';

const data = workerData as ThreadData;
const ring = new ThreadRing(data.ring, data.ringSize);
const out = data.port;
const send = (message: FromThread) => out.postMessage(message);
/** How often a thread passes a task's latest progress to the worker, at most. */
const PROGRESS_SEND_MS = 100;

const queue: QueuedCall[] = [];
let draining = false;
let results: TaskResult[] = [];
let flushQueued = false;
let controller: LazyAbortController | undefined;
let running: TaskContext | undefined;
/** Set once the thread asked to be replaced (memory) or reported a fatal error: it starts nothing more. */
let stopping = false;

process.on('uncaughtException', (error: unknown) => {
  if (stopping) return; // already reported: the pool is terminating this thread
  stopping = true;
  flush();
  send({ type: 'fatal', error: describeError(error) });
});

/** Bytes this thread's isolate holds now: its heap and the memory outside it (Buffers, external strings). */
function heldBytes(): number {
  const heap = getHeapStatistics();
  return heap.total_heap_size + heap.external_memory;
}

loadTaskModules(data.modules, data.cwd).then(
  () => send({ type: 'ready', declared: { tasks: defaultRegistry.names(), schedules: defaultRegistry.declaredSchedules() } }),
  (error: unknown) => send({ type: 'load-error', error: describeError(error) }),
);

function flush(): void {
  flushQueued = false;
  if (results.length === 0) return;
  send({ type: 'done', results });
  results = [];
}

async function runOne(item: QueuedCall): Promise<void> {
  const { call, cell } = item;
  const startedAt = Date.now();
  if (stopping || !ring.start(cell, startedAt)) return; // taken back by the pool (it runs elsewhere, or not at all), or this thread is done
  const began = performance.now();
  controller = new LazyAbortController();
  const progress = new ProgressCoalescer(PROGRESS_SEND_MS, (report, at) => send({ type: 'progress', id: call.id, report, at }));
  running = taskContext(call, controller, progress.report);
  const outcome = await executeTask(defaultRegistry, data.moduleRoot, call, running);
  running = undefined;
  progress.flush();
  ring.finish(cell);
  results.push({ id: call.id, outcome, startedAt, durationMs: performance.now() - began });
  const held = heldBytes();
  if (held > data.recycleBytes && !stopping) {
    // What the task left behind (an unreachable Buffer an idle thread never collects) goes with the thread.
    stopping = true;
    send({ type: 'done', results, recycle: held });
    results = [];
    return;
  }
  if (!flushQueued) {
    // Results finished within this turn share one message; a later one does not wait for them.
    flushQueued = true;
    setImmediate(flush);
  }
}

async function drain(): Promise<void> {
  draining = true;
  while (queue.length > 0) await runOne(queue.shift()!);
  draining = false;
  flush();
}

parentPort!.on('message', (message: ToThread) => {
  if (message.type === 'abort') {
    const context = running;
    if (!context || (message.id !== undefined && message.id !== context.id)) return; // that task has ended already
    const reason = message.cancel ? CancelledError.fromStoredText(message.cancel) : new Error('worker stopped');
    // Abort listeners run inside abort(): give them the task's context, so currentTask() works there.
    taskContextStorage.run(context, () => controller?.abort(reason));
    return;
  }
  queue.push(...message.calls);
  if (!draining) void drain();
});
