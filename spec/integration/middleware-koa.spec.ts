// The Koa middleware on every database: ctx.tasks creates (typed and by name) and waits with a real
// in-process worker; input errors answer 400/404 JSON through koaTaskErrorHandler and write no row;
// other errors answer a generic 500 and still reach the app's 'error' event for logging.
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { expect } from 'chai';
import type { Server } from 'node:http';
import Koa from 'koa';
import request from 'supertest';
import { koaTaskErrorHandler, koaTaskMiddleware, type TaskWorker } from '../../lib/index';
import { MiddlewareTasks, openMiddlewareSuite, taskCount } from '../fixtures/sample-middleware-suite';
import { ALL_DIALECTS } from '../support/services';

function buildApp(tw: TaskWorker, appErrors: unknown[]): Koa {
  const app = new Koa();
  app.silent = true;
  app.on('error', (error: unknown) => appErrors.push(error));
  const router = new Router();
  router.post('/add', async (ctx) => {
    const body = ctx.request.body as { a: number; b: number };
    const task = await ctx.tasks.create(MiddlewareTasks, 'add', [body.a, body.b]);
    ctx.status = 202;
    ctx.body = { id: task.id };
  });
  router.post('/by-name', async (ctx) => {
    const body = ctx.request.body as { name: string; args?: unknown[] };
    const task = await ctx.tasks.create(body.name, { args: body.args });
    ctx.status = 202;
    ctx.body = { id: task.id };
  });
  router.get('/tasks/:id/wait', async (ctx) => {
    const task = await ctx.tasks.wait(ctx.params.id, { timeout: 10 });
    ctx.body = task ? { status: task.status, result: task.resultValue ?? null } : { status: 'still running' };
  });
  router.get('/tasks/:id', async (ctx) => {
    const task = await ctx.tasks.get(ctx.params.id);
    ctx.status = task ? 200 : 404;
    ctx.body = task ? { status: task.status } : { error: { code: 'NOT_FOUND', message: 'no such task' } };
  });
  router.get('/broken', () => {
    throw new Error('connect ECONNREFUSED postgres://app:hunter2@db:5432');
  });
  app.use(koaTaskErrorHandler());
  app.use(bodyParser());
  app.use(koaTaskMiddleware(tw));
  app.use(router.routes());
  return app;
}

for (const dialect of ALL_DIALECTS) {
  describe(`Koa middleware: ctx.tasks (${dialect})`, function () {
    let tw: TaskWorker;
    let server: Server;
    const appErrors: unknown[] = [];

    before(async function () {
      ({ tw } = await openMiddlewareSuite(this, dialect, 'mw_koa'));
      server = buildApp(tw, appErrors).listen(0, '127.0.0.1');
    });
    after(async () => {
      server?.close();
      await tw?.close();
    });

    it('creates a typed task, the worker runs it, and wait returns the result', async function () {
      const created = await request(server).post('/add').send({ a: 20, b: 22 }).expect(202);
      const done = await request(server).get(`/tasks/${created.body.id}/wait`).expect(200);
      expect(done.body).to.deep.equal({ status: 'COMPLETED', result: 42 });
      await request(server).get(`/tasks/${created.body.id}`).expect(200, { status: 'COMPLETED' });
    });

    it('creates by name and reports a failed task', async function () {
      const created = await request(server).post('/by-name').send({ name: 'mw.tasks.explode' }).expect(202);
      const done = await request(server).get(`/tasks/${created.body.id}/wait`).expect(200);
      expect(done.body.status).to.equal('FAILED');
    });

    it('input errors answer 400 JSON with the code, no stack, and write nothing', async function () {
      const before = await taskCount(tw);
      const unknown = await request(server).post('/by-name').send({ name: 'mw.tasks.nope' }).expect(400);
      expect(unknown.body).to.deep.equal({ error: { code: 'TW_UNKNOWN_TASK', message: 'unknown task "mw.tasks.nope"' } });
      const invalid = await request(server).post('/by-name').send({ name: 'mw.tasks.add', args: { a: 1 } }).expect(400);
      expect(invalid.body.error.code).to.equal('TW_INVALID_INPUT');
      expect(invalid.body.error).to.not.have.property('stack');
      expect(await taskCount(tw)).to.equal(before);
    });

    it('wait answers 404 for a task that does not exist', async function () {
      const missing = await request(server).get('/tasks/2222222222222222222222/wait').expect(404);
      expect(missing.body.error.code).to.equal('TW_NOT_FOUND');
      await request(server).get('/tasks/2222222222222222222222').expect(404);
    });

    it('any other error answers a generic 500 and reaches app.on("error")', async function () {
      appErrors.length = 0;
      const response = await request(server).get('/broken').expect(500);
      expect(response.body).to.deep.equal({ error: { code: 'INTERNAL_ERROR', message: 'internal server error' } });
      expect(JSON.stringify(response.body)).to.not.include('hunter2');
      expect(appErrors).to.have.length(1);
      expect((appErrors[0] as Error).message).to.include('ECONNREFUSED');
    });
  });
}
