// The body of one pool thread: loads the task modules into this thread's registry, then runs the
// calls the pool queues to it, one at a time in the order received. Each call is started only if
// the pool has not taken it back (thread-ring.ts). Results finished in the same turn of the event
// loop go back in one message.
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
  if (!ring.start(cell, startedAt)) return; // taken back by the pool: it runs elsewhere, or not at all
  const began = performance.now();
  controller = new LazyAbortController();
  const progress = new ProgressCoalescer(PROGRESS_SEND_MS, (report, at) => send({ type: 'progress', id: call.id, report, at }));
  running = taskContext(call, controller, progress.report);
  const outcome = await executeTask(defaultRegistry, data.moduleRoot, call, running);
  running = undefined;
  progress.flush();
  ring.finish(cell);
  results.push({ id: call.id, outcome, startedAt, durationMs: performance.now() - began });
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
