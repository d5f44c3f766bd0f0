// Serving a TaskWorker's metrics over HTTP: a handler for Express (or any Node http server), one for
// Koa, and the small server tw-worker runs for --metrics-port. Each scrape asks the metrics for their
// text; the queue gauges behind it read the database at most every few seconds (lib/metrics.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from './errors';
import { TaskMetrics } from './metrics';

/** Something with metrics: a TaskWorker (its `metrics` are made on first use), or the metrics themselves. */
export type MetricsSourceLike = { readonly metrics: TaskMetrics } | TaskMetrics;

function metricsOf(source: MetricsSourceLike): TaskMetrics {
  if (source instanceof TaskMetrics) return source;
  if (source && typeof source === 'object' && 'metrics' in source && source.metrics instanceof TaskMetrics) return source.metrics;
  throw new ConfigError('metricsHandler(tw): pass your TaskWorker (or its metrics), e.g. app.get(\'/metrics\', metricsHandler(tw))');
}

/** The part of a response the handler writes (Node's http.ServerResponse, Express's Response). */
interface PlainResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

async function answer(metrics: TaskMetrics, res: PlainResponse): Promise<void> {
  try {
    const body = await metrics.text();
    res.statusCode = 200;
    res.setHeader('Content-Type', metrics.contentType);
    res.end(body);
  } catch (error) {
    res.statusCode = 500;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end(`metrics unavailable: ${(error as Error).message}\n`);
  }
}

/**
 * A request handler answering with the metrics in Prometheus' text format: `app.get('/metrics',
 * metricsHandler(tw))` in Express, or `http.createServer(metricsHandler(tw))`.
 */
export function metricsHandler(source: MetricsSourceLike): (req: unknown, res: PlainResponse) => void {
  const metrics = metricsOf(source);
  return (_req, res) => void answer(metrics, res);
}

/** The part of Koa's context the handler uses. */
interface KoaLikeContext {
  status: number;
  type: string;
  body: unknown;
}

/** Koa middleware answering with the metrics: `router.get('/metrics', koaMetricsHandler(tw))`. */
export function koaMetricsHandler(source: MetricsSourceLike): (ctx: KoaLikeContext) => Promise<void> {
  const metrics = metricsOf(source);
  return async (ctx) => {
    ctx.body = await metrics.text();
    ctx.type = metrics.contentType;
    ctx.status = 200;
  };
}

export interface MetricsServer {
  /** The port it listens on (the one chosen by the system when 0 was asked). */
  readonly port: number;
  close(): Promise<void>;
}

/** An HTTP server answering GET /metrics (404 elsewhere), as tw-worker --metrics-port runs. */
export async function startMetricsServer(source: MetricsSourceLike, options: { port: number; host?: string }): Promise<MetricsServer> {
  const metrics = metricsOf(source);
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    if ((req.method === 'GET' || req.method === 'HEAD') && path === '/metrics') {
      void answer(metrics, res);
      return;
    }
    res.statusCode = 404;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end('not found: metrics are at /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Scrapes keep connections open; they must not hold the process up when it stops.
  server.unref();
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
