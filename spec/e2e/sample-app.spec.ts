// The sample apps over HTTP with real processes: `npm start`'s setup (Express, embedded SQLite, no
// Redis, worker in the same process), then PostgreSQL + Redis with the Express and Koa web
// processes and a separate tw-worker process, as the README walks through them.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { childEnv, SAMPLE_MAIN, SAMPLE_TASKS, startProcess, TW_WORKER, type Running } from '../fixtures/sample-processes';
import { freshDatabase, REDIS_URL, requireService } from '../support/services';
import type { TaskView } from '../../sample-app/task-view';

const LISTENING = /listening on (http:\/\/127\.0\.0\.1:\d+)/;

/** The JSON the sample's routes answer with (sample-app/task-view.ts). */
type View = TaskView;

/** Waits through the app's own wait route: the app answers once the task is final. */
async function finalView(url: string, id: string): Promise<View> {
  const response = await request(url).get(`/tasks/${id}/wait?timeout=30`);
  expect(response.status, JSON.stringify(response.body)).to.equal(200);
  return response.body as View;
}

async function post(url: string, route: string, body: object, status = 202): Promise<View> {
  const response = await request(url).post(route).send(body);
  expect(response.status, JSON.stringify(response.body)).to.equal(status);
  return response.body as View;
}

describe('sample app: npm start (Express, SQLite, no Redis, in-process worker)', function () {
  this.timeout(90_000);
  let dir: string;
  let app: Running;
  let url: string;

  before(async function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tw-sample-'));
    app = await startProcess([SAMPLE_MAIN], childEnv({ PORT: '0', SAMPLE_DATA_DIR: dir, DATABASE_URL: `sqlite:${path.join(dir, 'sample.sqlite')}` }), LISTENING);
    url = app.ready[1];
  });
  after(async function () {
    if (app) expect(await app.stop(), `exit code on SIGTERM; output:\n${app.output()}`).to.equal(0);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints its URL and example curl commands', function () {
    expect(app.output()).to.include(`curl -s -X POST ${url}/reports`).and.to.include('database: sqlite:').and.to.include('worker:   in this process');
  });

  it('mounts the dashboard and prints its URL; the dashboard lists the app\'s tasks', async function () {
    expect(app.output()).to.include(`Dashboard: ${url}/admin/tasks/`);
    const page = await request(url).get('/admin/tasks/').expect(200);
    expect(page.text).to.include('assets/main.js');
    const created = await post(url, '/reports', { text: 'dashboard check' });
    const listed = await request(url).get('/admin/tasks/api/tasks').query({ name: 'sample.tasks.wordReport' }).expect(200);
    expect((listed.body as { tasks: Array<{ id: string }> }).tasks.map((t) => t.id)).to.include(created.id);
  });

  it('a report task completes with its result', async function () {
    const created = await post(url, '/reports', { text: 'the cat and the hat and the bat' });
    expect(created).to.include({ status: 'PENDING', final: false });
    const done = await finalView(url, created.id);
    expect(done.status).to.equal('COMPLETED');
    expect(done.result).to.deep.include({ words: 8 });
    expect((done.result as { topWords: Array<{ word: string }> }).topWords[0]).to.deep.equal({ word: 'the', count: 3 });
  });

  it('an email task writes to the outbox log', async function () {
    const created = await post(url, '/emails', { to: 'ada@example.com', subject: 'Hello', body: 'from a task' });
    const done = await finalView(url, created.id);
    expect(done.status).to.equal('COMPLETED');
    const outbox = readFileSync(path.join(dir, 'outbox.log'), 'utf8');
    expect(outbox).to.include(`Message-ID: <${created.id}@sample.task-worker>`).and.to.include('To: ada@example.com');
  });

  it('the failing task is retried twice with backoff, then FAILED for good; no stack reaches the client', async function () {
    const created = await post(url, '/inventory-sync', { sku: 'SKU-42' });
    expect(created.maxRetries).to.equal(2);
    const failed = await finalView(url, created.id);
    expect(failed).to.include({ status: 'FAILED', final: true, retryCount: 2 });
    expect(failed.error).to.equal('Error: supplier API answered 503 Service Unavailable while syncing SKU-42 (attempt 3 of 3)');
  });

  it('bad input answers 400 JSON and enqueues nothing', async function () {
    const unknown = await request(url).post('/tasks').send({ name: 'sample.tasks.launchRocket' }).expect(400);
    expect(unknown.body).to.deep.equal({ error: { code: 'TW_UNKNOWN_TASK', message: 'unknown task "sample.tasks.launchRocket"' } });
    const missing = await request(url).post('/reports').send({}).expect(400);
    expect(missing.body.error.code).to.equal('BAD_REQUEST');
    await request(url).get('/tasks/2222222222222222222222').expect(404);
  });

  it('a name sent as an object, or arguments nested thousands deep, answer 400 JSON (not 500)', async function () {
    const deep = `${'['.repeat(3000)}${']'.repeat(3000)}`;
    const bodies = ['{"name":{"toString":"x"}}', '{"name":{"__proto__":null,"a":1}}', `{"name":"sample.tasks.wordReport","args":${deep}}`];
    for (const body of bodies) {
      const response = await request(url).post('/tasks').set('content-type', 'application/json').send(body);
      expect(response.status, JSON.stringify(response.body)).to.equal(400);
      expect(response.body.error.code).to.equal('TW_INVALID_INPUT');
    }
  });

  it('an unknown route answers 404 JSON like the other errors', async function () {
    const response = await request(url).get('/nope').expect(404).expect('content-type', /application\/json/);
    expect(response.body).to.deep.equal({ error: { code: 'NOT_FOUND', message: 'no route GET /nope; GET / lists the routes' } });
  });

  it('POST /tasks by name cannot get past the limits of the typed routes: each handler checks its own input', async function () {
    const cases: Array<[string, unknown[], RegExp]> = [
      ['sample.tasks.thumbnail', [20_000, 20_000], /width must be a whole number from 16 to 1024/],
      ['sample.tasks.slowCount', [3600], /seconds must be a whole number from 1 to 60/],
      ['sample.tasks.sendEmail', ['ada@example.com', 'Hi', 'x'.repeat(150_000)], /body must be a string of 1 to 10000 characters/],
    ];
    for (const [name, args, message] of cases) {
      const created = await post(url, '/tasks', { name, args });
      const failed = await finalView(url, created.id);
      expect(failed, name).to.include({ status: 'FAILED', final: true, retryCount: 0 });
      expect(failed.error, name).to.match(message);
    }
  });
});

describe('a password with an unencoded @ never reaches the output (sample banner, tw-worker at debug level)', function () {
  this.timeout(60_000);

  it('shows postgres://postgres:***@host in the banner and the debug log, never the password', async function () {
    await requireService(this, 'postgres');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-sample-redact-'));
    // Trust authentication takes any password, so the URL works as pg parses it: password "Pa@TailSecret".
    const databaseUrl = (await freshDatabase('postgres', 'sample_redact')).replace('postgres@', 'postgres:Pa@TailSecret@');
    const env = childEnv({ PORT: '0', SAMPLE_DATA_DIR: dir, DATABASE_URL: databaseUrl, TW_LOG_LEVEL: 'debug' });
    const processes: Running[] = [];
    try {
      processes.push(await startProcess([SAMPLE_MAIN, '--no-worker'], env, LISTENING));
      processes.push(await startProcess([TW_WORKER, '--require', SAMPLE_TASKS, '--log-level', 'debug'], env, /worker started/));
    } finally {
      const codes = await Promise.all(processes.map((p) => p.stop()));
      rmSync(dir, { recursive: true, force: true });
      expect(codes).to.deep.equal(processes.map(() => 0));
    }
    const [web, worker] = processes.map((p) => p.output());
    expect(web).to.include('database: postgres://postgres:***@127.0.0.1');
    expect(worker).to.include('postgres://postgres:***@127.0.0.1');
    expect(web + worker).not.to.include('TailSecret');
  });
});

describe('sample app: PostgreSQL + Redis, web and worker as separate processes (Express and Koa)', function () {
  this.timeout(90_000);
  let dir: string;
  const processes: Running[] = [];
  let express: string;
  let koa: string;

  before(async function () {
    await requireService(this, 'postgres');
    await requireService(this, 'redis');
    dir = mkdtempSync(path.join(os.tmpdir(), 'tw-sample-pg-'));
    const env = childEnv({ PORT: '0', SAMPLE_DATA_DIR: dir, DATABASE_URL: await freshDatabase('postgres', 'sample_app'), REDIS_URL });
    // The web process migrates; the worker starts once the schema is there.
    const web = await startProcess([SAMPLE_MAIN, '--no-worker'], env, LISTENING);
    processes.push(web);
    express = web.ready[1];
    const [koaWeb, worker] = await Promise.all([
      startProcess([SAMPLE_MAIN, '--koa', '--no-worker'], env, LISTENING),
      startProcess([TW_WORKER, '--require', SAMPLE_TASKS, '--concurrency', '4'], env, /worker started/),
    ]);
    processes.push(koaWeb, worker);
    koa = koaWeb.ready[1];
  });
  after(async function () {
    const codes = await Promise.all(processes.map((p) => p.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
    expect(codes, processes.map((p) => p.output()).join('\n----\n')).to.deep.equal(processes.map(() => 0));
  });

  it('the web process runs no worker and says how to start one', function () {
    expect(processes[0].output()).to.include('worker:   none here').and.to.include('wake-ups: Redis at redis://');
  });

  it('Express: a thumbnail is rendered by the worker process and served by the web process', async function () {
    const created = await post(express, '/thumbnails', { width: 64, height: 40 });
    const done = await finalView(express, created.id);
    expect(done.status, JSON.stringify(done)).to.equal('COMPLETED');
    const image = await request(express).get((done.result as { url: string }).url).buffer(true).expect(200).expect('content-type', 'image/png');
    expect((image.body as Buffer).subarray(1, 4).toString('ascii')).to.equal('PNG');
  });

  it('Koa: a report completes, and the failing sync is retried and fails for good', async function () {
    const report = await post(koa, '/reports', { text: 'koa koa task' });
    const sync = await post(koa, '/inventory-sync', { sku: 'SKU-7' });
    expect((await finalView(koa, report.id)).result).to.deep.include({ words: 3 });
    const failed = await finalView(koa, sync.id);
    expect(failed).to.include({ status: 'FAILED', final: true, retryCount: 2 });
    const unknown = await request(koa).post('/reports').send({ text: '' }).expect(400);
    expect(unknown.body.error.code).to.equal('BAD_REQUEST');
  });

  it('both web processes see the same tasks', async function () {
    const created = await post(koa, '/reports', { text: 'shared' });
    expect((await finalView(express, created.id)).status).to.equal('COMPLETED');
  });
});
