// Seeing and steering running work on every database, with in-process workers (a second TaskWorker
// stands for another process: it shares only the database): progress throttled, fenced and shown;
// every attempt kept across an error, a timeout, a lost worker and a success, bounded; PermanentError;
// cancelling running and prefetched tasks (in process, and from "another process" at the heartbeat);
// pausing a queue (within a poll, durable, running tasks finish); metrics scraped and parsed.
import { expect } from 'chai';
import express from 'express';
import Koa from 'koa';
import request from 'supertest';
import {
  CancelledError, currentTask, koaMetricsHandler, metricsHandler, PermanentError, TaskRegistry, TaskWorker, type DatabaseTask,
  type TaskProgress, type Worker,
} from '../../lib/index';
import { ATTEMPTS_KEPT } from '../../lib/store/attempt-statements';
import { clearTasks, openSuite } from '../support/harness';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text';
import { ALL_DIALECTS } from '../support/services';
import { waitFor } from '../support/wait';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Tasks the specs claim and settle through the store, as a worker of their own. */
const STORE_ONLY = 'store-only';

/** Handlers, and what the specs learn from them. */
function observedRegistry() {
  const registry = new TaskRegistry();
  const seen = { ran: new Map<string, number>(), abortReasons: new Map<string, unknown>(), held: new Map<string, () => void>() };
  registry.register('o.work', (x: unknown) => {
    seen.ran.set(currentTask().id, (seen.ran.get(currentTask().id) ?? 0) + 1);
    return x ?? null;
  });
  // `reports` progress reports in bursts of 1,000, about 10,000 a second, then 100 %.
  registry.register('o.progress', async (reports: number) => {
    const task = currentTask();
    for (let i = 0; i < reports; i++) {
      task.progress((i * 100) / reports, { step: i });
      if (i % 1000 === 999) await sleep(100);
    }
    task.progress(100, { done: true });
    return reports;
  });
  // One attempt per entry: 'throw', 'hang' (past its timeout) or 'ok'.
  registry.register('o.plan', async (plan: string[]) => {
    const step = plan[currentTask().attempt];
    if (step === 'throw') throw new Error(`planned failure of attempt ${currentTask().attempt}`);
    if (step === 'hang') await sleep(5000);
    return step;
  });
  registry.register('o.permanent', () => {
    throw new PermanentError('the order does not exist');
  });
  registry.register('o.waitAbort', () => {
    const { id, signal } = currentTask();
    currentTask().progress(5);
    return new Promise((_resolve, reject) => signal.addEventListener('abort', () => {
      seen.abortReasons.set(id, signal.reason);
      reject(signal.reason as Error);
    }));
  });
  // Returns only when the spec releases it; ignores its signal.
  registry.register('o.held', () => new Promise((resolve) => seen.held.set(currentTask().id, () => resolve('released'))));
  return { registry, seen };
}

for (const dialect of ALL_DIALECTS) {
  describe(`observability [${dialect}]`, function () {
    let tw: TaskWorker;
    let worker: Worker;
    /** Another process, as far as the worker can tell: same database, its own (in-memory) notifier. */
    let other: TaskWorker;
    const { registry, seen } = observedRegistry();
    let progressWrites = 0;
    let pausedReads: string[][] = [];

    async function final(id: string, on: TaskWorker = tw): Promise<DatabaseTask> {
      const task = await on.waitForCompletion(id, { timeout: 15, attempts: true });
      expect(task, `task ${id} final`).to.not.equal(null);
      return task!;
    }

    before(async function () {
      // Lease 1.5 s: a heartbeat every 0.5 s, the stale sweep every 0.75 s.
      tw = await openSuite(this, dialect, 'observe', {
        registry, concurrency: 4, retry: 0, backoffBase: 0.05, backoffCap: 0.1, pollInterval: 0.2, leaseTime: 1.5,
      });
      const write = tw.store.progress.write.bind(tw.store.progress);
      tw.store.progress.write = (...args) => {
        progressWrites++;
        return write(...args);
      };
      const paused = tw.store.queues.paused.bind(tw.store.queues);
      tw.store.queues.paused = async () => {
        const names = await paused();
        pausedReads.push(names);
        return names;
      };
      void tw.metrics; // counting starts now
      worker = await tw.startWorker();
      other = new TaskWorker({ databaseUrl: tw.config.databaseUrl, redisUrl: null, registry, logLevel: 'silent' });
    });
    after(async () => {
      for (const release of seen.held.values()) release();
      await other?.close();
      await tw?.close();
    });

    it('progress: 10,000 reports a second make a few fenced writes; getTask shows it while running, wait shows the last one', async function () {
      progressWrites = 0;
      const task = await tw.createTask('o.progress', { args: [12_000] });
      const running = await waitFor('progress visible while running', async () => {
        const t = await tw.getTask(task.id);
        return t?.status === 'PROGRESS' && t.progress ? t : null;
      }, 10_000, 50);
      expect(running.progress!.percent).to.be.within(0, 100);
      expect(running.progress!.info).to.have.property('step');
      expect(running.progress!.at).to.be.instanceOf(Date);
      const done = await final(task.id);
      expect(done.status).to.equal('COMPLETED');
      // The last report is written with the completion itself.
      expect(done.progress).to.include({ percent: 100 });
      expect(done.progress!.info).to.deep.equal({ done: true });
      // About 1.2 s of reports: at most one write per 500 ms (and the outcome), never one per report.
      expect(progressWrites).to.be.within(1, 4);
    });

    it('progress writes are fenced: another worker, another attempt or a finished task change nothing', async () => {
      const task = await tw.createTask('o.work', { delay: 3600, queue: STORE_ONLY });
      const now = Date.now() + 3_700_000;
      const [claimed] = await tw.store.claim({ from: 'PENDING', limit: 1, now, workerId: 'w-spec', leaseUntil: now + 60_000, defaultMaxRetries: 0, queues: [STORE_ONLY] });
      expect(claimed.id).to.equal(task.id);
      const report = (percent: number) => JSON.stringify({ percent, at: Date.now() });
      expect(await tw.store.progress.write('intruder', [{ id: task.id, attempt: 0, progress: report(10) }], Date.now())).to.equal(0);
      expect(await tw.store.progress.write('w-spec', [{ id: task.id, attempt: 1, progress: report(20) }], Date.now())).to.equal(0);
      expect(await tw.store.progress.write('w-spec', [{ id: task.id, attempt: 0, progress: report(30) }], Date.now())).to.equal(1);
      expect((await tw.getTask(task.id))!.progress!.percent).to.equal(30);
      await tw.store.complete('w-spec', [{ id: task.id, attempt: 0, result: 'null', startedAt: now, finishedAt: now, duration: 0 }]);
      expect(await tw.store.progress.write('w-spec', [{ id: task.id, attempt: 0, progress: report(40) }], Date.now())).to.equal(0);
      expect((await tw.getTask(task.id))!.progress!.percent).to.equal(30);
    });

    it('keeps every attempt: an error, a timeout and a success, each with its code, worker and times', async () => {
      const task = await tw.createTask('o.plan', { args: [['throw', 'hang', 'ok']], maxRetries: 2, timeout: 0.3 });
      const done = await final(task.id);
      expect(done.status).to.equal('COMPLETED');
      expect(done.errorCode).to.equal(null);
      expect(done.lastWorker).to.equal(worker.id);
      const attempts = done.attempts!;
      expect(attempts.map((a) => [a.attempt, a.outcome, a.errorCode])).to.deep.equal([
        [0, 'failed', 'TW_TASK_ERROR'], [1, 'failed', 'TW_TIMEOUT'], [2, 'completed', null],
      ]);
      expect(attempts[0].error).to.match(/^Error: planned failure of attempt 0\n\s+at /);
      expect(attempts[1].error).to.match(/^TaskTimeoutError: task timed out after 0.3 s/);
      for (const a of attempts) {
        expect(a.worker).to.equal(worker.id);
        expect(a.finishedAt!.getTime()).to.be.at.least(a.startedAt!.getTime());
        expect(a.duration).to.be.a('number');
      }
      expect(attempts[1].startedAt!.getTime()).to.be.at.least(attempts[0].finishedAt!.getTime());
      // Not loaded unless asked: no extra query for a plain read.
      expect((await tw.getTask(task.id))!.attempts).to.equal(undefined);
    });

    it("records a lost worker's attempt (TW_WORKER_LOST, its id) when the sweep recovers its task", async () => {
      const task = await tw.createTask('o.work', { args: ['second'], delay: 3600, maxRetries: 1, queue: STORE_ONLY });
      const now = Date.now() + 3_700_000;
      // Claimed by a worker that died at once: its lease has already run out.
      await tw.store.claim({ from: 'PENDING', limit: 1, now, workerId: 'ghost:1:dead', leaseUntil: Date.now() - 1, defaultMaxRetries: 1, queues: [STORE_ONLY] });
      const done = await final(task.id);
      expect(done.status).to.equal('COMPLETED');
      expect(done.attempts!.map((a) => [a.outcome, a.errorCode, a.worker])).to.deep.equal([
        ['failed', 'TW_WORKER_LOST', 'ghost:1:dead'], ['completed', null, worker.id],
      ]);
      expect(done.attempts![0].error).to.match(/^WorkerLostError: worker ghost:1:dead stopped renewing its lease/);
    });

    it(`keeps the last ${ATTEMPTS_KEPT} failed attempts, and purge deletes them with their task`, async () => {
      const task = await tw.createTask('o.work', { delay: 3600, maxRetries: 40, queue: STORE_ONLY });
      const later = Date.now() + 3_700_000;
      for (let attempt = 0; attempt < 25; attempt++) {
        const now = later + attempt;
        const [claimed] = await tw.store.claim({
          from: attempt === 0 ? 'PENDING' : 'FAILED', limit: 1, now, workerId: 'w-spec', leaseUntil: now + 60_000, defaultMaxRetries: 0, queues: [STORE_ONLY],
        });
        expect(claimed?.retryCount).to.equal(attempt);
        const last = attempt === 24;
        expect(await tw.store.fail('w-spec', {
          id: task.id, attempt, error: `Error: attempt ${attempt}`, startedAt: now, finishedAt: now, duration: 0, retryAt: last ? null : now + 1,
        })).to.equal(true);
      }
      const shown = await tw.admin.show(task.id);
      expect(shown.attempts!.map((a) => a.attempt)).to.deep.equal(Array.from({ length: ATTEMPTS_KEPT }, (_, i) => i + 5));
      expect(shown.attempts![ATTEMPTS_KEPT - 1].error).to.equal('Error: attempt 24');
      await tw.sequelize.query(`UPDATE tw_tasks SET finished_at = 1 WHERE id = '${task.id}'`);
      await tw.admin.purge(1000);
      expect(await tw.store.attempts.list(task.id)).to.deep.equal([]);
    });

    it('PermanentError fails the task for good at once, whatever retries it has left', async () => {
      const task = await tw.createTask('o.permanent', { maxRetries: 3 });
      const failed = await final(task.id);
      expect(failed.status).to.equal('FAILED');
      expect(failed.isFinal).to.equal(true);
      expect(failed.retryCount).to.equal(0);
      expect(failed.errorCode).to.equal('TW_PERMANENT');
      expect(failed.error).to.match(/^PermanentError: the order does not exist\n\s+at /);
      expect(failed.attempts!.map((a) => a.errorCode)).to.deep.equal(['TW_PERMANENT']);
    });

    it('cancel in process: a running inline task that honours its signal ends at once, FAILED for good with a CancelledError', async () => {
      const task = await tw.createTask('o.waitAbort', { maxRetries: 2 });
      await waitFor('the handler to run', async () => (await tw.getTask(task.id))?.progress);
      await tw.cancel(task.id, 'customer left');
      const failed = await final(task.id);
      expect(failed).to.include({ status: 'FAILED', errorCode: 'TW_CANCELLED', error: 'CancelledError: cancelled by an operator: customer left' });
      expect(failed.isFinal).to.equal(true);
      expect(failed.progress!.percent).to.equal(5); // what it had reported stays
      expect(seen.abortReasons.get(task.id)).to.be.instanceOf(CancelledError).and.include({ reason: 'customer left' });
      expect(failed.attempts!.map((a) => [a.outcome, a.errorCode])).to.deep.equal([['failed', 'TW_CANCELLED']]);
    });

    it('cancel from another process without Redis: the worker finds it at its next heartbeat', async () => {
      const task = await tw.createTask('o.waitAbort');
      await waitFor('the handler to run', async () => (await tw.getTask(task.id))?.progress);
      const requested = await other.cancel(task.id);
      expect(requested.status).to.equal('PROGRESS');
      const failed = await final(task.id);
      expect(failed).to.include({ status: 'FAILED', errorCode: 'TW_CANCELLED' });
      // A heartbeat comes every 0.5 s here; the run ended well before the lease (1.5 s) could matter.
      expect(failed.finishedAt!.getTime() - requested.updatedAt.getTime()).to.be.below(1500);
    });

    it('cancel of a task claimed ahead (prefetched): it never starts', async function () {
      const pre = new TaskWorker({ databaseUrl: tw.config.databaseUrl, redisUrl: null, registry, logLevel: 'silent', pool: 'inline',
        concurrency: 1, prefetch: 2, queues: ['pre'], pollInterval: 0.2 });
      try {
        await pre.startWorker();
        const held = await pre.createTask('o.held', { queue: 'pre' });
        await waitFor('the held task to run', () => seen.held.has(held.id));
        const waiting = await pre.createTask('o.work', { queue: 'pre' });
        await waitFor('the second task to be claimed ahead', async () => (await pre.getTask(waiting.id))?.status === 'PROGRESS');
        await pre.cancel(waiting.id);
        const failed = await final(waiting.id, pre);
        expect(failed).to.include({ status: 'FAILED', errorCode: 'TW_CANCELLED' });
        expect(seen.ran.has(waiting.id)).to.equal(false);
        expect((await pre.getTask(held.id))!.status).to.equal('PROGRESS');
        seen.held.get(held.id)!();
        expect((await final(held.id, pre)).status).to.equal('COMPLETED');
      } finally {
        await pre.close();
      }
    });

    it('pause: workers stop claiming the queue within a poll; running tasks finish; creating still works; resume; it survives a restart', async () => {
      const running = await tw.createTask('o.held', { queue: 'billing' });
      await waitFor('the billing task to run', () => seen.held.has(running.id));
      pausedReads = [];
      const state = await other.admin.pauseQueue('billing');
      expect(state).to.include({ name: 'billing', paused: true });
      await waitFor("the worker's next poll to read the pause", () => pausedReads.some((names) => names.includes('billing')));
      const waiting = await tw.createTask('o.work', { queue: 'billing' });
      const after = await tw.createTask('o.work', { queue: 'default' });
      expect((await final(after.id)).status).to.equal('COMPLETED'); // claimed past the older paused task
      expect((await tw.getTask(waiting.id))!.status).to.equal('PENDING');
      seen.held.get(running.id)!();
      expect((await final(running.id)).status).to.equal('COMPLETED'); // a running task finishes
      const listed = (await tw.admin.queues()).find((q) => q.name === 'billing')!;
      expect(listed).to.include({ paused: true });
      expect(listed.stats.PENDING).to.equal(1);
      // A worker started while the queue is paused does not claim it either.
      const restarted = new TaskWorker({ databaseUrl: tw.config.databaseUrl, redisUrl: null, registry, logLevel: 'silent', pool: 'inline',
        queues: ['billing', 'fresh'], pollInterval: 0.2 });
      try {
        await restarted.startWorker();
        const fresh = await restarted.createTask('o.work', { queue: 'fresh' });
        expect((await final(fresh.id, restarted)).status).to.equal('COMPLETED');
        expect((await tw.getTask(waiting.id))!.status).to.equal('PENDING');
      } finally {
        await restarted.close();
      }
      expect(await other.admin.resumeQueue('billing')).to.include({ paused: false, pausedAt: null });
      expect((await final(waiting.id)).status).to.equal('COMPLETED');
      const again = await other.admin.resumeQueue('billing').catch((e: unknown) => e);
      expect(again).to.include({ code: 'TW_NOT_PAUSED' });
    });

    it('metrics: counters match what ran, histograms count each run, gauges read the queues; Express and Koa serve them', async () => {
      await clearTasks(tw);
      const scrape = async () => parsePrometheusText((await request(express().get('/metrics', metricsHandler(tw))).get('/metrics').expect(200)).text);
      const before = await scrape();
      const value = (families: Map<string, unknown>, name: string, labels: Record<string, string>) =>
        sampleValue(families as ReturnType<typeof parsePrometheusText>, name, labels) ?? 0;
      const q = { queue: 'metrics' };
      const ok = await Promise.all([1, 2, 3].map((n) => tw.createTask('o.work', { args: [n], queue: 'metrics' })));
      const permanent = await tw.createTask('o.permanent', { queue: 'metrics' });
      const flaky = await tw.createTask('o.plan', { args: [['throw', 'ok']], maxRetries: 1, queue: 'metrics' });
      const cancelled = await tw.createTask('o.waitAbort', { queue: 'metrics' });
      await waitFor('the handler to run', async () => (await tw.getTask(cancelled.id))?.progress);
      await tw.cancel(cancelled.id);
      for (const task of [...ok, permanent, flaky, cancelled]) await final(task.id);
      await other.admin.pauseQueue('metrics-idle');
      await other.createTasks([{ name: 'o.work', queue: 'metrics-idle', delay: 0 }, { name: 'o.work', queue: 'metrics-idle' }]);
      // Counted when the settled event fires, just after the row is written.
      await waitFor('the last outcome counted', async () => value(await scrape(), 'tw_tasks_cancelled_total', { ...q, name: 'o.waitAbort' }) > value(before, 'tw_tasks_cancelled_total', { ...q, name: 'o.waitAbort' }));
      const families = await scrape();
      const delta = (name: string, labels: Record<string, string>) => value(families, name, labels) - value(before, name, labels);
      expect(delta('tw_tasks_created_total', { ...q, name: 'o.work' })).to.equal(3);
      expect(delta('tw_tasks_completed_total', { ...q, name: 'o.work' })).to.equal(3);
      expect(delta('tw_tasks_completed_total', { ...q, name: 'o.plan' })).to.equal(1);
      expect(delta('tw_tasks_retried_total', { ...q, name: 'o.plan' })).to.equal(1);
      expect(delta('tw_tasks_failed_total', { ...q, name: 'o.permanent' })).to.equal(1);
      expect(delta('tw_tasks_cancelled_total', { ...q, name: 'o.waitAbort' })).to.equal(1);
      expect(delta('tw_tasks_failed_total', { ...q, name: 'o.waitAbort' })).to.equal(0);
      expect(delta('tw_task_run_duration_seconds_count', { ...q, name: 'o.plan' })).to.equal(2);
      expect(delta('tw_task_wait_seconds_count', { ...q, name: 'o.work' })).to.equal(3);
      expect(value(families, 'tw_task_run_duration_seconds_bucket', { ...q, name: 'o.work', le: '+Inf' })).to.be.at.least(3);
      expect(families.get('tw_tasks_created_total')!.type).to.equal('counter');
      expect(families.get('tw_task_run_duration_seconds')!.type).to.equal('histogram');
      // Gauges, read at scrape time (one database reading serves the scrapes of 2 s): the paused queue's two ready tasks wait.
      const gauges = await waitFor('a fresh gauge reading', async () => {
        const scraped = await scrape();
        return value(scraped, 'tw_queue_ready_tasks', { queue: 'metrics-idle' }) === 2 ? scraped : null;
      }, 10_000, 250);
      expect(value(gauges, 'tw_queue_oldest_ready_age_seconds', { queue: 'metrics-idle' })).to.be.at.least(0);
      expect(value(gauges, 'tw_queue_paused', { queue: 'metrics-idle' })).to.equal(1);
      expect(value(families, 'tw_worker_slots', {})).to.equal(4);
      expect(value(families, 'tw_worker_busy_slots', {})).to.be.within(0, 4);
      for (const family of families.values()) {
        for (const sample of family.samples) expect(sample.labels, `${sample.name} labels`).to.not.have.any.keys('id', 'task_id');
      }
      const koa = new Koa().use(koaMetricsHandler(tw));
      const viaKoa = await request(koa.callback()).get('/metrics').expect(200).expect('content-type', /text\/plain/);
      expect(sampleValue(parsePrometheusText(viaKoa.text), 'tw_tasks_completed_total', { ...q, name: 'o.work' })).to.equal(value(families, 'tw_tasks_completed_total', { ...q, name: 'o.work' }));
      await other.admin.resumeQueue('metrics-idle');
    });

    it('onProgress without Redis: each write in this process, the last one with the outcome; the stored one first', async () => {
      const task = await tw.createTask('o.progress', { args: [3000] });
      const heard: TaskProgress[] = [];
      const stop = await tw.onProgress(task.id, (p) => heard.push(p));
      await final(task.id);
      await waitFor('the last report heard', () => heard.some((p) => p.percent === 100));
      stop();
      // Throttled: a few reports of 3,001, in order.
      expect(heard.length).to.be.within(1, 4);
      expect(heard.map((p) => p.at.getTime())).to.deep.equal([...heard.map((p) => p.at.getTime())].sort((a, b) => a - b));
      const late: TaskProgress[] = [];
      const stopLate = await tw.onProgress(task.id, (p) => late.push(p));
      stopLate();
      expect(late.map((p) => p.percent)).to.deep.equal([100]);
    });
  });
}
