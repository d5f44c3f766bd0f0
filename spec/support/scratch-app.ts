// Scratch apps outside the repository for the adoption specs: a temporary folder with its own
// package.json and tsconfig.json, task-worker reachable by name, compiled by either TypeScript
// (the pinned one, and the current major installed under the alias typescript-7).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The repository (dist/ is one level below the compiled spec folders). */
export const REPO = path.resolve(__dirname, '..', '..', '..');

export interface Compiler {
  label: string;
  tsc: string;
}

function compiler(pkg: string): Compiler {
  // TypeScript 7 exports no bin path: find the folder through its package.json.
  const folder = path.dirname(require.resolve(`${pkg}/package.json`, { paths: [REPO] }));
  const { version } = JSON.parse(readFileSync(path.join(folder, 'package.json'), 'utf8')) as { version: string };
  return { label: `TypeScript ${version}`, tsc: path.join(folder, 'bin', 'tsc') };
}

/** The pinned TypeScript, and the current major (the native compiler) when it is installed. */
export function compilers(): Compiler[] {
  return [compiler('typescript'), compiler('typescript-7')];
}

export type DecoratorMode = 'standard' | 'legacy';

export interface ProcessResult {
  code: number | null;
  output: string;
}

export function runNode(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = 60_000): Promise<ProcessResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, env, timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, output: stdout + stderr });
    });
  });
}

export function compile(dir: string, using: Compiler): Promise<ProcessResult> {
  return runNode([using.tsc, '-p', dir, '--pretty', 'false'], dir);
}

/** A new empty folder under the system temp dir. */
export function scratchDir(label: string): string {
  const base = path.join(os.tmpdir(), 'tw-scratch');
  mkdirSync(base, { recursive: true });
  return mkdtempSync(path.join(base, `${label}-`));
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
}

/** node_modules/<name> in `dir` pointing at `target`. */
export function linkModule(dir: string, name: string, target: string): void {
  const link = path.join(dir, 'node_modules', name);
  mkdirSync(path.dirname(link), { recursive: true });
  symlinkSync(target, link, 'dir');
}
