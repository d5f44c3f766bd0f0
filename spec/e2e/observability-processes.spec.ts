// Seeing and steering work across real processes: tw-admin cancels a task running in a tw-worker's
// thread pool (a busy loop that ignores its signal: its thread is ended after the grace; a handler
// that honours it: at once), with Redis and without it (the worker finds the cancel at its
// heartbeat); two tw-worker processes stop claiming a paused queue and take it up again when it is
// resumed; a SIGKILLed worker's attempt is kept beside the one that succeeded elsewhere; and a
// tw-worker with --metrics-port and a preloaded OpenTelemetry SDK serves counters matching what it
// ran and continues the trace of the request that enqueued its task.
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TaskWorker } from '../../lib/index';
import type { SpanLine } from '../fixtures/otel-to-file';
import { openSuite } from '../support/harness';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text';
import { REDIS_URL, requireService, type TestDialect } from '../support/services';
import { twAdmin } from '../support/tw-admin-process';
import { waitFor } from '../support/wait';
import { cleanupWorkers, faultDir, readRecords, WorkerProcess } from '../support/worker-process';

const OTEL_PRELOAD = path.resolve(__dirname, '..', 'fixtures', 'otel-to-file.js');

/** Cancels through Redis on PostgreSQL, and without Redis (at the heartbeat) on MariaDB. */
const CANCEL_CASES: Array<{ dialect: TestDialect; withRedis: boolean }> = [{ dialect: 'mariadb', withRedis: false }, { dialect: 'postgres', withRedis: true }];

for (const { dialect, withRedis } of CANCEL_CASES) {
  describe(`cancel a running task in a tw-worker [${dialect}${withRedis ? ' + redis' : ', no redis'}]`, function () {
    let tw: TaskWorker;
    let worker: WorkerProcess;
    let dir: string;
    /** tw-admin's flags: the database, and with Redis the worker's channels (its prefix, in a config file). */
    let admin: string[];

    before(async function () {
      tw = await openSuite(this, dialect, `cancel_${withRedis ? 'r' : 'n'}`, { withRedis });
      dir = faultDir('cancel');
      // One slot: the task after a busy loop runs in the thread that replaced its thread. Without Redis a
      // 1.5 s lease (a heartbeat every 0.5 s) finds the cancel; with Redis a 30 s one (every 10 s) could not in time.
      worker = await WorkerProcess.start({ label: `cancel-${dialect}`, databaseUrl: tw.config.databaseUrl, faultDir: dir, concurrency: 1,
        leaseTime: withRedis ? 30 : 1.5, pollInterval: 0.2, redisUrl: withRedis ? REDIS_URL : undefined, config: { channelPrefix: tw.config.channelPrefix } });
      const config = path.join(dir, 'tw-admin.json');
      writeFileSync(config, JSON.stringify({ channelPrefix: tw.config.channelPrefix }));
      admin = ['--database-url', tw.config.databaseUrl, '--config', config, ...(withRedis ? ['--redis-url', REDIS_URL] : [])];
    });
    afterEach(async function () {
      if (this.currentTest?.state === 'failed') console.log(`\n----- cancel-${dialect} -----\n${worker?.text.slice(-20_000)}`);
    });
    after(async function () {
      if (worker) expect(await worker.stop()).to.equal(0);
      await cleanupWorkers(this);
      await tw?.close();
    });

    const started = (id: string) => waitFor(`task ${id} started`, () => readRecords(dir).some((r) => r.id === id && r.event === 'start'));

    it('a busy loop that ignores its signal: its thread is ended after the grace, FAILED for good; the slot serves the next task', async () => {
      const spin = await tw.createTask('fault.spin', { maxRetries: 2, timeout: 60 });
      await started(spin.id);
      const run = await twAdmin(['cancel', spin.id, '--reason', 'runaway', '--wait', '20', '--json', ...admin]);
      expect(run.code, run.stderr).to.equal(0);
      const json = JSON.parse(run.stdout) as { status: string; final: boolean; errorCode: string; error: string };
      expect(json).to.include({ status: 'FAILED', final: true, errorCode: 'TW_CANCELLED', error: 'CancelledError: cancelled by an operator: runaway' });
      const next = await tw.createTask('fault.work', { kwargs: { ms: 1 } });
      expect((await tw.waitForCompletion(next.id, { timeout: 15 }))?.status).to.equal('COMPLETED');
      const shown = await twAdmin(['show', spin.id, ...admin]);
      expect(shown.stdout).to.match(/attempts \(oldest first/);
      expect(shown.stdout).to.match(/0\s+failed\s+TW_CANCELLED/);
    });

    it('a handler that honours its signal ends at once, before the grace', async () => {
      const waiting = await tw.createTask('fault.waitAbort', { timeout: 60 });
      await started(waiting.id);
      const asked = Date.now();
      const run = await twAdmin(['cancel', waiting.id, ...admin]);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.match(/^cancelling .*it then ends FAILED with a CancelledError/);
      const failed = (await tw.waitForCompletion(waiting.id, { timeout: 15 }))!;
      expect(failed).to.include({ status: 'FAILED', errorCode: 'TW_CANCELLED' });
      // Before the grace (2 s) ended anything; with Redis long before the heartbeat (10 s) could have.
      expect(failed.finishedAt!.getTime() - asked).to.be.below(withRedis ? 5000 : 4000);
      await waitFor('the handler to see its abort', () => readRecords(dir).some((r) => r.id === waiting.id && r.event === 'aborted'));
    });
  });
}

describe('pause and resume a queue across two tw-worker processes [sqlite]', function () {
  let tw: TaskWorker;
  let dir: string;
  const workers: WorkerProcess[] = [];

  before(async function () {
    tw = await openSuite(this, 'sqlite', 'pause_processes');
    dir = faultDir('pause');
    for (const label of ['pause-a', 'pause-b']) {
      workers.push(await WorkerProcess.start({ label, databaseUrl: tw.config.databaseUrl, faultDir: dir, concurrency: 2, pollInterval: 0.2, pool: 'inline' }));
    }
  });
  after(async function () {
    for (const w of workers) expect(await w.stop()).to.equal(0);
    await cleanupWorkers(this);
    await tw?.close();
  });

  it('no process claims the paused queue (within a poll, no Redis); other queues run; resume brings its tasks back', async () => {
    const paused = await twAdmin(['queues', 'pause', 'reports', '--database-url', tw.config.databaseUrl]);
    expect(paused.code, paused.stderr).to.equal(0);
    expect(paused.stdout).to.match(/^paused queue reports/);
    for (const w of workers) await w.waitForLog('paused queues changed: not claiming from these', 5000, (l) => (l.paused as string[]).includes('reports'));
    const reports = await tw.createTasks(Array.from({ length: 4 }, () => ({ name: 'fault.work', queue: 'reports' })));
    const others = await tw.createTasks(Array.from({ length: 4 }, () => ({ name: 'fault.work', queue: 'default' })));
    for (const t of others) expect((await tw.waitForCompletion(t.id, { timeout: 15 }))?.status).to.equal('COMPLETED');
    for (const t of reports) expect((await tw.getTask(t.id))?.status).to.equal('PENDING');
    const listed = await twAdmin(['queues', '--json', '--database-url', tw.config.databaseUrl]);
    const queues = JSON.parse(listed.stdout) as Array<{ name: string; paused: boolean; stats: { PENDING: number } }>;
    expect(queues.find((q) => q.name === 'reports')).to.deep.include({ paused: true, stats: { ...queues.find((q) => q.name === 'reports')!.stats, PENDING: 4 } });
    expect(queues.find((q) => q.name === 'default')).to.include({ paused: false });
    const resumed = await twAdmin(['queues', 'resume', 'reports', '--database-url', tw.config.databaseUrl]);
    expect(resumed.code, resumed.stderr).to.equal(0);
    for (const t of reports) expect((await tw.waitForCompletion(t.id, { timeout: 15 }))?.status).to.equal('COMPLETED');
    const notPaused = await twAdmin(['queues', 'resume', 'reports', '--database-url', tw.config.databaseUrl]);
    expect(notPaused.code).to.equal(1);
    expect(notPaused.stderr).to.match(/queue reports is not paused/);
  });
});

describe('attempts across a crash: a SIGKILLed worker\'s attempt beside the success elsewhere [postgres]', function () {
  let tw: TaskWorker;

  before(async function () {
    tw = await openSuite(this, 'postgres', 'attempt_crash');
  });
  after(async function () {
    await cleanupWorkers(this);
    await tw?.close();
  });

  it('keeps TW_WORKER_LOST with the killed worker\'s id, then the completed attempt of the one that recovered it', async () => {
    const dir = faultDir('attempt-crash');
    const options = { databaseUrl: tw.config.databaseUrl, faultDir: dir, leaseTime: 1, pollInterval: 0.2, pool: 'inline' as const };
    const doomed = await WorkerProcess.start({ label: 'doomed', ...options });
    const doomedId = (await doomed.waitForLog('worker started')).worker as string;
    const task = await tw.createTask('fault.work', { kwargs: { firstMs: 60_000, ms: 1 }, maxRetries: 1 });
    await waitFor('the first attempt to start', () => readRecords(dir).some((r) => r.id === task.id && r.event === 'start'));
    doomed.signal('SIGKILL');
    await doomed.exited;
    const rescuer = await WorkerProcess.start({ label: 'rescuer', ...options });
    const rescuerId = (await rescuer.waitForLog('worker started')).worker as string;
    const done = (await tw.waitForCompletion(task.id, { timeout: 20, attempts: true }))!;
    expect(done.status).to.equal('COMPLETED');
    expect(done.attempts!.map((a) => [a.attempt, a.outcome, a.errorCode, a.worker])).to.deep.equal([
      [0, 'failed', 'TW_WORKER_LOST', doomedId], [1, 'completed', null, rescuerId],
    ]);
    const json = JSON.parse((await twAdmin(['show', task.id, '--json', '--database-url', tw.config.databaseUrl])).stdout) as { attempts: Array<{ worker: string }> };
    expect(json.attempts.map((a) => a.worker)).to.deep.equal([doomedId, rescuerId]);
    // The logs: at start the tasks, the queues, the pool and the database; at debug a line per outcome.
    const started = await rescuer.waitForLog('worker started');
    expect(started).to.include({ pool: 'inline', queues: 'all', database: tw.config.databaseUrl });
    expect(started.tasks).to.include('fault.work');
    const finished = await rescuer.waitForLog('task finished', 5000, (l) => l.task === task.id);
    expect(finished).to.include({ name: 'fault.work', queue: 'default', attempt: 1, outcome: 'completed' });
    expect(finished.duration).to.be.a('number');
    expect(await rescuer.stop()).to.equal(0);
  });
});

describe('metrics and a trace from a tw-worker process [postgres + redis]', function () {
  let tw: TaskWorker;
  const exporter = new InMemorySpanExporter();

  before(async function () {
    await requireService(this, 'redis');
    tw = await openSuite(this, 'postgres', 'observe_process', { withRedis: true });
  });
  after(async function () {
    await cleanupWorkers(this);
    await tw?.close();
    trace.disable();
    context.disable();
  });

  it('serves /metrics counting what it ran, and its attempt spans continue the trace of the request that enqueued them', async () => {
    const dir = faultDir('observe');
    const worker = await WorkerProcess.start({
      label: 'observed', databaseUrl: tw.config.databaseUrl, faultDir: dir, redisUrl: REDIS_URL, concurrency: 2, pollInterval: 0.2,
      args: ['--metrics-port', '0', '--metrics-host', '127.0.0.1'], nodeArgs: ['--require', OTEL_PRELOAD],
      config: { channelPrefix: tw.config.channelPrefix, backoffBase: 0.05 },
    });
    const port = (await worker.waitForLog('metrics served at /metrics')).port as number;
    // This process is the web app: its request span is the root of the trace.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    const request = trace.getTracer('http').startSpan('POST /work', { kind: SpanKind.SERVER });
    const tasks = await context.with(trace.setSpan(context.active(), request), async () => [
      await tw.createTask('fault.work', { kwargs: { ms: 1 } }),
      await tw.createTask('fault.work', { kwargs: { ms: 1 } }),
      await tw.createTask('fault.work', { kwargs: { failFirst: true }, maxRetries: 1 }),
    ]);
    request.end();
    for (const t of tasks) expect((await tw.waitForCompletion(t.id, { timeout: 15 }))?.status).to.equal('COMPLETED');

    const scrape = async () => {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
      return parsePrometheusText(await response.text());
    };
    const labels = { queue: 'default', name: 'fault.work' };
    const families = await waitFor('the last outcome counted', async () => {
      const f = await scrape();
      return sampleValue(f, 'tw_tasks_completed_total', labels) === 3 ? f : null;
    }, 10_000, 100);
    expect(sampleValue(families, 'tw_tasks_retried_total', labels)).to.equal(1);
    expect(sampleValue(families, 'tw_tasks_failed_total', labels) ?? 0).to.equal(0);
    expect(sampleValue(families, 'tw_task_run_duration_seconds_count', labels)).to.equal(4);
    expect(sampleValue(families, 'tw_worker_slots')).to.equal(2);
    expect((await fetch(`http://127.0.0.1:${port}/elsewhere`)).status).to.equal(404);

    const spanFiles = () => readdirSync(dir).filter((f) => f.startsWith('spans-')).map((f) => path.join(dir, f));
    const consumed = await waitFor('the attempt spans in the worker', () => {
      const lines = spanFiles().filter(existsSync).flatMap((f) => readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as SpanLine));
      const process = lines.filter((l) => l.name === 'process fault.work');
      return process.length === 4 ? process : null;
    });
    const producers = exporter.getFinishedSpans().filter((s) => s.name === 'send fault.work');
    expect(producers).to.have.length(3);
    for (const producer of producers) {
      expect(producer.parentSpanContext?.spanId).to.equal(request.spanContext().spanId);
      const id = producer.attributes['messaging.message.id'];
      const attempts = consumed.filter((c) => c.attributes['messaging.message.id'] === id);
      expect(attempts.length, `attempt spans of ${String(id)}`).to.be.at.least(1);
      for (const attempt of attempts) {
        expect(attempt.kind).to.equal(SpanKind.CONSUMER);
        expect(attempt.traceId).to.equal(request.spanContext().traceId);
        expect(attempt.parentSpanId).to.equal(producer.spanContext().spanId);
      }
    }
    expect(await worker.stop()).to.equal(0);
  });
});
