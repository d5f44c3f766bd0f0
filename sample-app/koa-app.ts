// The sample Koa app: the same task routes as the Express app, smaller (a report, an email, the
// failing sync, and status), to show ctx.tasks and koaTaskErrorHandler.
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import { koaDashboard, koaTaskErrorHandler, koaTaskMiddleware, type TaskWorker } from '../lib/index';
import { NotFound, text } from './input';
import { LIMITS } from './limits';
import { DASHBOARD_PATH } from './settings';
import { taskView } from './task-view';
import { SampleTasks } from './tasks';

export const KOA_ROUTES = {
  'POST /reports': 'word report of { "text": "..." }',
  'POST /emails': 'send { "to", "subject", "body" } (to sample-data/outbox.log)',
  'POST /inventory-sync': 'a supplier call that fails, retries twice, then fails for good { "sku": "..." }',
  'GET /tasks/:id': "a task's status, result or error",
  'GET /tasks/:id/wait?timeout=30': 'the same, once the task is final (or 202 after the timeout)',
  'GET /admin/tasks/': 'the task dashboard (open it in a browser)',
};

type Body = Record<string, unknown> | undefined;

export function createKoaApp(tw: TaskWorker): Koa {
  const app = new Koa();
  const router = new Router();

  router.get('/', (ctx) => {
    ctx.body = { app: 'task-worker sample (Koa)', routes: KOA_ROUTES };
  });

  router.post('/reports', async (ctx) => {
    const task = await ctx.tasks.create(SampleTasks, 'wordReport', [text(ctx.request.body as Body, 'text', LIMITS.reportText)]);
    ctx.status = 202;
    ctx.body = taskView(task);
  });

  router.post('/emails', async (ctx) => {
    const body = ctx.request.body as Body;
    const task = await ctx.tasks.create(SampleTasks, 'sendEmail', [text(body, 'to', LIMITS.emailAddress), text(body, 'subject', LIMITS.emailSubject), text(body, 'body', LIMITS.emailBody)],
      { queue: 'emails' });
    ctx.status = 202;
    ctx.body = taskView(task);
  });

  router.post('/inventory-sync', async (ctx) => {
    const task = await ctx.tasks.create(SampleTasks, 'syncInventory', [text(ctx.request.body as Body, 'sku', LIMITS.sku)]);
    ctx.status = 202;
    ctx.body = taskView(task);
  });

  router.get('/tasks/:id', async (ctx) => {
    const task = await ctx.tasks.get(ctx.params.id);
    ctx.status = task ? 200 : 404;
    ctx.body = task ? taskView(task) : { error: { code: 'NOT_FOUND', message: `no task with id ${ctx.params.id}` } };
  });

  router.get('/tasks/:id/wait', async (ctx) => {
    const timeout = ctx.query.timeout === undefined ? 30 : Number(ctx.query.timeout);
    const task = (await ctx.tasks.wait(ctx.params.id, { timeout })) ?? (await ctx.tasks.get(ctx.params.id));
    ctx.status = task?.isFinal ? 200 : 202;
    ctx.body = task ? taskView(task) : null;
  });

  app.use(koaTaskErrorHandler());
  // The dashboard; in a real app, after your own login middleware.
  app.use(koaDashboard(tw, { prefix: DASHBOARD_PATH }));
  app.use(bodyParser());
  app.use(koaTaskMiddleware(tw, { maxWaitTimeout: 60 }));
  app.use(router.routes());
  app.use(router.allowedMethods());
  // Unknown routes answer JSON like every other error here (Koa's default is a plain-text 404).
  app.use((ctx) => {
    throw new NotFound(`no route ${ctx.method} ${ctx.path}; GET / lists the routes`);
  });
  return app;
}
