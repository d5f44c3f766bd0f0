// The workers page's data with real tw-worker processes (PostgreSQL): a worker registers at
// start and shows live with its host, pid, queues and concurrency; killed with SIGKILL it shows
// lost once its lease has run out (its registry row stops being heartbeated); stopped with SIGTERM
// it deregisters and is gone.
import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { dashboard, type TaskWorker } from '../../lib/index';
import type { WorkerJson, WorkersJson } from '../../lib/dashboard/client/api-types';
import { openSuite } from '../support/harness';
import { waitFor } from '../support/wait';
import { cleanupWorkers, faultDir, WorkerProcess } from '../support/worker-process';

const LEASE_S = 2;

describe('dashboard workers: registry with real tw-worker processes (postgres)', function () {
  this.timeout(60_000);
  let tw: TaskWorker;
  let app: express.Express;

  before(async function () {
    tw = await openSuite(this, 'postgres', 'dash_workers');
    app = express();
    app.use('/tasks', dashboard(tw));
  });
  afterEach(async function () {
    await cleanupWorkers(this);
  });
  after(async () => tw?.close());

  async function workerOf(pid: number): Promise<WorkerJson | undefined> {
    const body = (await request(app).get('/tasks/api/workers').expect(200)).body as WorkersJson;
    return body.workers.find((w) => w.pid === pid);
  }

  it('a worker shows live from its start, lost after its lease once killed, and gone once stopped', async () => {
    const common = { databaseUrl: tw.config.databaseUrl, faultDir: faultDir('dash-workers'), leaseTime: LEASE_S, pollInterval: 0.2 };
    const victim = await WorkerProcess.start({ ...common, label: 'victim', concurrency: 3 });
    const stopped = await WorkerProcess.start({ ...common, label: 'stopped', concurrency: 1 });
    const live = await workerOf(victim.child.pid!);
    expect(live).to.include({ state: 'live', concurrency: 3, pool: 'thread', prefetch: 'auto' });
    expect(live!.queues).to.deep.equal([]);
    expect(live!.lastSeenAt).to.be.at.least(live!.startedAt!);

    const killedAt = Date.now();
    victim.signal('SIGKILL');
    await victim.exited;
    const lost = await waitFor('the killed worker shown lost', async () => {
      const w = await workerOf(victim.child.pid!);
      return w?.state === 'lost' ? w : null;
    }, 15_000);
    console.log(`      killed -> shown lost after ${Date.now() - killedAt} ms (lease ${LEASE_S} s, heartbeat every ${(LEASE_S / 3).toFixed(2)} s)`);
    expect(lost.expiresAt).to.be.at.most(Date.now());
    expect((await workerOf(stopped.child.pid!))?.state).to.equal('live');

    expect(await stopped.stop()).to.equal(0);
    expect(await workerOf(stopped.child.pid!), 'a clean stop deregisters').to.equal(undefined);
  });
});
