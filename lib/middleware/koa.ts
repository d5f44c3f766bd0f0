// Koa integration: koaTaskMiddleware(tw) attaches `ctx.tasks`, typed by augmenting Koa's
// DefaultContext; koaTaskErrorHandler() answers errors as JSON { error: { code, message } } with no
// stack unless asked (Koa's own handler would answer exposed errors as plain text).
import type { DefaultContext, Middleware } from 'koa';
import { errorResponse, type ErrorBodyOptions } from './http-errors';
import { createTasksApi, type TaskMiddlewareOptions, type TaskSource, type TasksApi } from './tasks-api';

declare module 'koa' {
  interface DefaultContext {
    /** Enqueue and inspect background tasks; set by app.use(koaTaskMiddleware(tw)). */
    tasks: TasksApi;
  }
}

/** Koa middleware: `app.use(koaTaskMiddleware(tw))`, then `await ctx.tasks.create(...)`. */
export function koaTaskMiddleware(source: TaskSource, options?: TaskMiddlewareOptions): Middleware {
  const tasks = createTasksApi(source, options); // stateless: one object serves every request
  return async (ctx: DefaultContext, next) => {
    ctx.tasks = tasks;
    await next();
  };
}

export interface KoaTaskErrorHandlerOptions extends ErrorBodyOptions {
  /** Hand 5xx errors on (rethrow, for Koa's app.on('error') and your handlers) instead of answering them. Default false. */
  passThrough?: boolean;
}

/**
 * Koa middleware to mount first: errors thrown below it answer JSON. Task input errors give
 * 400/404 with their code and message; 5xx errors answer a generic message and are still emitted
 * on the app's 'error' event, so they are logged as Koa logs them.
 */
export function koaTaskErrorHandler(options: KoaTaskErrorHandlerOptions = {}): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const { status, body } = errorResponse(error, options);
      if (status >= 500 && options.passThrough) throw error;
      ctx.status = status;
      ctx.body = body;
      if (status >= 500) ctx.app.emit('error', error, ctx);
    }
  };
}
