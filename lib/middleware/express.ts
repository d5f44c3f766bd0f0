// Express integration: taskMiddleware(tw) attaches `req.tasks`, typed by declaration merging on
// Express's Request; taskErrorHandler() answers errors as JSON { error: { code, message } } with no
// stack unless asked. Typed structurally, so this file needs no Express types at run or build time.
import { errorResponse, type ErrorBodyOptions } from './http-errors';
import { createTasksApi, type TaskMiddlewareOptions, type TaskSource, type TasksApi } from './tasks-api';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Enqueue and inspect background tasks; set by app.use(taskMiddleware(tw)). */
      tasks: TasksApi;
    }
  }
}

type Next = (error?: unknown) => void;

/** The part of Express's Response the error handler uses. */
interface JsonResponse {
  headersSent: boolean;
  status(code: number): { json(body: unknown): unknown };
}

/** Express middleware: `app.use(taskMiddleware(tw))`, then `await req.tasks.create(...)` in routes. */
export function taskMiddleware(source: TaskSource, options?: TaskMiddlewareOptions): (req: { tasks?: TasksApi }, res: unknown, next: Next) => void {
  const tasks = createTasksApi(source, options); // stateless: one object serves every request
  return (req, _res, next) => {
    req.tasks = tasks;
    next();
  };
}

export interface TaskErrorHandlerOptions extends ErrorBodyOptions {
  /**
   * Called with each server-side (5xx) error, since the client only sees a generic message.
   * Default: console.error. Pass false to log nothing.
   */
  log?: ((error: unknown, req: unknown) => void) | false;
  /** Hand 5xx errors to the next error handler instead of answering them here. Default false. */
  passThrough?: boolean;
}

/**
 * Express error handler (mount after the routes): task input errors answer 400/404 with
 * `{ error: { code, message } }`; other exposed 4xx errors (e.g. a bad JSON body) likewise; anything
 * else answers 500 `{ error: { code: 'INTERNAL_ERROR', message: 'internal server error' } }`.
 */
export function taskErrorHandler(options: TaskErrorHandlerOptions = {}): (error: unknown, req: unknown, res: JsonResponse, next: Next) => void {
  const log = options.log === undefined ? (error: unknown) => console.error(error) : options.log;
  // Four parameters: that is how Express recognises an error handler.
  return (error, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const { status, body } = errorResponse(error, options);
    if (status >= 500) {
      if (options.passThrough) {
        next(error);
        return;
      }
      if (log) log(error, req);
    }
    res.status(status).json(body);
  };
}
