// Express: `app.use('/admin/tasks', dashboard(tw))` mounts the dashboard at any path (Express 4 or
// 5; typed structurally, so no Express types are needed at run or build time). Put your own
// authentication before it, and pass `authorize` to check the user's role.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createDashboardHandler, type DashboardTarget } from './handler';
import { lastSegment } from './http';
import type { DashboardOptions } from './options';

/** The parts of Express's Request the dashboard reads. */
export interface ExpressRequestLike extends IncomingMessage {
  originalUrl?: string;
  body?: unknown;
  secure?: boolean;
}

export type ExpressDashboard = ((req: ExpressRequestLike, res: ServerResponse, next: (error?: unknown) => void) => void) & {
  /** Ends the open live-update streams, so that the HTTP server can close. */
  close(): void;
};

/** An Express request handler (a router) serving the dashboard below the path it is mounted at. */
export function dashboard(tw: DashboardTarget, options?: DashboardOptions<ExpressRequestLike>): ExpressDashboard {
  const handler = createDashboardHandler(tw, 'dashboard', options);
  const route: ExpressDashboard = Object.assign((req: ExpressRequestLike, res: ServerResponse, next: (error?: unknown) => void) => {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const original = new URL(req.originalUrl ?? req.url ?? '/', 'http://dashboard.invalid').pathname;
    // Mounted at /admin/tasks, a request for /admin/tasks arrives as '/': relative URLs need the slash.
    const path = url.pathname === '/' && !original.endsWith('/') ? '' : url.pathname;
    handler.handle({
      method: req.method ?? 'GET', path, query: url.searchParams, headers: req.headers, lastSegment: lastSegment(original),
      secure: req.secure === true, parsedBody: req.body, req, res, subject: req,
    }).catch(next);
  }, { close: () => handler.close() });
  return route;
}
