// The dashboard as Koa middleware, on every database: served below its prefix (other routes pass
// through), the relative redirect, the page and its data, and actions (on tasks and schedules)
// whose body Koa's body parser read, or that the dashboard reads itself when no parser ran.
import { bodyParser } from '@koa/bodyparser';
import { expect } from 'chai';
import Koa from 'koa';
import request from 'supertest';
import { koaDashboard, type TaskWorker } from '../../lib/index';
import type { SchedulesJson, TaskPageJson } from '../../lib/dashboard/client/api-types';
import { csrfFrom, openDashboardSuite, taskIn, type DashboardSuite } from '../fixtures/dashboard-suite';
import { ALL_DIALECTS } from '../support/services';

function buildApp(tw: TaskWorker, withBodyParser: boolean, readOnly = false): ReturnType<Koa['callback']> {
  const app = new Koa();
  if (withBodyParser) app.use(bodyParser());
  app.use(koaDashboard(tw, { prefix: '/ops/tasks', readOnly }));
  app.use((ctx) => {
    ctx.body = { app: 'rest of the app', path: ctx.path };
  });
  return app.callback();
}

for (const dialect of ALL_DIALECTS) {
  describe(`dashboard as Koa middleware (${dialect})`, function () {
    let suite: DashboardSuite;
    let tw: TaskWorker;

    before(async function () {
      suite = await openDashboardSuite(this, dialect, 'dash_koa');
      tw = suite.tw;
    });
    after(async () => tw?.close());

    it('serves below its prefix only, redirects to the trailing slash, and lists tasks', async function () {
      const app = buildApp(tw, true);
      expect((await request(app).get('/ops/tasks').expect(302)).headers.location).to.equal('tasks/');
      const page = await request(app).get('/ops/tasks/').expect(200).expect('content-type', /text\/html/);
      expect(page.headers['content-security-policy']).to.include("script-src 'self'");
      await request(app).get('/ops/tasks/assets/main.js').expect(200).expect('content-type', /javascript/);
      expect((await request(app).get('/ops/tasksandmore').expect(200)).body).to.deep.equal({ app: 'rest of the app', path: '/ops/tasksandmore' });
      expect((await request(app).get('/orders').expect(200)).body.path).to.equal('/orders');
      const task = await tw.createTask('dash.echo', { args: ['koa'] });
      await taskIn(tw, task.id, 'COMPLETED');
      const list = (await request(app).get('/ops/tasks/api/tasks').query({ status: 'COMPLETED' }).expect(200)).body as TaskPageJson;
      expect(list.tasks.map((t) => t.id)).to.include(task.id);
      expect((await request(app).get('/ops/tasks/api/tasks/%E0%A4%A').expect(400)).body.error.code).to.equal('BAD_REQUEST');
    });

    it('an action needs the CSRF token; its body is read with or without a body parser before it; read-only refuses', async function () {
      for (const withParser of [true, false]) {
        const app = buildApp(tw, withParser);
        const page = await request(app).get('/ops/tasks/').expect(200);
        const { cookie, token } = csrfFrom(page.headers['set-cookie'], page.text);
        const failed = await tw.createTask('dash.fail', { maxRetries: 0 });
        await taskIn(tw, failed.id, 'FAILED');
        await request(app).post(`/ops/tasks/api/tasks/${failed.id}/retry`).set({ cookie }).send({}).expect(403);
        const later = await tw.createTask('dash.echo', { delay: 3600 });
        const cancelled = await request(app).post(`/ops/tasks/api/tasks/${later.id}/cancel`).set({ cookie, 'x-tw-csrf': token })
          .send({ reason: withParser ? 'parsed by Koa' : 'read by the dashboard' }).expect(200);
        expect(cancelled.body.task.error.text).to.equal(`CancelledError: cancelled by an operator: ${withParser ? 'parsed by Koa' : 'read by the dashboard'}`);
      }
      const readOnly = buildApp(tw, true, true);
      const page = await request(readOnly).get('/ops/tasks/').expect(200);
      const { cookie, token } = csrfFrom(page.headers['set-cookie'], page.text);
      const later = await tw.createTask('dash.echo', { delay: 3600 });
      const refused = await request(readOnly).post(`/ops/tasks/api/tasks/${later.id}/cancel`).set({ cookie, 'x-tw-csrf': token }).send({}).expect(403);
      expect(refused.body.error.code).to.equal('READ_ONLY');
      expect((await tw.getTask(later.id))!.status).to.equal('PENDING');
    });

    it('schedules: listed below the prefix; pause and resume with or without a body parser; read-only refuses', async function () {
      await tw.schedules.upsert('koa-leap', { cron: '0 0 29 2 *', task: 'dash.echo' }); // next fire: a 29 February
      for (const withParser of [true, false]) {
        const app = buildApp(tw, withParser);
        const page = await request(app).get('/ops/tasks/').expect(200);
        const ok = csrfFrom(page.headers['set-cookie'], page.text);
        const headers = { cookie: ok.cookie, 'x-tw-csrf': ok.token };
        const { schedules } = (await request(app).get('/ops/tasks/api/schedules').expect(200)).body as SchedulesJson;
        expect(schedules.map((s) => [s.key, s.cron, s.paused])).to.deep.equal([['koa-leap', '0 0 29 2 *', false]]);
        expect((await request(app).post('/ops/tasks/api/schedules/koa-leap/pause').set(headers).send({}).expect(200)).body.schedule.paused).to.equal(true);
        expect((await tw.admin.schedules())[0].paused).to.equal(true);
        expect((await request(app).post('/ops/tasks/api/schedules/koa-leap/resume').set(headers).send({}).expect(200)).body.schedule.paused).to.equal(false);
      }
      const readOnly = buildApp(tw, true, true);
      const page = await request(readOnly).get('/ops/tasks/').expect(200);
      const { cookie, token } = csrfFrom(page.headers['set-cookie'], page.text);
      const refused = await request(readOnly).post('/ops/tasks/api/schedules/koa-leap/pause').set({ cookie, 'x-tw-csrf': token }).send({}).expect(403);
      expect(refused.body.error.code).to.equal('READ_ONLY');
      expect((await tw.admin.schedules())[0].paused).to.equal(false);
    });
  });
}
