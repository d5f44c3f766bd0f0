// The dashboard mounted in an Express app, on every database, over HTTP (supertest): the page and
// its assets at the mount point, the JSON of each page (queues, a filtered and paged task list, a
// task, workers, schedules), the actions with tw-admin's semantics (tasks and schedules), and the
// guards: authorize (every route), read-only, the CSRF token, a malformed path parameter (400), a
// generic 500. The live event stream names a task when it finishes.
import { expect } from 'chai';
import express, { type Express } from 'express';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { dashboard, type DashboardOptions, type ExpressRequestLike, type TaskWorker } from '../../lib/index';
import type { OverviewJson, SchedulesJson, TaskDetailJson, TaskPageJson, WorkersJson } from '../../lib/dashboard/client/api-types';
import { csrfFrom, idClockInStep, openDashboardSuite, taskIn, type DashboardSuite } from '../fixtures/dashboard-suite';
import { ALL_DIALECTS } from '../support/services';
import { waitFor } from '../support/wait';

const MOUNT = '/admin/tasks';

function buildApp(tw: TaskWorker, options?: DashboardOptions<ExpressRequestLike>): Express {
  const app = express();
  app.use(express.json());
  app.use(MOUNT, dashboard(tw, options));
  app.get('/elsewhere', (_req, res) => res.send('the app'));
  return app;
}

/** A browser's first visit: the page, its CSRF cookie and token. */
async function visit(app: Express): Promise<{ cookie: string; token: string }> {
  const page = await request(app).get(`${MOUNT}/`).expect(200);
  return csrfFrom(page.headers['set-cookie'], page.text);
}

for (const dialect of ALL_DIALECTS) {
  describe(`dashboard over Express: pages, data, actions and guards (${dialect})`, function () {
    let suite: DashboardSuite;
    let tw: TaskWorker;

    before(async function () {
      suite = await openDashboardSuite(this, dialect, 'dash_express', { queues: ['default', 'other', 'bulk'], backoffBase: 3600 });
      tw = suite.tw;
    });
    after(async () => {
      suite?.gate.open();
      await tw?.close();
    });

    it('serves its page at the mount point (relative redirect and URLs), with a CSP that forbids inline scripts, the CSRF cookie and its own assets', async function () {
      const app = buildApp(tw);
      const bare = await request(app).get(MOUNT).expect(302);
      expect(bare.headers.location).to.equal('tasks/');
      const page = await request(app).get(`${MOUNT}/`).expect(200).expect('content-type', /text\/html/);
      const csp = page.headers['content-security-policy'];
      expect(csp).to.include("script-src 'self'").and.to.include("default-src 'none'").and.to.include("frame-ancestors 'none'");
      expect(csp).to.not.include('unsafe-inline');
      expect(page.headers['x-content-type-options']).to.equal('nosniff');
      expect(page.headers['cache-control']).to.equal('no-store');
      const cookie = (page.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('tw_dashboard_csrf='));
      expect(cookie).to.match(/; HttpOnly; SameSite=Strict$/);
      expect([...page.text.matchAll(/<script[^>]*>/g)].map((m) => m[0])).to.deep.equal(['<script type="module" src="assets/main.js">']);
      expect(page.text).to.not.match(/(src|href)="\//); // every URL relative: any mount point, any proxy prefix
      const script = await request(app).get(`${MOUNT}/assets/main.js`).expect(200).expect('content-type', /text\/javascript/);
      await request(app).get(`${MOUNT}/assets/main.js`).set('if-none-match', script.headers.etag).expect(304);
      await request(app).get(`${MOUNT}/assets/views/task.js`).expect(200);
      await request(app).get(`${MOUNT}/assets/dashboard.css`).expect(200).expect('content-type', /text\/css/);
      await request(app).get(`${MOUNT}/assets/..%2Fpage.js`).expect(404);
      await request(app).get(`${MOUNT}/nothing-here`).expect(404);
      await request(app).get('/elsewhere').expect(200, 'the app');
    });

    it('queues: counts per queue and state, the oldest ready task\'s age, and the last hour per minute', async function () {
      const done = await Promise.all([tw.createTask('dash.echo', { args: [1] }), tw.createTask('dash.echo', { args: [2] })]);
      const failed = await tw.createTask('dash.fail', { args: ['x'], maxRetries: 0 });
      const retrying = await tw.createTask('dash.fail', { args: ['y'], queue: 'other', maxRetries: 3 });
      const running = await tw.createTask('dash.gate', { queue: 'other' });
      await tw.createTasks([{ name: 'dash.echo', queue: 'idle' }, { name: 'dash.echo', queue: 'idle' }, { name: 'dash.echo', queue: 'idle', delay: 3600 }]);
      await Promise.all([...done.map((t) => taskIn(tw, t.id, 'COMPLETED')), taskIn(tw, failed.id, 'FAILED'), taskIn(tw, retrying.id, 'RETRYING'),
        taskIn(tw, running.id, 'PROGRESS')]);
      const overview = (await request(buildApp(tw)).get(`${MOUNT}/api/overview`).expect(200)).body as OverviewJson;
      const queue = (name: string) => overview.queues.find((q) => q.name === name)!;
      expect(queue('default')).to.include({ completed: 2, failed: 1, ready: 0, running: 0, retrying: 0 });
      expect(queue('other')).to.include({ running: 1, retrying: 1, completed: 0, failed: 0 });
      expect(queue('idle')).to.include({ ready: 2, scheduled: 1, running: 0 });
      expect(queue('idle').oldestReadyAgeMs).to.be.a('number').and.to.be.at.least(0);
      expect(queue('default').oldestReadyAgeMs).to.equal(null);
      const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
      expect(queue('default').completedPerMinute).to.have.length(60);
      expect(sum(queue('default').completedPerMinute)).to.equal(2);
      expect(sum(queue('default').failedPerMinute)).to.equal(1);
      expect(sum(queue('other').failedPerMinute), 'a failure waiting for its retry counts too').to.equal(1);
      expect(overview.total).to.include({ ready: 2, scheduled: 1, running: 1, retrying: 1, completed: 2, failed: 1 });
      expect(overview.workers.live).to.be.at.least(1);
      suite.gate.open();
      await taskIn(tw, running.id, 'COMPLETED');
      suite.gate.close();
    });

    it('tasks: newest first, filtered by status, queue, name and creation time, paged by id without gaps or repeats', async function () {
      const app = buildApp(tw);
      await idClockInStep();
      const older = await tw.createTasks(Array.from({ length: 10 }, (_, i) => ({ name: i % 2 ? 'dash.fail' : 'dash.echo', queue: 'pages' })));
      await new Promise((resolve) => setTimeout(resolve, 5));
      const middle = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 5));
      const newer = await tw.createTasks(Array.from({ length: 15 }, () => ({ name: 'dash.echo', queue: 'pages' })));
      const expected = [...older, ...newer].map((t) => t.id).reverse();
      const list = async (query: Record<string, string | number>) => (await request(app).get(`${MOUNT}/api/tasks`).query(query).expect(200)).body as TaskPageJson;

      const seen: string[] = [];
      let page = await list({ queue: 'pages', limit: 10 });
      expect(page.newer).to.equal(null);
      const pages = [page];
      while (page.older) pages.push((page = await list({ queue: 'pages', limit: 10, before: page.older })));
      for (const p of pages) seen.push(...p.tasks.map((t) => t.id));
      expect(pages.map((p) => p.tasks.length)).to.deep.equal([10, 10, 5]);
      expect(seen).to.deep.equal(expected);
      const back = await list({ queue: 'pages', limit: 10, after: pages[1].newer! });
      expect(back.tasks.map((t) => t.id)).to.deep.equal(expected.slice(0, 10));
      expect(back.newer).to.equal(null);

      expect((await list({ queue: 'pages', name: 'dash.fail' })).tasks.map((t) => t.id)).to.deep.equal(older.filter((_, i) => i % 2).map((t) => t.id).reverse());
      expect((await list({ queue: 'pages', from: middle })).tasks.map((t) => t.id)).to.deep.equal(newer.map((t) => t.id).reverse());
      expect((await list({ queue: 'pages', to: new Date(middle).toISOString() })).tasks.map((t) => t.id)).to.deep.equal(older.map((t) => t.id).reverse());
      const pending = await list({ queue: 'pages', status: 'PENDING', limit: 3 });
      expect(pending.tasks.map((t) => t.state)).to.deep.equal(['PENDING', 'PENDING', 'PENDING']);
      expect((await list({ queue: 'pages', status: 'COMPLETED' })).tasks).to.deep.equal([]);
      const row = pending.tasks[0];
      expect(row).to.include({ queue: 'pages', name: 'dash.echo', retryCount: 0 });
      expect(row.createdAt).to.be.a('number');

      const bad = await request(app).get(`${MOUNT}/api/tasks`).query({ status: 'DONE' }).expect(400);
      expect(bad.body.error).to.deep.equal({ code: 'BAD_REQUEST', message: 'status must be one of PENDING, PROGRESS, COMPLETED, FAILED, FAILED_FINAL, RETRYING' });
      await request(app).get(`${MOUNT}/api/tasks`).query({ before: 'not-an-id' }).expect(400);
      await request(app).get(`${MOUNT}/api/tasks`).query({ from: 'yesterday-ish' }).expect(400);
    });

    it('a task: its arguments, result, full error with its stack, timeline, retries and what may be done to it', async function () {
      const app = buildApp(tw);
      const failed = await tw.createTask('dash.fail', { args: ['SKU-42'], kwargs: { region: 'eu' }, maxRetries: 0 });
      const done = await tw.createTask('dash.echo', { args: ['hello'] });
      await Promise.all([taskIn(tw, failed.id, 'FAILED'), taskIn(tw, done.id, 'COMPLETED')]);
      const f = (await request(app).get(`${MOUNT}/api/tasks/${failed.id}`).expect(200)).body as TaskDetailJson;
      expect(f).to.include({ id: failed.id, name: 'dash.fail', state: 'FAILED', final: true, retryCount: 0, maxRetries: 0 });
      expect(f.error!.text).to.match(/^Error: supplier answered 503: SKU-42\n\s+at /);
      expect(JSON.parse(f.args.text)).to.deep.equal(['SKU-42']);
      expect(JSON.parse(f.kwargs.text)).to.deep.equal({ region: 'eu' });
      expect(f.startedAt).to.be.a('number');
      expect(f.finishedAt).to.be.at.least(f.startedAt!);
      expect(f.actions).to.deep.equal({ retry: true, cancel: false });
      const d = (await request(app).get(`${MOUNT}/api/tasks/${done.id}`).expect(200)).body as TaskDetailJson;
      expect(JSON.parse(d.result!.text)).to.deep.equal({ echoed: ['hello'] });
      expect(d.error).to.equal(null);
      expect(d.actions).to.deep.equal({ retry: false, cancel: false });
      const missing = await request(app).get(`${MOUNT}/api/tasks/2222222222222222222222`).expect(404);
      expect(missing.body.error.code).to.equal('TW_NOT_FOUND');
      await request(app).get(`${MOUNT}/api/tasks/nope`).expect(400);
    });

    it('workers: each live worker with host, pid, queues, concurrency and the tasks it holds; a silent one is lost; a stopped one is gone', async function () {
      const app = buildApp(tw);
      const held = await tw.createTask('dash.gate');
      await taskIn(tw, held.id, 'PROGRESS');
      const now = Date.now();
      await tw.store.workers.register({ id: 'gone-host:4242:abcdef', host: 'gone-host', pid: 4242, queues: ['emails'], concurrency: 8, prefetch: 0,
        pool: 'thread', leaseMs: 1000, startedAt: now - 60_000 }, now - 5000, now - 86_400_000);
      const second = await tw.startWorker();
      let workers = (await request(app).get(`${MOUNT}/api/workers`).expect(200)).body as WorkersJson;
      const mine = workers.workers.filter((w) => w.pid === process.pid);
      expect(mine.map((w) => w.state)).to.deep.equal(['live', 'live']);
      expect(mine[0]).to.include({ concurrency: 4, prefetch: 'auto', pool: 'inline' });
      expect(mine[0].queues).to.deep.equal(['default', 'other', 'bulk']);
      expect(mine.flatMap((w) => w.held.map((t) => t.id))).to.include(held.id);
      const lost = workers.workers.find((w) => w.id === 'gone-host:4242:abcdef')!;
      expect(lost).to.include({ state: 'lost', host: 'gone-host', pid: 4242 });
      await second.stop();
      workers = (await request(app).get(`${MOUNT}/api/workers`).expect(200)).body as WorkersJson;
      expect(workers.workers.filter((w) => w.pid === process.pid)).to.have.length(1);
      suite.gate.open();
      await taskIn(tw, held.id, 'COMPLETED');
      suite.gate.close();
    });

    it('retry and cancel change a task only with this browser\'s CSRF token, from the same origin, as JSON; cancel refuses a finished task', async function () {
      const app = buildApp(tw);
      const { cookie, token } = await visit(app);
      const failed = await tw.createTask('dash.fail', { args: ['retry me'], maxRetries: 0 });
      const before = await taskIn(tw, failed.id, 'FAILED');
      const post = (path: string, headers: Record<string, string>, body: object | string = {}) => {
        const r = request(app).post(`${MOUNT}/api/${path}`);
        for (const [k, v] of Object.entries(headers)) r.set(k, v);
        return r.send(body);
      };
      const noToken = await post(`tasks/${failed.id}/retry`, { cookie, 'content-type': 'application/json' }).expect(403);
      expect(noToken.body.error.code).to.equal('CSRF');
      await post(`tasks/${failed.id}/retry`, { cookie, 'x-tw-csrf': `${token.slice(0, -1)}x`, 'content-type': 'application/json' }).expect(403);
      await post(`tasks/${failed.id}/retry`, { 'x-tw-csrf': token, 'content-type': 'application/json' }).expect(403); // no cookie
      await post(`tasks/${failed.id}/retry`, { cookie, 'x-tw-csrf': token, 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }).expect(403);
      await post(`tasks/${failed.id}/retry`, { cookie, 'x-tw-csrf': token, 'content-type': 'text/plain' }, 'x').expect(415);
      expect((await tw.getTask(failed.id))!.updatedAt.getTime(), 'refused requests change nothing').to.equal(before.updatedAt.getTime());

      const ok = { cookie, 'x-tw-csrf': token, 'sec-fetch-site': 'same-origin' };
      const retried = await post(`tasks/${failed.id}/retry`, ok).expect(200);
      expect(retried.body.message).to.equal(`Task ${failed.id} (dash.fail) is PENDING again, with its retries reset: a worker will run it now.`);
      await waitFor('the retried task to fail again', async () => ((await tw.getTask(failed.id))!.finishedAt?.getTime() ?? 0) > before.finishedAt!.getTime());

      const later = await tw.createTask('dash.echo', { delay: 3600 });
      const cancelled = await post(`tasks/${later.id}/cancel`, ok, { reason: 'duplicate order' }).expect(200);
      expect(cancelled.body.task).to.include({ state: 'FAILED', final: true });
      expect(cancelled.body.task.error.text).to.equal('CancelledError: cancelled by an operator: duplicate order');
      const again = await post(`tasks/${later.id}/cancel`, ok).expect(409);
      expect(again.body.error.code).to.equal('TW_WRONG_STATUS');
      expect(again.body.error.message).to.match(/cannot cancel task .*: it is FAILED; only PENDING/);
      await post('tasks/2222222222222222222222/retry', ok).expect(404);
    });

    it('read-only (always, or per request) hides the actions and refuses every POST', async function () {
      const failed = await tw.createTask('dash.fail', { maxRetries: 0 });
      await taskIn(tw, failed.id, 'FAILED');
      for (const [app, headers] of [
        [buildApp(tw, { readOnly: true }), {}],
        [buildApp(tw, { readOnly: (req) => req.headers['x-role'] !== 'admin' }), { 'x-role': 'viewer' }],
      ] as Array<[Express, Record<string, string>]>) {
        const page = await request(app).get(`${MOUNT}/`).set(headers).expect(200);
        expect(page.text).to.include('&quot;readOnly&quot;:true');
        const { cookie, token } = csrfFrom(page.headers['set-cookie'], page.text);
        const detail = (await request(app).get(`${MOUNT}/api/tasks/${failed.id}`).set(headers).expect(200)).body as TaskDetailJson;
        expect(detail.actions).to.deep.equal({ retry: false, cancel: false });
        for (const path of [`tasks/${failed.id}/retry`, 'retry-failed', 'purge']) {
          const refused = await request(app).post(`${MOUNT}/api/${path}`).set({ ...headers, cookie, 'x-tw-csrf': token }).send({ olderThan: '1d' }).expect(403);
          expect(refused.body.error.code).to.equal('READ_ONLY');
        }
      }
      expect((await tw.getTask(failed.id))!.status).to.equal('FAILED');
      const admin = buildApp(tw, { readOnly: (req) => req.headers['x-role'] !== 'admin' });
      const detail = (await request(admin).get(`${MOUNT}/api/tasks/${failed.id}`).set('x-role', 'admin').expect(200)).body as TaskDetailJson;
      expect(detail.actions.retry).to.equal(true);
    });

    it('bulk: retry-failed counts first (dry run), then retries the failed tasks of a queue; purge deletes finished tasks older than an age', async function () {
      const app = buildApp(tw);
      const { cookie, token } = await visit(app);
      const ok = { cookie, 'x-tw-csrf': token };
      const failing = await Promise.all([1, 2, 3].map((i) => tw.createTask('dash.fail', { args: [i], queue: 'bulk', maxRetries: 0 })));
      const first = await Promise.all(failing.map((t) => taskIn(tw, t.id, 'FAILED')));
      const listed = (await request(app).get(`${MOUNT}/api/tasks`).query({ status: 'FAILED', queue: 'bulk', limit: 2 }).expect(200)).body as TaskPageJson;
      expect(listed.tasks.map((t) => t.id), 'FAILED (any): both kinds, newest first, paged').to.deep.equal([failing[2].id, failing[1].id]);
      const rest = (await request(app).get(`${MOUNT}/api/tasks`).query({ status: 'FAILED', queue: 'bulk', before: listed.older! }).expect(200)).body as TaskPageJson;
      expect(rest.tasks.map((t) => t.id)).to.deep.equal([failing[0].id]);
      const dry = await request(app).post(`${MOUNT}/api/retry-failed`).set(ok).send({ queue: 'bulk', dryRun: true }).expect(200);
      expect(dry.body).to.deep.equal({ message: '3 failed tasks would be retried.', retried: 3, dryRun: true });
      const done = await request(app).post(`${MOUNT}/api/retry-failed`).set(ok).send({ queue: 'bulk', status: 'FAILED_FINAL' }).expect(200);
      expect(done.body).to.include({ retried: 3, dryRun: false });
      expect(done.body.message).to.equal('3 failed tasks retried: PENDING again, with their retries reset.');
      await Promise.all(failing.map((t, i) => waitFor(`task ${t.id} run again`, async () => {
        const task = await tw.getTask(t.id);
        return task?.status === 'FAILED' && task.finishedAt!.getTime() > first[i].finishedAt!.getTime();
      })));
      await request(app).post(`${MOUNT}/api/retry-failed`).set(ok).send({ status: 'COMPLETED' }).expect(400);

      const old = Date.now() - 3 * 86_400_000;
      await tw.sequelize.query(`UPDATE tw_tasks SET finished_at = ${old} WHERE queue = 'bulk'`);
      const dryPurge = await request(app).post(`${MOUNT}/api/purge`).set(ok).send({ olderThan: '2d', dryRun: true }).expect(200);
      expect(dryPurge.body).to.deep.equal({ message: '3 tasks would be deleted: finished tasks older than 2d (0 COMPLETED, 3 FAILED for good).', deleted: 3, dryRun: true });
      const purged = await request(app).post(`${MOUNT}/api/purge`).set(ok).send({ olderThan: '2d' }).expect(200);
      expect(purged.body).to.include({ deleted: 3, dryRun: false });
      await request(app).get(`${MOUNT}/api/tasks/${failing[0].id}`).expect(404);
      const badAge = await request(app).post(`${MOUNT}/api/purge`).set(ok).send({ olderThan: 'soon' }).expect(400);
      expect(badAge.body.error.message).to.match(/"soon" is not a duration/);
      const minuteOrMonth = await request(app).post(`${MOUNT}/api/purge`).set(ok).send({ olderThan: '1m' }).expect(400);
      expect(minuteOrMonth.body.error.message).to.match(/"1m" is ambiguous.*30min.*30d/);
    });

    it('authorize decides every request; a failure of the dashboard itself answers a generic 500 and reaches onError only', async function () {
      const guarded = buildApp(tw, { authorize: (req) => req.headers['x-user'] === 'ops' });
      const task = await tw.createTask('dash.echo', { delay: 3600 });
      for (const path of ['/', '/assets/main.js', '/assets/views/task.js', '/assets/dashboard.css', '/assets/icon.svg', '/api/overview', '/api/tasks',
        `/api/tasks/${task.id}`, '/api/workers', '/api/schedules', '/api/events', '/nothing-here']) {
        const refused = await request(guarded).get(`${MOUNT}${path}`).expect(403);
        expect(refused.text, path).to.not.include('<html');
      }
      // Every action too, before any other check: a matching cookie and header pair would pass the CSRF check.
      const csrfPair = { cookie: 'tw_dashboard_csrf=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'x-tw-csrf': 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' };
      for (const path of [`tasks/${task.id}/cancel`, `tasks/${task.id}/retry`, 'queues/default/pause', 'retry-failed', 'purge', 'schedules/nightly/run-now']) {
        const refused = await request(guarded).post(`${MOUNT}/api/${path}`).set(csrfPair).send({ olderThan: '1d' }).expect(403);
        expect(refused.body.error.code, path).to.equal('FORBIDDEN');
      }
      expect((await tw.getTask(task.id))!.status).to.equal('PENDING');
      expect((await tw.admin.queues()).find((q) => q.name === 'default')?.paused ?? false).to.equal(false);
      await request(guarded).get(`${MOUNT}/api/tasks`).set('x-user', 'ops').expect(200);
      const seen: unknown[] = [];
      const broken = buildApp(tw, { authorize: () => { throw new Error('session store at redis://:hunter2@cache failed'); }, onError: (e) => seen.push(e) });
      const failed = await request(broken).get(`${MOUNT}/api/overview`).expect(500);
      expect(failed.body).to.deep.equal({ error: { code: 'INTERNAL_ERROR', message: 'the dashboard failed to answer; the details are in the server log' } });
      const page = await request(broken).get(`${MOUNT}/`).expect(500);
      expect(page.text).to.not.include('hunter2').and.to.not.match(/\bat .*\.js:\d+/);
      expect(seen).to.have.length(2);
      expect(() => dashboard(tw, { refreshInterval: 0 })).to.throw(/refreshInterval must be a number of seconds from 0.5 to 3600/);
      expect(() => dashboard(tw, { readonly: true } as never)).to.throw(/unknown option "readonly"/);
    });

    it('a malformed percent-encoding in any path parameter (task id, queue, schedule key) answers 400 in JSON, never 500', async function () {
      const seen: unknown[] = [];
      const app = buildApp(tw, { onError: (e) => seen.push(e) });
      const { cookie, token } = await visit(app);
      const bad = '%E0%A4%A';
      const task = await request(app).get(`${MOUNT}/api/tasks/${bad}`).expect(400).expect('content-type', /application\/json/);
      expect(task.body.error).to.deep.equal({ code: 'BAD_REQUEST', message: 'the task id in the URL is not valid percent-encoding: encode it with encodeURIComponent' });
      const ok = { cookie, 'x-tw-csrf': token, 'content-type': 'application/json' };
      for (const [path, what] of [[`tasks/${bad}/retry`, 'task id'], [`tasks/${bad}/cancel`, 'task id'], [`queues/${bad}/pause`, 'queue name'],
        [`queues/${bad}/resume`, 'queue name'], [`schedules/${bad}/pause`, 'schedule key'], [`schedules/${bad}/run-now`, 'schedule key']]) {
        const refused = await request(app).post(`${MOUNT}/api/${path}`).set(ok).send({}).expect(400);
        expect(refused.body.error.code, path).to.equal('BAD_REQUEST');
        expect(refused.body.error.message, path).to.include(what === 'schedule key' ? 'is not a schedule key' : `the ${what} in the URL`);
      }
      // Outside the API the page's own routes live in the fragment: a server path is no page at all.
      expect((await request(app).get(`${MOUNT}/tasks/${bad}`).expect(404)).text).to.equal(`no such page: GET /tasks/${bad}\n`);
      expect(seen, 'none of these is a failure of the dashboard').to.deep.equal([]);
    });

    it('live: the event stream sends a change naming a task when it finishes, and ticks', async function () {
      const server = buildApp(tw, { refreshInterval: 0.5 }).listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      let text = '';
      let response: IncomingMessage | undefined;
      try {
        response = await new Promise<IncomingMessage>((resolve, reject) => {
          const req = httpRequest({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: `${MOUNT}/api/events` }, resolve);
          req.on('error', reject);
          req.end();
        });
        expect(response.statusCode).to.equal(200);
        expect(response.headers['content-type']).to.match(/^text\/event-stream/);
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        await waitFor('the first tick', () => text.includes('event: tick'));
        const task = await tw.createTask('dash.gate');
        await taskIn(tw, task.id, 'PROGRESS');
        await waitFor('the creation reported', () => text.includes(task.id));
        const before = text.length;
        suite.gate.open();
        await waitFor('a change naming the finished task', () => text.slice(before).split('\n\n').some((e) => e.includes('event: change') && e.includes(task.id)));
        suite.gate.close();
      } finally {
        response?.destroy();
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('schedules: each with its definition, next and last fire and the last task\'s state; pause, resume and run now say what changed; refused when read-only', async function () {
      const app = buildApp(tw);
      const { cookie, token } = await visit(app);
      const act = (key: string, action: string, headers: Record<string, string> = { cookie, 'x-tw-csrf': token }, on = app) =>
        request(on).post(`${MOUNT}/api/schedules/${encodeURIComponent(key)}/${action}`).set(headers).send({});
      const list = async () => {
        const { schedules } = (await request(app).get(`${MOUNT}/api/schedules`).expect(200)).body as SchedulesJson;
        return ['dash-leap', 'dash/weekly'].map((key) => schedules.find((s) => s.key === key)!);
      };
      // Fire times that cannot come during the test: 02:30 in Berlin on a 29 February, and a weekly interval (Thursdays, 00:00 UTC).
      await tw.schedules.upsert('dash-leap', { cron: '30 2 29 2 *', task: 'dash.echo', args: ['leap'], timezone: 'Europe/Berlin', catchUp: 'none' });
      await tw.schedules.upsert('dash/weekly', { every: '7d', task: 'dash.fail', kwargs: { region: 'eu' }, queue: 'other', maxRetries: 0 });
      const berlin = (ms: number | null) => new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Berlin', month: '2-digit', day: '2-digit',
        hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms ?? 0);

      let [leap, weekly] = await list();
      expect(leap).to.include({ key: 'dash-leap', task: 'dash.echo', cron: '30 2 29 2 *', every: null, timezone: 'Europe/Berlin', catchUp: 'none',
        source: 'runtime', queue: null, argsPreview: '["leap"]', paused: false, lastFireAt: null, lastTaskId: null, lastTaskState: null });
      expect(berlin(leap.nextFireAt)).to.equal('02/29, 02:30');
      expect(weekly).to.include({ key: 'dash/weekly', cron: null, every: '1w', catchUp: 'latest', queue: 'other', argsPreview: '[] {"region":"eu"}' });
      expect(weekly.nextFireAt! % (7 * 86_400_000)).to.equal(0);

      // Run now: a task of the schedule at once, its fire time now; the schedule's fire times stay.
      const weeklyNext = weekly.nextFireAt;
      const ran = await act('dash/weekly', 'run-now').expect(200);
      const made = ran.body.task as TaskDetailJson;
      expect(ran.body.message).to.match(new RegExp(`^Task ${made.id} \\(dash\\.fail\\) created for schedule dash/weekly, for now ` +
        '\\(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\): it is PENDING\\. The schedule\'s own fire times do not move\\.$'));
      expect(made).to.include({ name: 'dash.fail', queue: 'other', scheduleKey: 'dash/weekly', uniqueKey: null });
      expect(made.scheduledFor).to.be.a('number');
      await taskIn(tw, made.id, 'FAILED');
      [, weekly] = await list();
      expect(weekly).to.include({ lastFireAt: made.scheduledFor, lastTaskId: made.id, lastTaskState: 'FAILED', nextFireAt: weeklyNext });
      const detail = (await request(app).get(`${MOUNT}/api/tasks/${made.id}`).expect(200)).body as TaskDetailJson;
      expect(detail).to.include({ scheduleKey: 'dash/weekly', scheduledFor: made.scheduledFor, uniqueKey: null });
      const keyed = await tw.createTask('dash.echo', { uniqueKey: 'order:42', delay: 3600 });
      expect((await request(app).get(`${MOUNT}/api/tasks/${keyed.id}`).expect(200)).body).to.include({ uniqueKey: 'order:42', scheduleKey: null, scheduledFor: null });

      // Pause and resume, each saying what changed, and that nothing did when it was so already.
      const paused = await act('dash-leap', 'pause').expect(200);
      expect(paused.body.message).to.equal('Schedule dash-leap (dash.echo) is paused: it makes no task until it is resumed (this survives restarts and worker starts).');
      expect(paused.body.schedule).to.include({ key: 'dash-leap', paused: true, nextFireAt: null });
      expect((await act('dash-leap', 'pause').expect(200)).body.message).to.equal('Schedule dash-leap (dash.echo) was already paused: nothing changed.');
      expect((await tw.admin.schedules()).find((s) => s.key === 'dash-leap')!.paused).to.equal(true);
      const ranPaused = await act('dash-leap', 'run-now').expect(200);
      expect(ranPaused.body.message).to.match(/The schedule's own fire times do not move, and it stays paused\.$/);
      expect(ranPaused.body.schedule).to.include({ paused: true, lastTaskId: ranPaused.body.task.id });
      const resumed = await act('dash-leap', 'resume').expect(200);
      expect(resumed.body.message).to.match(/^Schedule dash-leap \(dash\.echo\) is running again: next fire \d{4}-02-29 01:30:00 UTC; the fire times it missed while paused are skipped\.$/);
      expect(berlin(resumed.body.schedule.nextFireAt)).to.equal('02/29, 02:30');
      expect((await act('dash-leap', 'resume').expect(200)).body.message).to.match(/^Schedule dash-leap \(dash\.echo\) was not paused: nothing changed; next fire \d{4}-02-29 01:30:00 UTC\.$/);

      // Refusals: an unknown or malformed key, no CSRF token, read-only; none changes the schedule.
      expect((await act('dash-none', 'pause').expect(404)).body.error).to.deep.equal({ code: 'TW_NOT_FOUND', message: 'no schedule with key "dash-none" (it may have been removed)' });
      expect((await act('no spaces!', 'pause').expect(400)).body.error.message).to.equal('"no spaces!" is not a schedule key: 1-200 of A-Z a-z 0-9 _ . : / -');
      expect((await act('dash-leap', 'pause', { cookie }).expect(403)).body.error.code).to.equal('CSRF');
      await request(app).get(`${MOUNT}/api/schedules/dash-leap/pause`).expect(404);
      const viewer = buildApp(tw, { readOnly: true });
      const page = await request(viewer).get(`${MOUNT}/`).expect(200);
      const readOnly = csrfFrom(page.headers['set-cookie'], page.text);
      expect((await request(viewer).get(`${MOUNT}/api/schedules`).expect(200)).body.schedules).to.have.length(2);
      for (const action of ['pause', 'resume', 'run-now']) {
        const refused = await act('dash-leap', action, { cookie: readOnly.cookie, 'x-tw-csrf': readOnly.token }, viewer).expect(403);
        expect(refused.body.error.code).to.equal('READ_ONLY');
      }
      [leap] = await list();
      expect(leap).to.include({ paused: false, lastTaskId: ranPaused.body.task.id });
    });
  });
}
