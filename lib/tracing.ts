// OpenTelemetry traces, when the app registers an SDK: a producer span around each createTask /
// createTasks, whose context is stored on the task rows (trace_context, W3C traceparent), and a
// consumer span around each attempt, a child of it, so one trace runs from the request that enqueued
// a task to its run in another process. @opentelemetry/api is an optional peer dependency, loaded on
// first use; with no tracer provider registered (or no API installed) nothing is traced and nothing
// is stored, at the cost of one look-up per call.
import type { Context, Span, Tracer } from '@opentelemetry/api';
import { errorCodeOf } from './attempts';
import type { TaskOutcome, TaskRecord } from './types';

type OtelApi = typeof import('@opentelemetry/api');

const TRACER_NAME = 'task-worker';
/** The W3C trace-context header, version 00: trace id, parent span id, flags. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const INVALID_TRACE_ID = '0'.repeat(32);
const INVALID_SPAN_ID = '0'.repeat(16);
/** A stored context longer than this (a huge tracestate) is not stored: the column holds 1,024. */
const MAX_CONTEXT_CHARS = 1024;

let api: OtelApi | null | undefined;

/** The OpenTelemetry API if the app installed it (required once, on first use); else null. */
function otel(): OtelApi | null {
  if (api === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      api = require('@opentelemetry/api') as OtelApi;
    } catch {
      api = null;
    }
  }
  return api;
}

/** Loads the OpenTelemetry API now (if installed), so that the first task does not wait for it. */
export function preloadTracing(): void {
  otel();
}

/** The tracer of the registered provider; undefined while none is registered (the API's no-op). */
function activeTracer(o: OtelApi): Tracer | undefined {
  const provider = o.trace.getTracerProvider() as { getDelegateTracer?: (name: string) => Tracer | undefined; getTracer(name: string): Tracer };
  // The global provider is a proxy: it has a delegate only once an SDK registered one.
  return typeof provider.getDelegateTracer === 'function' ? provider.getDelegateTracer(TRACER_NAME) : provider.getTracer(TRACER_NAME);
}

/** A span's context as stored on a task row. */
function serialize(span: Span): string | null {
  const context = span.spanContext();
  if (context.traceId === INVALID_TRACE_ID || context.spanId === INVALID_SPAN_ID) return null;
  const flags = (context.traceFlags & 0xff).toString(16).padStart(2, '0');
  const carrier: Record<string, string> = { traceparent: `00-${context.traceId}-${context.spanId}-${flags}` };
  const state = context.traceState?.serialize();
  if (state) carrier.tracestate = state;
  const text = JSON.stringify(carrier);
  return text.length <= MAX_CONTEXT_CHARS ? text : JSON.stringify({ traceparent: carrier.traceparent });
}

/** The context of a stored trace context (the producer span, remote), or the root context when there is none or it is malformed. */
export function parentContext(o: OtelApi, stored: string | null): Context {
  if (stored === null) return o.ROOT_CONTEXT;
  let carrier: { traceparent?: unknown; tracestate?: unknown };
  try {
    carrier = JSON.parse(stored) as typeof carrier;
  } catch {
    return o.ROOT_CONTEXT;
  }
  const match = typeof carrier?.traceparent === 'string' ? TRACEPARENT.exec(carrier.traceparent) : null;
  if (!match || match[1] === INVALID_TRACE_ID || match[2] === INVALID_SPAN_ID) return o.ROOT_CONTEXT;
  const traceState = typeof carrier.tracestate === 'string' ? o.createTraceState(carrier.tracestate) : undefined;
  return o.trace.setSpanContext(o.ROOT_CONTEXT, { traceId: match[1], spanId: match[2], traceFlags: parseInt(match[3], 16), isRemote: true, traceState });
}

function spanName(operation: string, records: readonly TaskRecord[]): string {
  const name = records[0].name;
  return records.every((r) => r.name === name) ? `${operation} ${name}` : `${operation} tasks`;
}

/**
 * Runs `insert` inside a producer span, having stored the span's context on `records` (before they
 * are written); without a registered tracer, just runs it (no promise of its own).
 */
export function traceCreate<T>(records: readonly TaskRecord[], insert: () => Promise<T>): Promise<T> {
  const o = otel();
  const tracer = o && records.length > 0 ? activeTracer(o) : undefined;
  return o && tracer ? tracedCreate(o, tracer, records, insert) : insert();
}

async function tracedCreate<T>(o: OtelApi, tracer: Tracer, records: readonly TaskRecord[], insert: () => Promise<T>): Promise<T> {
  const first = records[0];
  const span = tracer.startSpan(spanName('send', records), {
    kind: o.SpanKind.PRODUCER,
    attributes: {
      'messaging.system': 'task-worker', 'messaging.operation.type': 'send', 'messaging.operation.name': 'send',
      'messaging.destination.name': first.queue,
      ...(records.length === 1 ? { 'messaging.message.id': first.id, 'task_worker.task.name': first.name } : { 'messaging.batch.message_count': records.length }),
    },
  });
  const traceContext = serialize(span);
  for (const record of records) record.traceContext = traceContext;
  try {
    return await o.context.with(o.trace.setSpan(o.context.active(), span), insert);
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: o.SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Runs one attempt inside a consumer span, the child of the span that created the task (when its
 * context was stored); the handler runs in its context (inline pool: its own spans nest under it).
 * Without a registered tracer, just runs it (no promise of its own).
 */
export function traceAttempt(record: TaskRecord, run: () => Promise<TaskOutcome>): Promise<TaskOutcome> {
  const o = otel();
  const tracer = o ? activeTracer(o) : undefined;
  return o && tracer ? tracedAttempt(o, tracer, record, run) : run();
}

async function tracedAttempt(o: OtelApi, tracer: Tracer, record: TaskRecord, run: () => Promise<TaskOutcome>): Promise<TaskOutcome> {
  const parent = parentContext(o, record.traceContext);
  const span = tracer.startSpan(`process ${record.name}`, {
    kind: o.SpanKind.CONSUMER,
    attributes: {
      'messaging.system': 'task-worker', 'messaging.operation.type': 'process', 'messaging.operation.name': 'process',
      'messaging.destination.name': record.queue, 'messaging.message.id': record.id,
      'task_worker.task.name': record.name, 'task_worker.task.attempt': record.retryCount,
    },
  }, parent);
  const outcome = await o.context.with(o.trace.setSpan(parent, span), run);
  if (!outcome.ok) {
    const code = errorCodeOf(outcome);
    span.setAttribute('error.type', code);
    span.setStatus({ code: o.SpanStatusCode.ERROR, message: outcome.error.split('\n')[0].slice(0, 500) });
  }
  span.end();
  return outcome;
}
