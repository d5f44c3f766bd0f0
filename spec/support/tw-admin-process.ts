// Runs the compiled tw-admin in its own process and collects its exit code and output. The
// environment's DATABASE_URL, REDIS_URL and TW_LOG_LEVEL are dropped unless a test passes them.
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

export const TW_ADMIN = path.resolve(__dirname, '..', '..', 'cli', 'tw-admin.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function twAdmin(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  delete env.TW_LOG_LEVEL;
  if (!options.env?.DATABASE_URL) delete env.DATABASE_URL;
  if (!options.env?.REDIS_URL) delete env.REDIS_URL;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TW_ADMIN, ...args], { cwd: options.cwd ?? os.tmpdir(), env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
