// The body of one pool thread: loads the task modules into this thread's registry, then runs
// one task at a time for the pool.
import { parentPort, workerData } from 'node:worker_threads';
import { taskContext, taskContextStorage, type TaskContext } from '../context';
import { describeError, executeTask } from '../executor';
import { loadTaskModules } from '../modules';
import { LazyAbortController } from './lazy-abort';
import { ProgressCoalescer } from '../progress';
import { CancelledError } from '../task-errors';
import { defaultRegistry } from '../registry';
import type { FromThread, ThreadData, ToThread } from './thread-messages';

const data = workerData as ThreadData;
const port = parentPort!;
const send = (message: FromThread) => port.postMessage(message);
let controller: LazyAbortController | undefined;
let running: TaskContext | undefined;
/** How often a thread passes a task's latest progress to the worker, at most. */
const PROGRESS_SEND_MS = 100;

loadTaskModules(data.modules, data.cwd).then(
  () => send({ type: 'ready', declared: { tasks: defaultRegistry.names(), schedules: defaultRegistry.declaredSchedules() } }),
  (error: unknown) => send({ type: 'load-error', error: describeError(error) }),
);

port.on('message', (message: ToThread) => {
  if (message.type === 'abort') {
    const context = running;
    if (!context || (message.id !== undefined && message.id !== context.id)) return; // that task has ended already
    const reason = message.cancel ? CancelledError.fromStoredText(message.cancel) : new Error('worker stopped');
    // Abort listeners run inside abort(): give them the task's context, so currentTask() works there.
    taskContextStorage.run(context, () => controller?.abort(reason));
    return;
  }
  const { id } = message.call;
  controller = new LazyAbortController();
  const progress = new ProgressCoalescer(PROGRESS_SEND_MS, (report, at) => send({ type: 'progress', id, report, at }));
  const context = taskContext(message.call, controller, progress.report);
  running = context;
  executeTask(defaultRegistry, data.moduleRoot, message.call, context).then((outcome) => {
    progress.flush();
    send({ type: 'done', id, outcome });
  });
});
