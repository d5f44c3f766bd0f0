// OpenTelemetry traces with an in-process worker (inline pool): with an SDK registered, createTask
// makes a producer span, child of the span active in the caller (an HTTP request's), whose context
// is stored on the task row; each attempt is a consumer span, its child, and the handler's own spans
// nest under it; every span lands in the same trace. With no SDK registered nothing is stored. The
// same link across a real tw-worker process is in spec/e2e/observability-processes.spec.ts.
import { expect } from 'chai';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { currentTask, TaskRegistry, type TaskWorker } from '../../lib/index';
import { openSuite } from '../support/harness';
import { waitFor } from '../support/wait';

describe('tracing [sqlite]', function () {
  let tw: TaskWorker;
  const exporter = new InMemorySpanExporter();
  const registry = new TaskRegistry();
  registry.register('tr.work', async (fail: boolean) => {
    // A span of the handler's own (an HTTP call it makes, say).
    await trace.getTracer('app').startActiveSpan('handler step', async (span) => span.end());
    if (fail && currentTask().attempt === 0) throw new Error('first attempt fails');
    return 'ok';
  });

  const spans = (name: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.name === name);
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

  before(async function () {
    tw = await openSuite(this, 'sqlite', 'tracing', { registry, backoffBase: 0.05, backoffCap: 0.1, pollInterval: 0.2 });
    await tw.startWorker();
  });
  after(async () => {
    await tw?.close();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('without a registered SDK: no span, no trace context stored', async () => {
    const task = await tw.createTask('tr.work', { args: [false] });
    expect((await tw.waitForCompletion(task.id, { timeout: 10 }))?.status).to.equal('COMPLETED');
    expect(task.traceContext).to.equal(null);
    expect((await tw.getTask(task.id))!.traceContext).to.equal(null);
  });

  it('links the request, the producer span, each attempt and the handler\'s spans in one trace', async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    const request = trace.getTracer('http').startSpan('POST /orders', { kind: SpanKind.SERVER });
    const task = await context.with(trace.setSpan(context.active(), request), () => tw.createTask('tr.work', { args: [true], maxRetries: 1 }));
    request.end();
    expect((await tw.waitForCompletion(task.id, { timeout: 10 }))?.status).to.equal('COMPLETED');
    await waitFor('both attempts traced', () => spans('process tr.work').length === 2);

    const [producer] = spans('send tr.work');
    expect(producer.kind).to.equal(SpanKind.PRODUCER);
    expect(parentOf(producer)).to.equal(request.spanContext().spanId);
    expect(producer.attributes).to.include({ 'messaging.system': 'task-worker', 'messaging.message.id': task.id, 'messaging.destination.name': 'default' });
    const stored = JSON.parse((await tw.getTask(task.id))!.traceContext!) as { traceparent: string };
    expect(stored.traceparent).to.equal(`00-${producer.spanContext().traceId}-${producer.spanContext().spanId}-01`);

    const attempts = spans('process tr.work').sort((a, b) => Number(a.attributes['task_worker.task.attempt']) - Number(b.attributes['task_worker.task.attempt']));
    for (const attempt of attempts) {
      expect(attempt.kind).to.equal(SpanKind.CONSUMER);
      expect(parentOf(attempt)).to.equal(producer.spanContext().spanId);
      expect(attempt.spanContext().traceId).to.equal(request.spanContext().traceId);
    }
    expect(attempts[0].status.code).to.equal(2); // ERROR
    expect(attempts[0].attributes['error.type']).to.equal('TW_TASK_ERROR');
    expect(attempts[1].status.code).to.not.equal(2);
    // The handler's own spans are children of their attempt's span.
    const steps = spans('handler step');
    expect(steps.map(parentOf).sort()).to.deep.equal(attempts.map((a) => a.spanContext().spanId).sort());
  });

  it('one producer span for createTasks, every task carrying its context', async () => {
    exporter.reset();
    const tasks = await tw.createTasks([{ name: 'tr.work', args: [false] }, { name: 'tr.work', args: [false] }]);
    for (const task of tasks) expect((await tw.waitForCompletion(task.id, { timeout: 10 }))?.status).to.equal('COMPLETED');
    await waitFor('both runs traced', () => spans('process tr.work').length === 2);
    const [producer] = spans('send tr.work');
    expect(producer.attributes['messaging.batch.message_count']).to.equal(2);
    expect(spans('process tr.work').map(parentOf)).to.deep.equal([producer.spanContext().spanId, producer.spanContext().spanId]);
  });
});
