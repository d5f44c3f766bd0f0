// Worker process for the task-worker adapters. Boot only loads the library and the task file, as
// every other queue's boot does; "start" builds the TaskWorker and starts its worker (connections,
// threads, first claim), so start-up is timed from the start signal like graphile-worker's run().
// "stop" stops it gracefully (running tasks finish, completions commit).
'use strict';
const path = require('path');
const { runWorker } = require('../harness/worker-runtime');

const TASKS = path.join(__dirname, 'task-worker-tasks.js');
const ROOT = path.join(__dirname, '..', '..');

/**
 * The observed row: an OpenTelemetry SDK registered as an app would (spans batched, then dropped by
 * the exporter), and the metrics scraped every second. Returns what stops the scrapes.
 */
function observe(tw) {
  const otel = (name) => require(path.join(ROOT, 'node_modules', '@opentelemetry', name));
  const { context, trace } = otel('api');
  const { AsyncLocalStorageContextManager } = otel('context-async-hooks');
  const { BasicTracerProvider, BatchSpanProcessor } = otel('sdk-trace-base');
  const dropping = { export: (spans, done) => done({ code: 0 }), shutdown: async () => undefined };
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropping)] }));
  void tw.metrics; // counting from the start
  const scrapes = setInterval(() => void tw.metrics.text(), 1000);
  return () => clearInterval(scrapes);
}

runWorker({
  async boot() {
    const { TaskWorker } = require(path.join(__dirname, '..', '..', 'dist', 'lib', 'index.js'));
    require(TASKS);
    return { TaskWorker, tw: null };
  },
  async start(state, onTask, cfg) {
    global.__twBenchOnTask = onTask;
    const { observe: observed, ...options } = cfg.worker;
    state.tw = new state.TaskWorker({
      databaseUrl: cfg.databaseUrl, redisUrl: cfg.redisUrl, channelPrefix: cfg.channelPrefix, concurrency: cfg.concurrency,
      modules: [TASKS], logLevel: 'warn', ...options,
    });
    if (observed) state.unobserve = observe(state.tw);
    const worker = state.tw.createWorker();
    // Pool threads return { ...payload, __s: start time }: reported once the outcome is known.
    if ((cfg.worker.pool ?? 'thread') === 'thread') {
      worker.on('task:settled', ({ outcome }) => {
        if (outcome.ok) onTask(JSON.parse(outcome.result));
      });
    }
    await worker.start();
  },
  async stop(state) {
    state.unobserve?.();
    if (state.tw) await state.tw.close();
  },
});
