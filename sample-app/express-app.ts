// The sample Express app: routes that enqueue the sample's tasks (typed by class and method) and
// routes that report a task's status and result. Only the web side: the worker runs in-process
// (npm start) or as tw-worker beside it.
import express, { type Express } from 'express';
import * as path from 'node:path';
import { dashboard, taskErrorHandler, taskMiddleware, type TaskWorker } from '../lib/index';
import { integer, NotFound, text } from './input';
import { LIMITS } from './limits';
import { DASHBOARD_PATH } from './settings';
import { taskView } from './task-view';
import { SampleTasks } from './tasks';

export const ROUTES = {
  'POST /reports': 'word report of { "text": "..." }',
  'POST /emails': 'send { "to", "subject", "body" } (to sample-data/outbox.log)',
  'POST /thumbnails': 'render a Mandelbrot PNG { "width": 160, "height": 120 }',
  'POST /slow': 'count { "seconds": 10 } slowly',
  'POST /inventory-sync': 'a supplier call that fails, retries twice, then fails for good { "sku": "..." }',
  'POST /tasks': 'any task by name { "name": "sample.tasks.wordReport", "args": ["..."] }',
  'GET /tasks/:id': "a task's status, result or error",
  'GET /tasks/:id/wait?timeout=30': 'the same, once the task is final (or 202 after the timeout)',
  'GET /thumbnails/:file': 'a rendered thumbnail',
  'GET /admin/tasks/': 'the task dashboard (open it in a browser)',
};


export function createExpressApp(tw: TaskWorker, dataDir: string): Express {
  const app = express();
  app.set('json spaces', 2); // readable with curl
  app.use(express.json({ limit: '200kb' }));
  app.use(taskMiddleware(tw, { maxWaitTimeout: 60 }));
  // The dashboard; in a real app: app.use(DASHBOARD_PATH, requireAdmin, dashboard(tw)).
  app.use(DASHBOARD_PATH, dashboard(tw));

  app.get('/', (_req, res) => {
    res.json({ app: 'task-worker sample (Express)', routes: ROUTES });
  });

  app.post('/reports', async (req, res) => {
    const task = await req.tasks.create(SampleTasks, 'wordReport', [text(req.body, 'text', LIMITS.reportText)]);
    res.status(202).json(taskView(task));
  });

  app.post('/emails', async (req, res) => {
    const args: [string, string, string] = [text(req.body, 'to', LIMITS.emailAddress), text(req.body, 'subject', LIMITS.emailSubject), text(req.body, 'body', LIMITS.emailBody)];
    const task = await req.tasks.create(SampleTasks, 'sendEmail', args, { queue: 'emails' });
    res.status(202).json(taskView(task));
  });

  app.post('/thumbnails', async (req, res) => {
    const width = integer(req.body, 'width', LIMITS.thumbnailSide.min, LIMITS.thumbnailSide.max, 160);
    const height = integer(req.body, 'height', LIMITS.thumbnailSide.min, LIMITS.thumbnailSide.max, 120);
    const task = await req.tasks.create(SampleTasks, 'thumbnail', [width, height]);
    res.status(202).json(taskView(task));
  });

  app.post('/slow', async (req, res) => {
    const task = await req.tasks.create(SampleTasks, 'slowCount', [integer(req.body, 'seconds', LIMITS.slowSeconds.min, LIMITS.slowSeconds.max, 10)]);
    res.status(202).json(taskView(task));
  });

  app.post('/inventory-sync', async (req, res) => {
    const task = await req.tasks.create(SampleTasks, 'syncInventory', [text(req.body, 'sku', LIMITS.sku)]);
    res.status(202).json(taskView(task));
  });

  // By name, as an API gateway might: the library validates the name and that the arguments are JSON
  // (400 on error); the limits of each task's arguments are checked by its handler (sample-app/limits.ts),
  // which fails the task for good when they are out of bounds.
  app.post('/tasks', async (req, res) => {
    const body = req.body as { name?: unknown; args?: unknown } | undefined;
    const task = await req.tasks.create(body?.name as string, { args: body?.args as unknown[] | undefined });
    res.status(202).json(taskView(task));
  });

  app.get('/tasks/:id', async (req, res) => {
    const task = await req.tasks.get(req.params.id);
    if (!task) res.status(404).json({ error: { code: 'NOT_FOUND', message: `no task with id ${req.params.id}` } });
    else res.json(taskView(task));
  });

  app.get('/tasks/:id/wait', async (req, res) => {
    const timeout = req.query.timeout === undefined ? 30 : Number(req.query.timeout);
    const task = await req.tasks.wait(req.params.id, { timeout });
    if (task) {
      res.json(taskView(task));
      return;
    }
    const current = await req.tasks.get(req.params.id);
    res.status(202).json(current ? taskView(current) : null);
  });

  app.use('/thumbnails', express.static(path.join(dataDir, 'thumbnails'), { index: false, fallthrough: false }));
  // Unknown routes answer JSON like every other error here (Express's default is an HTML page).
  app.use((req, _res, next) => next(new NotFound(`no route ${req.method} ${req.path}; GET / lists the routes`)));
  app.use(taskErrorHandler());
  return app;
}
