// Koa: `app.use(koaDashboard(tw, { prefix: '/admin/tasks' }))` serves the dashboard below the
// prefix and passes every other request on (or mount it with koa-mount and no prefix). Put your
// own authentication before it, and pass `authorize` to check the user's role (it receives ctx).
import type { Context, Middleware } from 'koa';
import { ConfigError } from '../errors';
import { createDashboardHandler, type DashboardTarget } from './handler';
import { lastSegment } from './http';
import type { DashboardOptions } from './options';

export interface KoaDashboardOptions extends DashboardOptions<Context> {
  /** The path it is served at, e.g. '/admin/tasks'. Default: every path this middleware sees (for koa-mount). */
  prefix?: string;
}

export type KoaDashboard = Middleware & {
  /** Ends the open live-update streams, so that the HTTP server can close. */
  close(): void;
};

export function koaDashboard(tw: DashboardTarget, options: KoaDashboardOptions = {}): KoaDashboard {
  const { prefix: rawPrefix, ...rest } = options;
  if (rawPrefix !== undefined && (typeof rawPrefix !== 'string' || !rawPrefix.startsWith('/'))) {
    throw new ConfigError(`koaDashboard: prefix must be a path starting with /, e.g. '/admin/tasks'; got ${JSON.stringify(rawPrefix)}`);
  }
  const prefix = (rawPrefix ?? '').replace(/\/+$/, '');
  const handler = createDashboardHandler(tw, 'koaDashboard', rest);
  const middleware = async (ctx: Context, next: () => Promise<unknown>) => {
    let path = ctx.path;
    if (prefix !== '') {
      if (path !== prefix && !path.startsWith(`${prefix}/`)) return next();
      path = path.slice(prefix.length);
    }
    const original = new URL(ctx.originalUrl, 'http://dashboard.invalid').pathname;
    if ((path === '' || path === '/') && !original.endsWith('/')) path = '';
    ctx.respond = false; // the handler answers on the raw response
    await handler.handle({
      method: ctx.method, path, query: new URLSearchParams(ctx.querystring), headers: ctx.headers, lastSegment: lastSegment(original),
      secure: ctx.secure, parsedBody: (ctx.request as { body?: unknown }).body, req: ctx.req, res: ctx.res, subject: ctx,
    });
  };
  return Object.assign(middleware, { close: () => handler.close() }) as KoaDashboard;
}
