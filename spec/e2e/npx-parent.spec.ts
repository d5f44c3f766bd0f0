// `npx tw-worker` under a process manager: npm does not pass SIGTERM on to the worker, so a worker
// started by npx watches its parent and stops gracefully (exit 0, nothing left running) when npx
// is killed, instead of living on as an orphan.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { TaskWorker } from '../../lib/index';
import { freshDatabase } from '../support/services';
import { REPO, scratchDir, writeFiles } from '../support/scratch-app';
import { waitFor } from '../support/wait';
import { FAULT_TASKS } from '../support/worker-process';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npx tw-worker: killing npx stops the worker too', function () {
  this.timeout(60_000);

  it('SIGTERM to the npx process: the worker logs why, stops gracefully and exits', async () => {
    const databaseUrl = await freshDatabase('sqlite', 'npx_parent');
    const seed = new TaskWorker({ databaseUrl, logLevel: 'silent' });
    await seed.migrate();
    await seed.close();
    const dir = scratchDir('npx');
    writeFiles(dir, { 'package.json': '{ "name": "npx-app", "private": true }' });
    // The bin npm would link (dist/ is not executable in a checkout, so a one-line launcher).
    writeFiles(dir, { 'node_modules/.bin/tw-worker': `#!/bin/sh\nexec "${process.execPath}" "${path.join(REPO, 'dist', 'cli', 'tw-worker.js')}" "$@"\n` });
    chmodSync(path.join(dir, 'node_modules', '.bin', 'tw-worker'), 0o755);
    const env: NodeJS.ProcessEnv = { ...process.env, TW_LOG_LEVEL: 'info' };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    const npx = spawn('npx', ['--no-install', 'tw-worker', '--database-url', databaseUrl, '--require', FAULT_TASKS, '--no-migrate'],
      { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    npx.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    npx.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const started = await waitFor('the worker to start', () => {
      if (npx.exitCode !== null) throw new Error(`npx exited early: ${text}`);
      return /"pid":(\d+).*"worker started"/.exec(text);
    }, 30_000, 50);
    const workerPid = Number(started[1]);
    expect(workerPid).not.to.equal(npx.pid);
    npx.kill('SIGTERM');
    await waitFor('the worker process to exit', () => !alive(workerPid), 10_000, 100).catch((error: Error) => {
      process.kill(workerPid, 'SIGKILL');
      throw new Error(`${error.message}\n${text}`);
    });
    expect(text).to.include('the npx that started tw-worker has exited');
    expect(text).to.include('"worker stopped"');
    console.log(`      worker ${workerPid} exited after npx ${npx.pid} was killed`);
    rmSync(dir, { recursive: true, force: true });
  });
});
