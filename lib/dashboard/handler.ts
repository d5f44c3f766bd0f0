// The dashboard's request handler, shared by the Express router, the Koa middleware and the
// standalone server: authorization first, then the page, its assets, the JSON API, the live event
// stream and the actions (POST only, refused when read-only or without this browser's CSRF token).
// Failures of the dashboard itself answer a generic 500: no message or stack reaches the page.
import type { Logger } from 'pino';
import { TaskWorkerError } from '../errors';
import type { Notifier } from '../notifier/notifier';
import { dashboardAssets } from './assets';
import { DashboardApi, type DashboardSource } from './api';
import { DashboardHttpError, jsonBody, pathParam, redirect, sendError, sendJson, sendText, type DashboardRequest } from './http';
import { LiveHub } from './live';
import { resolveDashboardOptions, type DashboardOptions } from './options';
import { pageHtml } from './page';
import { ScheduleApi, type ScheduleAction } from './schedules-api';
import { csrfProblem, csrfToken, setSecurityHeaders } from './security';

/** What the dashboard needs from a TaskWorker (which has all of it). */
export interface DashboardTarget extends DashboardSource {
  readonly notifier: Notifier;
  readonly logger: Logger;
}

export interface DashboardHandler {
  handle(request: DashboardRequest): Promise<void>;
  /** Ends the open live-update streams (call when the app stops, before closing its server). */
  close(): void;
}

/** Task-worker errors a person can act on, with their status; anything else is the dashboard's own failure. */
const CLIENT_ERRORS: Record<string, number> = {
  TW_INVALID_INPUT: 400, TW_INVALID_SCHEDULE: 400, TW_NOT_FOUND: 404, TW_WRONG_STATUS: 409, TW_SCHEDULE_CONFLICT: 409, TW_NOT_PAUSED: 409,
};

const TASK_ACTION = /^\/api\/tasks\/([^/]+)\/(retry|cancel)$/;
const QUEUE_ACTION = /^\/api\/queues\/([^/]+)\/(pause|resume)$/;
const TASK_PATH = /^\/api\/tasks\/([^/]+)$/;
const SCHEDULE_ACTION = /^\/api\/schedules\/([^/]+)\/(pause|resume|run-now)$/;

function isTarget(value: unknown): value is DashboardTarget {
  const t = value as Partial<DashboardTarget> | null;
  return typeof t === 'object' && t !== null && typeof t.store === 'object' && typeof t.admin === 'object' &&
    typeof t.notifier === 'object' && typeof t.logger === 'object';
}

export function createDashboardHandler<Req>(target: DashboardTarget, where: string, input?: DashboardOptions<Req>): DashboardHandler {
  if (!isTarget(target)) throw new TaskWorkerError('TW_BAD_CONFIG', `${where}: pass your TaskWorker, e.g. app.use('/admin/tasks', ${where}(tw))`);
  const options = resolveDashboardOptions(where, input);
  const assets = dashboardAssets();
  const api = new DashboardApi(target, options.pageSize);
  const schedules = new ScheduleApi(target);
  const live = new LiveHub(target.notifier, options.refreshMs);
  const report = options.onError ?? ((error: unknown) => target.logger.error({ err: error }, 'task-worker dashboard: request failed'));

  async function route(request: DashboardRequest): Promise<void> {
    const { method, path, res } = request;
    const subject = request.subject as Req;
    if (options.authorize && !(await options.authorize(subject))) {
      sendError(request, 403, 'FORBIDDEN', 'you are not allowed to see the task dashboard');
      return;
    }
    if (path === '') {
      redirect(res, `${encodeURIComponent(request.lastSegment)}/${request.query.size > 0 ? `?${request.query}` : ''}`);
      return;
    }
    if (method === 'GET' || method === 'HEAD') {
      if (path === '/') {
        const readOnly = await options.readOnly(subject);
        const token = csrfToken(request.headers, res, request.secure);
        sendText(res, 200, 'text/html; charset=utf-8', pageHtml({ csrfToken: token, readOnly, refreshMs: options.refreshMs, pageSize: options.pageSize }));
        return;
      }
      if (path.startsWith('/assets/')) {
        const file = assets.get(path.slice('/assets/'.length));
        if (!file) throw new DashboardHttpError(404, 'NOT_FOUND', 'no such file');
        if (request.headers['if-none-match'] === file.etag) {
          setSecurityHeaders(res);
          res.statusCode = 304;
          res.end();
          return;
        }
        res.setHeader('ETag', file.etag);
        sendText(res, 200, file.type, file.body, 'no-cache');
        return;
      }
      if (path === '/api/events') return live.open(res);
      if (path === '/api/overview') return sendJson(res, 200, await api.overview());
      if (path === '/api/tasks') return sendJson(res, 200, await api.tasks(request.query));
      if (path === '/api/workers') return sendJson(res, 200, await api.workers());
      if (path === '/api/schedules') return sendJson(res, 200, await schedules.list());
      const task = TASK_PATH.exec(path);
      if (task) return sendJson(res, 200, await api.task(pathParam(task[1], 'task id'), await options.readOnly(subject)));
    }
    if (method === 'POST' && path.startsWith('/api/')) {
      if (await options.readOnly(subject)) throw new DashboardHttpError(403, 'READ_ONLY', 'this dashboard is read-only: actions are disabled');
      const csrf = csrfProblem(request.headers);
      if (csrf) throw new DashboardHttpError(403, 'CSRF', csrf);
      if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
        throw new DashboardHttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the action as application/json');
      }
      const body = await jsonBody(request);
      const action = TASK_ACTION.exec(path);
      if (action) {
        const id = pathParam(action[1], 'task id');
        return sendJson(res, 200, action[2] === 'retry' ? await api.retry(id) : await api.cancel(id, body));
      }
      const scheduleAction = SCHEDULE_ACTION.exec(path);
      if (scheduleAction) return sendJson(res, 200, await schedules.act(scheduleAction[1], scheduleAction[2] as ScheduleAction));
      const queue = QUEUE_ACTION.exec(path);
      if (queue) return sendJson(res, 200, await api.queue(pathParam(queue[1], 'queue name'), queue[2] as 'pause' | 'resume'));
      if (path === '/api/retry-failed') return sendJson(res, 200, await api.retryFailed(body));
      if (path === '/api/purge') return sendJson(res, 200, await api.purge(body));
    }
    throw new DashboardHttpError(404, 'NOT_FOUND', `no such page: ${method} ${path}`);
  }

  return {
    async handle(request) {
      try {
        await route(request);
      } catch (error) {
        if (request.res.headersSent) {
          request.res.end();
          if (!(error instanceof DashboardHttpError)) report(error);
          return;
        }
        if (error instanceof DashboardHttpError) return sendError(request, error.status, error.code, error.message);
        const status = error instanceof TaskWorkerError ? CLIENT_ERRORS[error.code] : undefined;
        if (status !== undefined) return sendError(request, status, (error as TaskWorkerError).code, (error as Error).message);
        report(error);
        sendError(request, 500, 'INTERNAL_ERROR', 'the dashboard failed to answer; the details are in the server log');
      }
    },
    close: () => live.close(),
  };
}
