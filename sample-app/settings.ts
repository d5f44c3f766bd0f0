// The sample app's settings, read from the environment: where it listens and where tasks write
// their files. The database is the library's choice (DATABASE_URL, else sqlite:task-worker.sqlite),
// so a tw-worker started beside it in the same folder finds the same database with no flag.
import * as path from 'node:path';

/** Where the sample mounts the task dashboard. A real app puts its own login in front of it. */
export const DASHBOARD_PATH = '/admin/tasks';

export interface SampleSettings {
  port: number;
  host: string;
  /** Thumbnails and the email outbox are written here (shared by the web and worker processes). */
  dataDir: string;
}

export function sampleSettings(env: NodeJS.ProcessEnv = process.env): SampleSettings {
  const dataDir = path.resolve(env.SAMPLE_DATA_DIR ?? 'sample-data');
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`PORT must be a port number; got ${env.PORT}`);
  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    dataDir,
  };
}
