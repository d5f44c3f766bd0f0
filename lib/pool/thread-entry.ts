// The body of one pool thread: loads the task modules into this thread's registry, then runs
// one task at a time for the pool.
import { parentPort, workerData } from 'node:worker_threads';
import { taskContext } from '../context';
import { describeError, executeTask } from '../executor';
import { loadTaskModules } from '../modules';
import { LazyAbortController } from './lazy-abort';
import { defaultRegistry } from '../registry';
import type { FromThread, ThreadData, ToThread } from './thread-messages';

const data = workerData as ThreadData;
const port = parentPort!;
const send = (message: FromThread) => port.postMessage(message);
let controller: LazyAbortController | undefined;

loadTaskModules(data.modules, data.cwd).then(
  () => send({ type: 'ready', declared: { tasks: defaultRegistry.names(), schedules: defaultRegistry.declaredSchedules() } }),
  (error: unknown) => send({ type: 'load-error', error: describeError(error) }),
);

port.on('message', (message: ToThread) => {
  if (message.type === 'abort') {
    controller?.abort(new Error('worker stopped'));
    return;
  }
  controller = new LazyAbortController();
  executeTask(defaultRegistry, data.moduleRoot, message.call, taskContext(message.call, controller)).then((outcome) => {
    send({ type: 'done', id: message.call.id, outcome });
  });
});
