// The Express middleware on every database: req.tasks creates (typed and by name), lists and waits
// with a real in-process worker; the client's input errors answer 400/404 JSON and nothing writes a
// row; other errors answer a generic 500 without the message or stack, unless the app opts in.
import { expect } from 'chai';
import express, { type Express } from 'express';
import request from 'supertest';
import { taskCall, taskErrorHandler, taskMiddleware, type TaskWorker } from '../../lib/index';
import { MiddlewareTasks, openMiddlewareSuite, taskCount } from '../fixtures/sample-middleware-suite';
import { ALL_DIALECTS } from '../support/services';

function buildApp(tw: TaskWorker, exposeStack = false): Express {
  const app = express();
  app.use(express.json());
  app.use(taskMiddleware(tw, { waitTimeout: 10 }));
  app.post('/add', async (req, res) => {
    const task = await req.tasks.create(MiddlewareTasks, 'add', [req.body.a, req.body.b]);
    res.status(202).json({ id: task.id, status: task.status });
  });
  app.post('/by-name', async (req, res) => {
    const task = await req.tasks.create(req.body.name, { args: req.body.args, delay: req.body.delay });
    res.status(202).json({ id: task.id });
  });
  app.post('/shout-many', async (req, res) => {
    const tasks = await req.tasks.createMany((req.body.texts as string[]).map((t) => taskCall(MiddlewareTasks, 'shout', [t])));
    res.status(202).json({ ids: tasks.map((t) => t.id) });
  });
  app.get('/tasks/:id', async (req, res) => {
    const task = await req.tasks.get(req.params.id);
    if (!task) res.status(404).json({ error: { code: 'NOT_FOUND', message: 'no such task' } });
    else res.json({ id: task.id, status: task.status, result: task.resultValue ?? null });
  });
  app.get('/tasks/:id/wait', async (req, res) => {
    const task = await req.tasks.wait(req.params.id, { timeout: Number(req.query.timeout ?? 10) });
    if (!task) res.status(202).json({ status: 'still running' });
    else res.json({ status: task.status, result: task.resultValue ?? null, error: task.error?.split('\n')[0] ?? null });
  });
  app.get('/broken', () => {
    throw new Error('connect ECONNREFUSED postgres://app:hunter2@db:5432');
  });
  app.use(taskErrorHandler({ log: false, exposeStack }));
  return app;
}

for (const dialect of ALL_DIALECTS) {
  describe(`Express middleware: req.tasks (${dialect})`, function () {
    let tw: TaskWorker;
    let app: Express;

    before(async function () {
      ({ tw } = await openMiddlewareSuite(this, dialect, 'mw_express'));
      app = buildApp(tw);
    });
    after(async () => tw?.close());

    it('creates a typed task, the worker runs it, and wait returns the result', async function () {
      const created = await request(app).post('/add').send({ a: 2, b: 3 }).expect(202);
      expect(created.body.status).to.equal('PENDING');
      const done = await request(app).get(`/tasks/${created.body.id}/wait`).expect(200);
      expect(done.body).to.deep.equal({ status: 'COMPLETED', result: 5, error: null });
      const shown = await request(app).get(`/tasks/${created.body.id}`).expect(200);
      expect(shown.body).to.include({ status: 'COMPLETED', result: 5 });
    });

    it('createMany enqueues all at once and each completes', async function () {
      const created = await request(app).post('/shout-many').send({ texts: ['a', 'b', 'c'] }).expect(202);
      expect(created.body.ids).to.have.length(3);
      const results = await Promise.all((created.body.ids as string[]).map((id) => request(app).get(`/tasks/${id}/wait`).expect(200)));
      expect(results.map((r) => r.body.result)).to.deep.equal(['A', 'B', 'C']);
    });

    it('a failing task is reported FAILED with its error, through wait', async function () {
      const created = await request(app).post('/by-name').send({ name: 'mw.tasks.explode' }).expect(202);
      const done = await request(app).get(`/tasks/${created.body.id}/wait`).expect(200);
      expect(done.body.status).to.equal('FAILED');
      expect(done.body.error).to.match(/^Error: the handler failed/);
    });

    it('an unknown task name answers 400 TW_UNKNOWN_TASK, names no other task, and writes nothing', async function () {
      const before = await taskCount(tw);
      const response = await request(app).post('/by-name').send({ name: 'mw.tasks.nope', args: [] }).expect(400);
      expect(response.body).to.deep.equal({ error: { code: 'TW_UNKNOWN_TASK', message: 'unknown task "mw.tasks.nope"' } });
      expect(await taskCount(tw)).to.equal(before);
    });

    it('bad arguments answer 400 TW_INVALID_INPUT with the reason and no stack, and write nothing', async function () {
      const before = await taskCount(tw);
      const notArray = await request(app).post('/by-name').send({ name: 'mw.tasks.add', args: 'two and three' }).expect(400);
      expect(notArray.body.error.code).to.equal('TW_INVALID_INPUT');
      expect(notArray.body.error.message).to.match(/args must be an array/);
      expect(notArray.body.error).to.not.have.property('stack');
      expect(JSON.stringify(notArray.body)).to.not.match(/\bat .*\.js:\d+/);
      const badDelay = await request(app).post('/by-name').send({ name: 'mw.tasks.add', args: [1, 2], delay: -5 }).expect(400);
      expect(badDelay.body.error.message).to.match(/delay must be a number of seconds, 0 or more/);
      expect(await taskCount(tw)).to.equal(before);
    });

    it('get answers null for an unknown id; wait answers 404 TW_NOT_FOUND, or 400 for a malformed id', async function () {
      await request(app).get('/tasks/0000000000000000000000').expect(404);
      const missing = await request(app).get('/tasks/2222222222222222222222/wait').expect(404);
      expect(missing.body.error.code).to.equal('TW_NOT_FOUND');
      const malformed = await request(app).get('/tasks/not-an-id/wait').expect(400);
      expect(malformed.body.error.code).to.equal('TW_INVALID_INPUT');
    });

    it('wait gives up with null at its timeout (a task scheduled for later)', async function () {
      const created = await request(app).post('/by-name').send({ name: 'mw.tasks.add', args: [1, 1], delay: 3600 }).expect(202);
      const waited = await request(app).get(`/tasks/${created.body.id}/wait?timeout=0`).expect(202);
      expect(waited.body.status).to.equal('still running');
    });

    it('any other error answers a generic 500, without its message or stack unless the app opts in', async function () {
      const hidden = await request(app).get('/broken').expect(500);
      expect(hidden.body).to.deep.equal({ error: { code: 'INTERNAL_ERROR', message: 'internal server error' } });
      const shown = await request(buildApp(tw, true)).get('/broken').expect(500);
      expect(shown.body.error.message).to.include('ECONNREFUSED');
      expect(shown.body.error.stack).to.match(/middleware-express\.spec\.js/);
    });

    it('a malformed JSON body answers 400 JSON through the same handler', async function () {
      const response = await request(app).post('/add').set('content-type', 'application/json').send('{"a": 2,').expect(400);
      expect(response.body.error.code).to.equal('HTTP_400');
      expect(response.body.error).to.not.have.property('stack');
    });
  });
}
