// The dashboard in a real browser (Chromium, headless) over PostgreSQL and Redis, mounted in an
// Express app behind the app's own login, as the README shows, with a worker in the same process:
// the README's walk-through (find a failed task, read every attempt's error, retry it), a running
// task's progress moving live and its cancel, a queue's pause and resume, a task finishing without
// a reload, cancel / bulk retry and a schedule's pause / resume / run now through the buttons, all
// refused when read-only or without the CSRF token; a <script> in task data stays text, it works
// behind a proxy's path prefix and on a phone, and it filters and pages through 10,000 tasks
// (timings printed, never asserted). Takes the docs' screenshots (TW_UPDATE_SCREENSHOTS=1 writes
// them to docs/images/).
import { expect } from 'chai';
import express from 'express';
import { mkdirSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { currentTask, dashboard, TaskRegistry, type DatabaseTask, type ExpressDashboard, type ExpressRequestLike, type TaskWorker } from '../../lib/index';
import { idAt } from '../../lib/ids';
import { normalizeSchedule } from '../../lib/schedule-spec';
import { openDashboardSuite, taskIn, type DashboardSuite } from '../fixtures/dashboard-suite';
import { launchBrowser, type Browser } from '../support/browser';
import { waitFor } from '../support/wait';

const SCREENSHOTS = process.env.TW_UPDATE_SCREENSHOTS === '1'
  ? path.resolve(__dirname, '..', '..', '..', 'docs', 'images')
  : path.join(os.tmpdir(), 'tw-dashboard-screenshots');

/**
 * The browser globals the page callbacks below use: the specs compile without the DOM library, and
 * these callbacks run in the page, not here.
 */
interface PageGlobals {
  document: {
    querySelector(selector: string): { getAttribute(name: string): string | null; replaceChildren(): void } | null;
    querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }>;
    documentElement: { scrollWidth: number };
    body: unknown;
  };
  innerWidth: number;
  scrollTo(x: number, y: number): void;
  getComputedStyle(element: unknown): { backgroundColor: string };
  notReloaded?: boolean;
  pwned?: number;
}

/** Where a running app.media.transcode task waits between its two progress reports: the spec lets it on. */
interface Steps {
  next?: () => void;
}

function presentableRegistry(gate: { isOpen: boolean; waiters: Array<() => void> }, steps: Steps): TaskRegistry {
  const registry = new TaskRegistry();
  registry.register('app.emails.send', (to: string) => ({ delivered: true, to }));
  registry.register('app.reports.build', (month: string) => ({ month, rows: 1284 }));
  registry.register('app.sync.inventory', (sku: string) => {
    // The first attempt cannot connect; later ones reach a supplier that answers 503.
    const error = currentTask().attempt === 0
      ? new Error(`connect ETIMEDOUT 203.0.113.7:443 while syncing ${sku}`)
      : new Error(`supplier API answered 503 Service Unavailable while syncing ${sku}`);
    // The stack an app's own code would leave (the screenshot must not show this machine's paths).
    error.stack = `Error: ${error.message}\n    at SupplierClient.request (dist/app/supplier.js:41:11)\n` +
      '    at async InventorySync.run (dist/app/tasks.js:77:5)\n    at async executeTask (node_modules/task-worker/dist/lib/executor.js:35:58)';
    throw error;
  });
  registry.register('app.media.transcode', async (file: string) => {
    const task = currentTask();
    task.progress(30, { step: 'decode', file });
    await new Promise<void>((resolve) => (steps.next = resolve));
    task.progress(80, { step: 'encode', file });
    // Runs until cancelled: the abort ends it.
    return new Promise((_resolve, reject) => task.signal.addEventListener('abort', () => reject(task.signal.reason as Error)));
  });
  registry.register('app.orders.confirm', () => (gate.isOpen ? 'confirmed' : new Promise<string>((resolve) => gate.waiters.push(() => resolve('confirmed')))));
  return registry;
}

/** An hour of finished tasks per queue (test data written straight into the table), so the charts have a past. */
async function addHistory(tw: TaskWorker): Promise<void> {
  const now = Date.now();
  const columns = 'id, name, args, kwargs, timeout, status, result, error, retry_count, max_retries, queue, priority, run_at, created_at, updated_at, started_at, finished_at, duration';
  const rows: unknown[][] = [];
  const plan: Array<[string, string, number]> = [['default', 'app.reports.build', 40], ['emails', 'app.emails.send', 90], ['reports', 'app.reports.build', 25]];
  for (const [queue, name, n] of plan) {
    for (let i = 0; i < n; i++) {
      const created = now - 3_540_000 + Math.floor((i * 3_480_000) / n) + rows.length;
      const failed = (i * 7) % 23 === 0;
      rows.push([idAt(created).slice(0, 16) + String(rows.length).padStart(6, '2').replace(/[01]/g, '3'), name, '["2026-11"]', '{}', 300,
        failed ? 'FAILED' : 'COMPLETED', failed ? null : '{"ok":true}', failed ? 'Error: upstream timeout\n    at build (dist/app/tasks.js:12:9)' : null,
        0, 0, queue, 0, null, created, created + 300, created + 40, created + 300, 0.26]);
    }
  }
  for (const row of rows) {
    const binds = row.map((_, i) => `$${i + 1}`).join(', ');
    await tw.store.runner.execute(`INSERT INTO tw_tasks (${columns}) VALUES (${binds})`, row);
  }
}

/**
 * Runs a failing task's retries now instead of after the suite's hour of backoff (test data: its
 * run_at is moved), until it has failed for good.
 */
async function failForGood(tw: TaskWorker, id: string): Promise<DatabaseTask> {
  return waitFor(`task ${id} to fail for good`, async () => {
    const task = await tw.getTask(id);
    if (task?.status === 'FAILED' && task.runAt !== null) {
      await tw.store.runner.execute("UPDATE tw_tasks SET run_at = $1 WHERE id = $2 AND status = 'FAILED' AND run_at IS NOT NULL", [Date.now(), id]);
    }
    return task?.status === 'FAILED' && task.runAt === null && task.finishedAt !== null ? task : null;
  });
}

/** The app's own login, as the README puts it before the dashboard: a session cookie names the user. */
const USERS: Record<string, { name: string; isAdmin: boolean }> = { ada: { name: 'ada', isAdmin: true }, bob: { name: 'bob', isAdmin: false } };
type AppRequest = ExpressRequestLike & { user?: { name: string; isAdmin: boolean } };

function requireLogin(req: AppRequest, res: express.Response, next: () => void): void {
  const session = /(?:^|;\s*)session=(\w+)/.exec(req.headers.cookie ?? '')?.[1];
  req.user = session === undefined ? undefined : USERS[session];
  if (!req.user) {
    res.status(401).send('log in first');
    return;
  }
  next();
}

/** A docs screenshot, at the top of the page and without the toasts an earlier action left. */
async function screenshot(page: Page, file: string, fullPage = false): Promise<void> {
  await page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    g.document.querySelector('#toasts')?.replaceChildren();
    // A full-page shot of a scrolled page draws the sticky header where the scroll left it.
    g.scrollTo(0, 0);
  });
  await page.screenshot({ path: path.join(SCREENSHOTS, file), fullPage });
}

/** A POST from the open page with fetch (as a script on it could), with or without the page's CSRF token. */
async function postFromPage(page: Page, url: string, withToken: boolean): Promise<{ status: number; code: string }> {
  return page.evaluate(async ({ url, withToken }) => {
    const config = JSON.parse((globalThis as unknown as PageGlobals).document.querySelector('meta[name="tw-dashboard"]')!.getAttribute('content')!) as { csrfToken: string };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (withToken) headers['x-tw-csrf'] = config.csrfToken;
    const response = await fetch(url, { method: 'POST', headers, body: '{}' });
    return { status: response.status, code: (await response.json() as { error: { code: string } }).error.code };
  }, { url, withToken });
}

/** A reverse proxy that serves the app under /edge (the prefix is stripped before the app sees the request). */
function prefixProxy(target: number): Server {
  return createServer((req, res) => {
    if (!req.url?.startsWith('/edge/')) {
      res.statusCode = 404;
      res.end();
      return;
    }
    const upstream = httpRequest({ host: '127.0.0.1', port: target, path: req.url.slice('/edge'.length), method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('dashboard in a real browser (Chromium, PostgreSQL)', function () {
  this.timeout(120_000);
  const gateState = { isOpen: false, waiters: [] as Array<() => void> };
  const steps: Steps = {};
  let suite: DashboardSuite;
  let tw: TaskWorker;
  let browser: Browser;
  let page: Page;
  let server: Server;
  let proxy: Server;
  let base: string;
  let routers: ExpressDashboard[];
  let failedId: string;
  let flakyId: string;
  let transcodeId: string | undefined;
  const errors: string[] = [];

  before(async function () {
    suite = await openDashboardSuite(this, 'postgres', 'dash_browser', {
      registry: presentableRegistry(gateState, steps), queues: ['default', 'emails', 'reports', 'media'], backoffBase: 3600, concurrency: 4, withRedis: true,
    });
    tw = suite.tw;
    browser = await launchBrowser(this, { viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    const app = express();
    app.use(express.json());
    routers = [
      dashboard(tw, { authorize: (req: AppRequest) => req.user?.isAdmin === true, refreshInterval: 1 }),
      dashboard(tw, { readOnly: true, refreshInterval: 1 }),
    ];
    app.use('/admin/tasks', requireLogin, routers[0]); // the README's mount: the app's login, then the dashboard's authorize
    app.use('/viewer/tasks', routers[1]);
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    proxy = prefixProxy((server.address() as AddressInfo).port);
    await listen(proxy);

    await addHistory(tw);
    const done = await Promise.all([
      tw.createTask('app.emails.send', { args: ['ada@example.com', 'Your receipt'], queue: 'emails' }),
      tw.createTask('app.reports.build', { args: ['2026-11'], queue: 'reports' }),
    ]);
    const failed = await tw.createTask('app.sync.inventory', { args: ['SKU-42'], maxRetries: 0 });
    const flaky = await tw.createTask('app.sync.inventory', { args: ['SKU-19'], maxRetries: 2 });
    const retrying = await tw.createTask('app.sync.inventory', { args: ['SKU-77'], maxRetries: 3 });
    await tw.createTasks([1, 2, 3].map((i) => ({ name: 'app.emails.send', args: [`user${i}@example.com`], queue: 'emails', delay: 600 })));
    await Promise.all([...done.map((t) => taskIn(tw, t.id, 'COMPLETED')), taskIn(tw, failed.id, 'FAILED'), taskIn(tw, retrying.id, 'RETRYING'), failForGood(tw, flaky.id)]);
    failedId = failed.id;
    flakyId = flaky.id;
    await browser.context.addCookies([{ name: 'session', value: 'ada', url: base }]); // logged in to the app as an admin
    page = await browser.context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  after(async function () {
    gateState.isOpen = true;
    gateState.waiters.splice(0).forEach((release) => release());
    steps.next?.();
    if (transcodeId) await tw.cancel(transcodeId).catch(() => undefined); // a failed spec left it running
    routers?.forEach((r) => r.close());
    await browser?.close();
    server?.closeAllConnections();
    proxy?.closeAllConnections();
    await Promise.all([server, proxy].map((s) => s && new Promise((resolve) => s.close(resolve))));
    await tw?.close();
  });

  afterEach(function () {
    const seen = errors.splice(0);
    // A refused request shows in the console as a failed resource load; anything else is a bug in the page.
    const unexpected = seen.filter((e) => !/status of 40[34]/.test(e));
    expect(unexpected, 'errors in the page').to.deep.equal([]);
  });

  it('the README\'s walk-through: at the mount point, behind the app\'s login, a queue\'s failed count leads to the failed task, its page says why it failed in every attempt, Retry runs it again', async function () {
    // Mounted as the README shows: the app's login first (401 without it), then authorize (403 for a non-admin).
    expect((await fetch(`${base}/admin/tasks/`)).status).to.equal(401);
    expect((await fetch(`${base}/admin/tasks/api/overview`, { headers: { cookie: 'session=bob' } })).status).to.equal(403);
    await page.goto(`${base}/admin/tasks`); // the README's address, without the trailing slash
    expect(page.url()).to.equal(`${base}/admin/tasks/`);
    // "Queues": counts per queue and state, the last hour; the Failed count is a link to those tasks.
    const emails = page.locator('table.queues tbody tr', { hasText: 'emails' });
    await emails.locator('td[data-label="Completed"]').filter({ hasText: /\d/ }).waitFor();
    expect(await page.locator('#nav').innerText()).to.equal('Queues\nTasks\nSchedules\nWorkers');
    expect(await emails.locator('td[data-label="Scheduled"]').innerText()).to.equal('3');
    const defaultRow = page.locator('table.queues tbody tr', { hasText: 'default' });
    expect(await defaultRow.locator('td[data-label="Failed"]').innerText()).to.not.equal('0');
    expect(await emails.locator('svg.chart rect').count()).to.be.greaterThan(20);
    expect(await emails.locator('.rate').innerText()).to.match(/^\d+ finished in the last hour · \d+(\.\d)?% failed$/);
    await page.locator('#live.on').waitFor();
    await screenshot(page, 'dashboard-queues.png');
    await defaultRow.locator('td[data-label="Failed"] a').click();
    await page.waitForURL(/#\/tasks\?queue=default&status=FAILED_FINAL$/);
    // "Tasks": each failed task with the first line of its last error.
    const row = page.locator(`tr[data-task="${flakyId}"]`);
    await row.waitFor();
    expect(await page.locator(`tr[data-task="${failedId}"] .error-line`).innerText()).to.equal('Error: connect ETIMEDOUT 203.0.113.7:443 while syncing SKU-42');
    expect(await row.locator('.badge').innerText()).to.match(/failed/);
    expect(await row.locator('.error-line').innerText()).to.equal('Error: supplier API answered 503 Service Unavailable while syncing SKU-19');
    await row.locator('td[data-label="Task"] a').click();
    // "A task": why it failed (the last error with its stack), every attempt's own error, its arguments.
    const error = page.locator('section[data-section="error"] pre');
    await error.waitFor();
    expect(page.url()).to.equal(`${base}/admin/tasks/#/tasks/${flakyId}`);
    expect(await error.innerText()).to.match(/^Error: supplier API answered 503 Service Unavailable while syncing SKU-19\n\s+at /);
    expect(await page.locator('section[data-section="error"] .id').innerText()).to.equal('TW_TASK_ERROR');
    const attempts = page.locator('section[data-section="attempts"] ol.attempts > li');
    await page.locator('section[data-section="attempts"]').waitFor();
    const heads = await attempts.locator('strong').allInnerTexts();
    expect(heads.map((t) => t.replace(/ · ran .*$/, ''))).to.deep.equal(['Attempt 1: failed · TW_TASK_ERROR', 'Attempt 2: failed · TW_TASK_ERROR', 'Attempt 3: failed · TW_TASK_ERROR']);
    expect(await attempts.locator('summary').allInnerTexts()).to.deep.equal([
      'Error: connect ETIMEDOUT 203.0.113.7:443 while syncing SKU-19',
      'Error: supplier API answered 503 Service Unavailable while syncing SKU-19',
      'Error: supplier API answered 503 Service Unavailable while syncing SKU-19',
    ]);
    await attempts.first().locator('summary').click();
    expect(await attempts.first().locator('pre.error').innerText()).to.match(/^Error: connect ETIMEDOUT 203\.0\.113\.7:443 while syncing SKU-19\n\s+at SupplierClient/);
    expect(await page.locator('section[data-section="arguments"] pre').first().innerText()).to.equal('[\n  "SKU-19"\n]');
    expect(await page.locator('section[data-section="timeline"] li').count()).to.equal(4);
    expect(await page.locator('section[data-section="facts"]').innerText()).to.include('Retries\n2 of 2');
    expect(await page.locator('h1').innerText()).to.equal('app.sync.inventory');
    await screenshot(page, 'dashboard-task.png', true);
    // "Retry": the toast says what changed, and a worker runs it again at once.
    const before = await tw.getTask(flakyId);
    await page.locator('button[data-action="retry"]').click();
    await page.locator('.toast', { hasText: `Task ${flakyId} (app.sync.inventory) is PENDING again, with its retries reset: a worker will run it now.` }).waitFor();
    await waitFor('the retried task to run again', async () => ((await tw.getTask(flakyId))!.finishedAt?.getTime() ?? 0) > before!.finishedAt!.getTime());
    await page.locator('h1 + .badge', { hasText: 'retrying' }).waitFor(); // it failed again; its next retry is an hour away
  });

  it('a task finishing updates the open page without a reload', async function () {
    const task = await tw.createTask('app.orders.confirm', { args: ['order-1001'] });
    await taskIn(tw, task.id, 'PROGRESS');
    await page.goto(`${base}/admin/tasks/#/tasks/${task.id}`);
    await page.locator('.badge', { hasText: 'running' }).waitFor();
    await page.evaluate(() => ((globalThis as unknown as PageGlobals).notReloaded = true));
    gateState.isOpen = true;
    gateState.waiters.splice(0).forEach((release) => release());
    await page.locator('.badge', { hasText: 'completed' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('section[data-section="result"] pre').innerText()).to.equal('"confirmed"');
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).notReloaded)).to.equal(true);
    gateState.isOpen = false;
  });

  it('a running task\'s progress shows and moves live; Cancel on its page stops it and shows the outcome; refused when read-only or without the CSRF token', async function () {
    const task = await tw.createTask('app.media.transcode', { args: ['keynote.mp4'], queue: 'media' });
    transcodeId = task.id;
    await page.goto(`${base}/admin/tasks/#/tasks/${task.id}`);
    const progress = page.locator('section[data-section="progress"]');
    await progress.locator('progress[value="30"]').waitFor();
    expect(await progress.innerText()).to.match(/^Progress\n\s*30 % reported /);
    expect(await progress.locator('pre').innerText()).to.equal('{\n  "step": "decode",\n  "file": "keynote.mp4"\n}');
    expect(await page.locator('h1 + .badge').innerText()).to.match(/running/);
    await page.evaluate(() => ((globalThis as unknown as PageGlobals).notReloaded = true));
    (await waitFor('the task to wait for its next step', () => steps.next))();
    await progress.locator('progress[value="80"]').waitFor({ timeout: 10_000 });
    expect(await progress.locator('pre').innerText()).to.include('"step": "encode"');
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).notReloaded)).to.equal(true);

    // Refused: a read-only dashboard shows the progress without the button and refuses the POST even with the token;
    // the full one refuses it without the token.
    const viewer = await browser.context.newPage();
    try {
      await viewer.goto(`${base}/viewer/tasks/#/tasks/${task.id}`);
      await viewer.locator('section[data-section="progress"] progress[value="80"]').waitFor();
      expect(await viewer.locator('button[data-action]').count()).to.equal(0);
      expect(await postFromPage(viewer, `api/tasks/${task.id}/cancel`, true)).to.deep.equal({ status: 403, code: 'READ_ONLY' });
    } finally {
      await viewer.close();
    }
    expect(await postFromPage(page, `api/tasks/${task.id}/cancel`, false)).to.deep.equal({ status: 403, code: 'CSRF' });
    expect(await tw.getTask(task.id)).to.include({ status: 'PROGRESS', cancelRequested: null });

    await page.locator('button[data-action="cancel"]').click();
    expect(await page.locator('dialog p').innerText()).to.equal(`app.media.transcode (${task.id}) is running: its worker aborts it (its thread is ended ` +
      'if it does not stop within a few seconds), and it becomes FAILED for good with a CancelledError.');
    await page.locator('dialog button[data-confirm]').click();
    await page.locator('.toast', { hasText: `Task ${task.id} (app.media.transcode) is being cancelled` }).waitFor();
    // The outcome, on the open page: failed for good, the CancelledError, the cancelled attempt.
    await page.locator('h1 + .badge', { hasText: 'failed' }).waitFor({ timeout: 10_000 });
    await page.locator('section[data-section="error"] .id', { hasText: 'TW_CANCELLED' }).waitFor();
    expect(await page.locator('section[data-section="error"] pre').innerText()).to.match(/^CancelledError: cancelled by an operator/);
    const cancelledAttempts = await page.locator('section[data-section="attempts"] strong').allInnerTexts();
    expect(cancelledAttempts).to.have.length(1);
    expect(cancelledAttempts[0]).to.match(/^Attempt 1: failed · TW_CANCELLED · ran /);
    expect(await page.locator('button[data-action="cancel"]').count()).to.equal(0);
    expect(await tw.getTask(task.id)).to.include({ status: 'FAILED', errorCode: 'TW_CANCELLED', runAt: null });
    transcodeId = undefined;
  });

  it('a queue pauses and resumes through its buttons (a task made meanwhile waits, then runs); refused when read-only or without the CSRF token', async function () {
    await page.goto(`${base}/admin/tasks/#/queues`);
    const reports = page.locator('table.queues tbody tr', { hasText: 'reports' });
    await reports.locator('button[data-action="pause-queue"]').click();
    expect(await page.locator('dialog p').innerText()).to.match(/^No worker claims the tasks of reports until it is resumed/);
    await page.locator('dialog button[data-confirm]').click();
    await page.locator('.toast', { hasText: 'Queue reports is paused: no worker claims its tasks; running ones finish.' }).waitFor();
    await reports.locator('[data-paused]').waitFor();
    expect((await tw.admin.queues()).find((q) => q.name === 'reports')).to.include({ paused: true });
    const waiting = await tw.createTask('app.reports.build', { args: ['2026-12'], queue: 'reports' });
    await reports.locator('td[data-label="Ready"]', { hasText: '1' }).waitFor(); // shown live; not claimed

    const viewer = await browser.context.newPage();
    try {
      await viewer.goto(`${base}/viewer/tasks/#/queues`);
      await viewer.locator('table.queues tbody tr', { hasText: 'reports' }).locator('[data-paused]').waitFor();
      expect(await viewer.locator('button[data-action]').count()).to.equal(0);
      expect(await postFromPage(viewer, 'api/queues/reports/resume', true)).to.deep.equal({ status: 403, code: 'READ_ONLY' });
    } finally {
      await viewer.close();
    }
    expect(await postFromPage(page, 'api/queues/reports/resume', false)).to.deep.equal({ status: 403, code: 'CSRF' });
    expect((await tw.admin.queues()).find((q) => q.name === 'reports')).to.include({ paused: true });
    expect((await tw.getTask(waiting.id))!.status).to.equal('PENDING');

    await reports.locator('button[data-action="resume-queue"]').click();
    await page.locator('.toast', { hasText: 'Queue reports runs again.' }).waitFor();
    await taskIn(tw, waiting.id, 'COMPLETED');
    await reports.locator('button[data-action="pause-queue"]').waitFor();
    expect((await tw.admin.queues()).find((q) => q.name === 'reports')).to.include({ paused: false });
  });

  it('cancel of a waiting task and a queue\'s bulk retry work through the buttons, with a confirmation, and say what changed', async function () {
    const later = await tw.createTask('app.emails.send', { args: ['late@example.com'], queue: 'emails', delay: 3600 });
    await page.goto(`${base}/admin/tasks/#/tasks/${later.id}`);
    await page.locator('button[data-action="cancel"]').click();
    await page.locator('dialog button[data-confirm]').click();
    await page.locator('.toast', { hasText: 'is cancelled' }).waitFor();
    await page.locator('h1 + .badge', { hasText: 'failed' }).waitFor();
    expect((await tw.getTask(later.id))!.error).to.equal('CancelledError: cancelled by an operator');

    await taskIn(tw, failedId, 'FAILED');
    await page.goto(`${base}/admin/tasks/#/queues`);
    await page.locator('table.queues tr', { hasText: 'default' }).locator('button[data-action="retry-queue"]').click();
    const dialog = page.locator('dialog');
    const question = await dialog.locator('p').innerText();
    const count = Number(/^(\d+) failed tasks? of queue default/.exec(question)?.[1]);
    expect(count, question).to.be.at.least(1);
    await dialog.locator('button[data-confirm]').click();
    await page.locator('.toast', { hasText: `${count} failed task${count === 1 ? '' : 's'} retried` }).waitFor();
  });

  it('read-only hides every action and the server refuses a POST even with the token; without the token a POST is refused too', async function () {
    await taskIn(tw, failedId, 'FAILED');
    await page.goto(`${base}/viewer/tasks/#/tasks/${failedId}`);
    await page.locator('section[data-section="error"]').waitFor();
    expect(await page.locator('button[data-action]').count()).to.equal(0);
    expect(await page.locator('#nav').innerText()).to.include('read-only');
    expect(await postFromPage(page, `api/tasks/${failedId}/retry`, true)).to.deep.equal({ status: 403, code: 'READ_ONLY' });
    await page.goto(`${base}/admin/tasks/#/tasks/${failedId}`);
    await page.locator('button[data-action="retry"]').waitFor();
    expect(await postFromPage(page, `api/tasks/${failedId}/retry`, false)).to.deep.equal({ status: 403, code: 'CSRF' });
    expect((await tw.getTask(failedId))!.status).to.equal('FAILED');
  });

  it('the schedules page shows each schedule\'s definition, next and last fire and last task, live; pause, resume and run now work through the buttons', async function () {
    // One of each source: code and config (as a worker start syncs them) and run time; fire times far from now.
    await tw.schedules.sync(tw.schedules.plan(
      { code: [normalizeSchedule('inventory-sync', { every: '6h', task: 'app.sync.inventory', args: ['SKU-42'], maxRetries: 0 }, 'spec')], tasks: ['app.sync.inventory'] },
      [normalizeSchedule('nightly-report', { cron: '0 3 * * *', task: 'app.reports.build', args: ['2026-11'], timezone: 'Europe/Berlin', queue: 'reports' }, 'spec')]));
    await tw.schedules.upsert('weekly-digest', { cron: '0 8 * * 1', task: 'app.emails.send', args: ['team@example.com', 'Weekly digest'], queue: 'emails', catchUp: 'none' });
    await tw.schedules.upsert('reminders', { every: '1d', task: 'app.emails.send', args: ['ops@example.com', 'Reminders'], queue: 'emails', catchUp: '6h' });
    await tw.schedules.pause('weekly-digest');
    const [report, sync] = await Promise.all([tw.schedules.runNow('nightly-report'), tw.schedules.runNow('inventory-sync')]);
    await Promise.all([taskIn(tw, report.id, 'COMPLETED'), taskIn(tw, sync.id, 'FAILED')]);

    await page.goto(`${base}/admin/tasks/#/schedules`);
    const nightly = page.locator('tr[data-schedule="nightly-report"]');
    await nightly.locator('td[data-label="Last task"] .badge', { hasText: 'completed' }).waitFor();
    expect(await nightly.locator('td[data-label="Schedule"]').innerText()).to.equal('nightly-report\ndeclared in the configuration');
    expect(await nightly.locator('td[data-label="When"]').innerText()).to.equal('0 3 * * *\nEurope/Berlin');
    expect(await nightly.locator('td[data-label="Task"]').innerText()).to.equal('app.reports.build\n["2026-11"]\nqueue reports');
    expect(await nightly.locator('td[data-label="Next fire"]').innerText()).to.match(/^\d{4}-\d\d-\d\d \d\d:00:00\nin \d+ (h|min)/);
    expect(await nightly.locator('td[data-label="Last fire"]').innerText()).to.match(/\d s ago|now/);
    expect(await nightly.locator('td[data-label="Last task"] a').getAttribute('href')).to.equal(`#/tasks/${report.id}`);
    const inventory = page.locator('tr[data-schedule="inventory-sync"]');
    expect(await inventory.locator('td[data-label="Last task"] .badge').innerText()).to.match(/failed/);
    expect(await inventory.locator('td[data-label="Schedule"] .sub').innerText()).to.equal('declared in code');
    expect(await inventory.locator('td[data-label="When"]').innerText()).to.equal('every 6h');
    const digest = page.locator('tr[data-schedule="weekly-digest"]');
    expect(await digest.locator('td[data-label="State"]').innerText()).to.match(/paused/);
    expect(await digest.locator('td[data-label="Next fire"]').innerText()).to.equal('paused');
    expect(await digest.locator('td[data-label="Last task"]').innerText()).to.equal('none yet');
    expect(await digest.locator('td[data-label="Catch-up"]').innerText()).to.equal('none');
    expect(await digest.locator('button[data-action="resume"]').count()).to.equal(1);
    await screenshot(page, 'dashboard-schedules.png');

    // Live: a task made from another place shows as the last fire without a reload.
    await page.evaluate(() => ((globalThis as unknown as PageGlobals).notReloaded = true));
    const reminder = await tw.schedules.runNow('reminders');
    await page.locator(`tr[data-schedule="reminders"] td[data-label="Last task"] a[href="#/tasks/${reminder.id}"]`).waitFor({ timeout: 10_000 });
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).notReloaded)).to.equal(true);

    // Pause and resume through the buttons: each says what changed, and the row and the database follow.
    await nightly.locator('button[data-action="pause"]').click();
    await page.locator('.toast', { hasText: 'Schedule nightly-report (app.reports.build) is paused' }).waitFor();
    await nightly.locator('td[data-label="Next fire"]', { hasText: 'paused' }).waitFor();
    expect((await tw.admin.schedules()).find((s) => s.key === 'nightly-report')!.paused).to.equal(true);
    await nightly.locator('button[data-action="resume"]').click();
    await page.locator('.toast', { hasText: 'Schedule nightly-report (app.reports.build) is running again: next fire' }).waitFor();
    await nightly.locator('button[data-action="pause"]').waitFor();
    expect((await tw.admin.schedules()).find((s) => s.key === 'nightly-report')!.paused).to.equal(false);

    // Run now asks first, then makes one task; the paused schedule stays paused.
    await digest.locator('button[data-action="run-now"]').click();
    await page.locator('dialog button[data-confirm]').click();
    await page.locator('.toast', { hasText: 'created for schedule weekly-digest' }).waitFor();
    const made = (await tw.admin.schedules()).find((s) => s.key === 'weekly-digest')!;
    expect(made).to.include({ paused: true });
    await digest.locator(`td[data-label="Last task"] a[href="#/tasks/${made.lastTaskId}"]`).waitFor();

    // A scheduled task's page names its schedule and fire time, and links back to the schedule's row.
    await nightly.locator('td[data-label="Last task"] a').click();
    const origin = page.locator('section[data-section="origin"]');
    await origin.waitFor();
    expect(await origin.innerText()).to.match(/Schedule\nnightly-report\nFire time\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    await origin.locator('a', { hasText: 'nightly-report' }).click();
    await page.locator('tr.selected[data-schedule="nightly-report"]').waitFor();
  });

  it('read-only: the schedules page shows the schedules without any button, and the server refuses a pause even with the token', async function () {
    await page.goto(`${base}/viewer/tasks/#/schedules`);
    await page.locator('tr[data-schedule="nightly-report"]').waitFor();
    expect(await page.locator('tr[data-schedule]').count()).to.equal(4);
    expect(await page.locator('button[data-action]').count()).to.equal(0);
    const refused = await page.evaluate(async () => {
      const config = JSON.parse((globalThis as unknown as PageGlobals).document.querySelector('meta[name="tw-dashboard"]')!.getAttribute('content')!) as { csrfToken: string };
      const response = await fetch('api/schedules/nightly-report/pause', { method: 'POST', headers: { 'content-type': 'application/json', 'x-tw-csrf': config.csrfToken }, body: '{}' });
      return { status: response.status, body: await response.json() as { error: { code: string } } };
    });
    expect(refused.status).to.equal(403);
    expect(refused.body.error.code).to.equal('READ_ONLY');
    expect((await tw.admin.schedules()).find((s) => s.key === 'nightly-report')!.paused).to.equal(false);
  });

  it('task data is text: a <script> in an argument, a name and an error is shown, never run', async function () {
    const payload = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">';
    const now = Date.now();
    await tw.store.runner.execute('INSERT INTO tw_tasks (id, name, args, kwargs, timeout, status, error, retry_count, queue, priority, created_at, updated_at, finished_at) ' +
      "VALUES ($1, $2, $3, '{}', 300, 'FAILED', $4, 0, 'xss', 0, $5, $5, $5)",
    [idAt(now).slice(0, 16) + 'XSSxss', `app.${payload}`, JSON.stringify([payload]), `Error: ${payload}\n    at <anonymous>`, now]);
    await page.goto(`${base}/admin/tasks/#/tasks?queue=xss`);
    await page.locator('tr[data-task] .error-line').waitFor();
    expect(await page.locator('tr[data-task] a').first().innerText()).to.equal(`app.${payload}`);
    await page.locator('tr[data-task] a').first().click();
    await page.locator('section[data-section="error"]').waitFor();
    expect(await page.locator('h1').innerText()).to.equal(`app.${payload}`);
    expect(await page.locator('section[data-section="error"] pre').innerText()).to.include(payload);
    expect(await page.locator('section[data-section="arguments"] pre').innerText()).to.include(JSON.stringify(payload).slice(1, -1));
    expect(await page.locator('main img, main script').count()).to.equal(0);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).pwned)).to.equal(undefined);
  });

  it('works behind a reverse proxy that adds a path prefix, and on a phone in dark mode', async function () {
    const proxied = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/edge/admin/tasks`;
    const phone = await browser.context.newPage();
    phone.on('pageerror', (error) => errors.push(error.message));
    try {
      await phone.setViewportSize({ width: 390, height: 844 });
      await phone.emulateMedia({ colorScheme: 'dark' });
      await phone.goto(proxied); // no trailing slash: redirected relative to it, inside the prefix
      expect(phone.url()).to.equal(`${proxied}/`);
      for (const route of ['#/queues', '#/tasks', `#/tasks/${failedId}`, '#/schedules', '#/workers']) {
        await phone.goto(`${proxied}/${route}`);
        await phone.locator('main h1').waitFor();
        await phone.locator('main table, main .empty, main section').first().waitFor();
        const width = await phone.evaluate(() => {
          const g = globalThis as unknown as PageGlobals;
          return [g.document.documentElement.scrollWidth, g.innerWidth];
        });
        expect(width[0], `${route} fits the phone's width`).to.be.at.most(width[1]);
      }
      await phone.locator('#live.on').waitFor();
      const background = await phone.evaluate(() => {
        const g = globalThis as unknown as PageGlobals;
        return g.getComputedStyle(g.document.body).backgroundColor;
      });
      expect(background).to.equal('rgb(17, 20, 24)');
    } finally {
      await phone.close();
    }
  });

  it('the workers page lists this process\'s worker, live, with the task it holds', async function () {
    const task = await tw.createTask('app.orders.confirm', { args: ['order-1002'] });
    await taskIn(tw, task.id, 'PROGRESS');
    await page.goto(`${base}/admin/tasks/#/workers`);
    const row = page.locator('tr[data-worker]', { hasText: `pid ${process.pid}` });
    await row.locator('a', { hasText: 'app.orders.confirm' }).waitFor();
    expect(await row.locator('.badge').innerText()).to.match(/live/);
    expect(await row.locator('td[data-label="Queues"]').innerText()).to.equal('default, emails, reports, media');
    gateState.isOpen = true;
    gateState.waiters.splice(0).forEach((release) => release());
    await taskIn(tw, task.id, 'COMPLETED');
    gateState.isOpen = false;
  });

  it('filters and pages through 10,000 tasks (timings printed, not asserted)', async function () {
    const names = ['app.emails.send', 'app.reports.build', 'app.sync.inventory', 'app.orders.confirm'];
    for (let i = 0; i < 10; i++) {
      await tw.createTasks(Array.from({ length: 1000 }, (_, j) => ({ name: names[(i * 1000 + j) % 4], args: [i * 1000 + j], queue: 'bulk' })));
    }
    await tw.sequelize.query('ANALYZE tw_tasks');
    const timings: Array<[string, number, number]> = [];
    const settle = async (what: string, action: () => Promise<unknown>) => {
      const started = performance.now();
      const answered = page.waitForResponse((r) => r.url().includes('/api/tasks?'));
      await action();
      const response = await answered;
      const body = await response.json() as { queryMs: number };
      await page.locator('tr[data-task]').first().waitFor();
      timings.push([what, Math.round(performance.now() - started), body.queryMs]);
    };
    const ids = async () => page.locator('tr[data-task]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-task')!));

    await settle('first page, queue bulk', () => page.goto(`${base}/admin/tasks/#/tasks?queue=bulk`));
    const seen: string[] = [...(await ids())];
    for (let i = 0; i < 3; i++) {
      await settle(`older page ${i + 2}`, () => page.locator('a[rel="next"]').click());
      await page.waitForFunction((last) => !(globalThis as unknown as PageGlobals).document.querySelector(`tr[data-task="${last}"]`), seen[seen.length - 1]);
      seen.push(...(await ids()));
    }
    expect(seen).to.have.length(200);
    expect(new Set(seen).size, 'no task twice').to.equal(200);
    expect([...seen].sort().reverse(), 'newest first across pages').to.deep.equal(seen);
    await settle('filter: name', async () => {
      await page.locator('input[name="name"]').fill('app.sync.inventory');
      await page.locator('form[role="search"] button[type="submit"]').click();
    });
    await page.waitForURL(/name=app\.sync\.inventory/);
    await page.waitForFunction(() => Array.from((globalThis as unknown as PageGlobals).document.querySelectorAll('tr[data-task] td[data-label="Task"] a'))
      .every((a) => a.textContent === 'app.sync.inventory'));
    await settle('filter: status PENDING', async () => {
      await page.locator('select[name="status"]').selectOption('PENDING');
      await page.locator('form[role="search"] button[type="submit"]').click();
    });
    await page.waitForURL(/status=PENDING/);
    expect(await page.locator('tr[data-task]').count()).to.equal(50);
    await settle('filter: created in the last minute', () => page.goto(`${base}/admin/tasks/#/tasks?queue=bulk&from=${encodeURIComponent(new Date(Date.now() - 60_000 - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16))}`));
    for (const [what, ms, query] of timings) console.log(`      ${what}: ${ms} ms in the browser, query ${query} ms`);
  });
});
