// The request the dashboard's handler works on, whatever framework delivered it (Express, Koa, or
// Node's own server), and the few ways it answers: JSON, text, a redirect. Every answer carries the
// security headers; data is never cached.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { setSecurityHeaders } from './security';

export interface DashboardRequest {
  method: string;
  /** The path below the mount point, '/...'; '' when the browser's URL lacks the mount point's trailing slash. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The last segment of the browser's path, for the relative redirect that adds the trailing slash. */
  lastSegment: string;
  /** HTTPS (directly or, per X-Forwarded-Proto, behind a proxy the framework trusts). */
  secure: boolean;
  /** A body the framework already parsed (express.json(), @koa/bodyparser), else undefined. */
  parsedBody: unknown;
  req: IncomingMessage;
  res: ServerResponse;
  /** What authorize() and readOnly() are given: Express's req, Koa's ctx, or req. */
  subject: unknown;
}

/** The last segment of a URL path, decoded ('tasks' for '/admin/tasks'). */
export function lastSegment(pathname: string): string {
  const segments = pathname.split('/').filter((s) => s !== '');
  const last = segments[segments.length - 1] ?? '';
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/** An answer the dashboard chose (a refusal, a bad filter): its code and message are shown to the user. */
export class DashboardHttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/**
 * A value from a URL path segment (a task id, a queue name), decoded. A malformed percent-encoding
 * ('%E0%A4%A') is the client's mistake: a 400 that says so, not the URIError's 500.
 */
export function pathParam(segment: string, what: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new DashboardHttpError(400, 'BAD_REQUEST', `the ${what} in the URL is not valid percent-encoding: encode it with encodeURIComponent`);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  setSecurityHeaders(res);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, contentType: string, text: string | Buffer, cache = 'no-store'): void {
  setSecurityHeaders(res);
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Cache-Control', cache);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

export function sendError(request: DashboardRequest, status: number, code: string, message: string): void {
  if (request.path.startsWith('/api/')) sendJson(request.res, status, { error: { code, message } });
  else sendText(request.res, status, 'text/plain; charset=utf-8', `${message}\n`);
}

/** A relative redirect (it survives any mount point and proxy prefix). */
export function redirect(res: ServerResponse, location: string): void {
  setSecurityHeaders(res);
  res.statusCode = 302;
  res.setHeader('Location', location);
  res.end();
}

const MAX_BODY = 64 * 1024;

/** The JSON body of a POST: the framework's parse, else read here (at most 64 KiB). */
export async function jsonBody(request: DashboardRequest): Promise<Record<string, unknown>> {
  let value: unknown = request.parsedBody;
  if (value === undefined || (request.req.readable && !request.req.readableEnded && isEmpty(value))) {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request.req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) throw new DashboardHttpError(413, 'TOO_LARGE', 'the request body is larger than 64 KiB');
      chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      value = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      throw new DashboardHttpError(400, 'BAD_JSON', 'the request body is not JSON');
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new DashboardHttpError(400, 'BAD_JSON', 'the request body must be a JSON object');
  return value as Record<string, unknown>;
}

function isEmpty(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}
