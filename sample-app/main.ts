// Starts the sample: the Express app (or the Koa one with --koa) and, unless --no-worker, a worker in
// the same process. Embedded SQLite and no Redis by default; DATABASE_URL and REDIS_URL switch it to
// PostgreSQL/MariaDB and Redis, where the worker usually runs as its own process (tw-worker).
import 'reflect-metadata';
import type { Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import { redactUrl, TaskWorker } from '../lib/index';
import { createExpressApp } from './express-app';
import { createKoaApp } from './koa-app';
import { DASHBOARD_PATH, sampleSettings } from './settings';

function banner(url: string, mode: string[], koa: boolean): string {
  const post = (route: string, body: string) => `  curl -s -X POST ${url}${route} -H 'content-type: application/json' -d '${body}'`;
  return [
    '',
    `task-worker sample (${koa ? 'Koa' : 'Express'}) listening on ${url}`,
    ...mode.map((line) => `  ${line}`),
    '',
    `Dashboard: ${url}${DASHBOARD_PATH}/   (open it in a browser)`,
    '',
    'Try:',
    post('/reports', '{"text": "the quick brown fox jumps over the lazy dog the end"}'),
    `  curl -s ${url}/tasks/<id>/wait?timeout=10`,
    post('/emails', '{"to": "ada@example.com", "subject": "Hello", "body": "Sent by a background task."}'),
    ...(koa ? [] : [post('/thumbnails', '{"width": 320, "height": 200}'), post('/slow', '{"seconds": 10}')]),
    post('/inventory-sync', '{"sku": "SKU-42"}'),
    `  curl -s ${url}/    (every route)`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const unknown = argv.filter((a) => a !== '--koa' && a !== '--no-worker');
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown[0]}; use --koa and/or --no-worker`);
  const koa = argv.includes('--koa');
  const withWorker = !argv.includes('--no-worker');
  const settings = sampleSettings();
  mkdirSync(settings.dataDir, { recursive: true });

  const tw = new TaskWorker({
    // Worker threads: the thumbnail task is CPU-bound, and a thread keeps it off the web server's
    // event loop (and a hung task can be killed). The threads load the same task file.
    pool: 'thread',
    modules: [require.resolve('./tasks')],
    concurrency: 2,
  });
  await tw.migrate();
  if (withWorker) await tw.startWorker();

  const app = koa ? createKoaApp(tw) : createExpressApp(tw, settings.dataDir);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(settings.port, settings.host, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const url = `http://${settings.host}:${port}`;
  const mode = [
    `database: ${redactUrl(tw.config.databaseUrl)}`,
    `wake-ups: ${tw.config.redisUrl ? `Redis at ${redactUrl(tw.config.redisUrl)}` : 'none (no REDIS_URL): workers in other processes poll every second'}`,
    withWorker
      ? 'worker:   in this process (2 threads)'
      : 'worker:   none here; start one:  node dist/cli/tw-worker.js --require ./dist/sample-app/tasks.js --concurrency 4',
  ];
  process.stdout.write(banner(url, mode, koa));

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeAllConnections();
    tw.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`sample-app: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
