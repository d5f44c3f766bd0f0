// The dashboard shows and steers running work: a task's page carries its progress and every attempt
// with its code, a running task can be cancelled from it, and a queue paused and resumed (the
// overview says which are paused). The statements behind these run on every database in
// observability.spec.ts; one database is enough for the dashboard's JSON.
import { expect } from 'chai';
import express, { type Express } from 'express';
import request from 'supertest';
import { currentTask, dashboard, TaskRegistry, type TaskWorker } from '../../lib/index';
import type { OverviewJson, TaskDetailJson } from '../../lib/dashboard/client/api-types';
import { csrfFrom } from '../fixtures/dashboard-suite';
import { openSuite } from '../support/harness';
import { waitFor } from '../support/wait';

const MOUNT = '/admin/tasks';

describe('dashboard: progress, attempts, cancelling a running task, pausing a queue [sqlite]', function () {
  let tw: TaskWorker;
  let app: Express;
  let auth: { cookie: string; token: string };
  const registry = new TaskRegistry();
  registry.register('d.steps', () => {
    const { signal, attempt } = currentTask();
    if (attempt === 0) throw new Error('the supplier timed out');
    currentTask().progress(40, { step: 'upload' });
    return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
  });
  registry.register('d.ok', () => 'ok');

  const post = (path: string, body: object = {}) => request(app).post(`${MOUNT}/api/${path}`)
    .set({ cookie: auth.cookie, 'x-tw-csrf': auth.token, 'content-type': 'application/json' }).send(body);
  const detail = async (id: string) => (await request(app).get(`${MOUNT}/api/tasks/${id}`).expect(200)).body as TaskDetailJson;

  before(async function () {
    tw = await openSuite(this, 'sqlite', 'dash_observe', { registry, backoffBase: 0.05, backoffCap: 0.1, pollInterval: 0.2, concurrency: 2 });
    await tw.startWorker();
    app = express();
    app.use(express.json());
    app.use(MOUNT, dashboard(tw));
    const page = await request(app).get(`${MOUNT}/`).expect(200);
    auth = csrfFrom(page.headers['set-cookie'], page.text);
  });
  after(async () => tw?.close());

  it("a task's page shows its progress and attempts, and cancels it while it runs", async () => {
    const task = await tw.createTask('d.steps', { maxRetries: 1 });
    const running = await waitFor('the second attempt to report progress', async () => {
      const d = await detail(task.id);
      return d.state === 'PROGRESS' && d.progress ? d : null;
    });
    expect(running.progress).to.deep.include({ percent: 40, info: { step: 'upload' } });
    expect(running.attempts.map((a) => [a.attempt, a.outcome, a.errorCode])).to.deep.equal([[0, 'failed', 'TW_TASK_ERROR'], [1, 'running', null]]);
    expect(running.attempts[0].error!.text).to.match(/^Error: the supplier timed out/);
    expect(running.actions).to.deep.equal({ retry: false, cancel: true });
    const cancelled = await post(`tasks/${task.id}/cancel`, { reason: 'stuck' }).expect(200);
    expect(cancelled.body.message).to.match(/is being cancelled: its worker aborts it/);
    const failed = await waitFor('the cancel to land', async () => {
      const d = await detail(task.id);
      return d.state === 'FAILED' ? d : null;
    });
    expect(failed).to.include({ errorCode: 'TW_CANCELLED', cancelRequested: false, final: true });
    expect(failed.attempts.map((a) => a.errorCode)).to.deep.equal(['TW_TASK_ERROR', 'TW_CANCELLED']);
  });

  it('pauses and resumes a queue; the overview says which are paused', async () => {
    const done = await tw.createTask('d.ok', { queue: 'emails' });
    expect((await tw.waitForCompletion(done.id, { timeout: 10 }))?.status).to.equal('COMPLETED');
    const paused = await post('queues/emails/pause').expect(200);
    expect(paused.body).to.include({ paused: true });
    const overview = (await request(app).get(`${MOUNT}/api/overview`).expect(200)).body as OverviewJson;
    expect(overview.queues.find((q) => q.name === 'emails')).to.include({ paused: true });
    expect(overview.queues.find((q) => q.name === 'default')).to.include({ paused: false });
    expect((await post('queues/emails/resume').expect(200)).body).to.include({ paused: false });
    expect((await post('queues/emails/resume').expect(409)).body.error.code).to.equal('TW_NOT_PAUSED');
    expect((await post('queues/not%20a%20queue/pause').expect(400)).body.error.code).to.equal('TW_INVALID_INPUT');
  });
});
