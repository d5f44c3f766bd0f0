// "Adopt it in your app": the packed tarball installed offline into a fresh CommonJS app and a
// fresh ES module app, the README's code blocks compiled exactly as printed (extracted by their
// <!-- adopt: path --> markers) in both decorator modes, with the pinned TypeScript and the current
// major, then a task of each kind run through tw-worker on SQLite by the README's own scripts.
import { expect } from 'chai';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { TaskWorker } from '../../lib/index';
import { compile, compilers, linkModule, REPO, runNode, scratchDir, writeFiles, type DecoratorMode } from '../support/scratch-app';
import { waitFor } from '../support/wait';

/** The code blocks that follow `<!-- marker: path -->` lines in a markdown file, by path. */
export function markedBlocks(markdown: string, marker: string): Record<string, string> {
  const blocks: Record<string, string> = {};
  const pattern = new RegExp(`<!-- ${marker}: (\\S+) -->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\`\`\`\\n`, 'g');
  for (const [, file, body] of markdown.matchAll(pattern)) blocks[file] = body;
  return blocks;
}

const README = readFileSync(path.join(REPO, 'README.md'), 'utf8');
const ADOPTING = readFileSync(path.join(REPO, 'docs', 'adopting.md'), 'utf8');

/** Packs the repository once; returns the folder the tarball was unpacked into (its package/). */
function packOnce(): string {
  const dir = scratchDir('tarball');
  const [{ filename }] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: REPO, encoding: 'utf8' })) as Array<{ filename: string }>;
  execFileSync('tar', ['-xzf', path.join(dir, filename), '-C', dir]);
  return path.join(dir, 'package');
}

/**
 * A fresh app: package.json (ESM or not), the unpacked tarball as node_modules/task-worker (a
 * copy, as npm installs it), its dependencies and the SQLite driver linked from this checkout's
 * node_modules (offline), and the README's files.
 */
function makeApp(packed: string, kind: 'cjs' | 'esm', mode: DecoratorMode): string {
  const dir = scratchDir(`adopt-${kind}-${mode}`);
  const manifest = JSON.parse(readFileSync(path.join(packed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  writeFiles(dir, { 'package.json': JSON.stringify({ name: `adopt-${kind}`, private: true, ...(kind === 'esm' ? { type: 'module' } : {}) }) });
  mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  execFileSync('cp', ['-a', packed, path.join(dir, 'node_modules', 'task-worker')]);
  for (const dependency of [...Object.keys(manifest.dependencies), 'sqlite3', '@types/node']) {
    linkModule(dir, dependency, path.join(REPO, 'node_modules', dependency));
  }
  const tsconfig = mode === 'standard' ? markedBlocks(README, 'adopt')['tsconfig.json'] : markedBlocks(ADOPTING, 'adopt-legacy')['tsconfig.json'];
  const sources = Object.fromEntries(Object.entries(markedBlocks(README, 'adopt')).filter(([file]) => file.startsWith('src/')));
  writeFiles(dir, { 'tsconfig.json': tsconfig, ...sources });
  return dir;
}

/** The README's worker line, started from the app's node_modules/.bin as it says; resolves once started. */
async function startWorker(dir: string): Promise<{ stop(): Promise<number | null>; output(): string }> {
  const bin = path.join(dir, 'node_modules', 'task-worker', 'dist', 'cli', 'tw-worker.js');
  const env: NodeJS.ProcessEnv = { ...process.env, TW_LOG_LEVEL: 'info' };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  const child = spawn(process.execPath, [bin, '--require', './dist/tasks.js', '--require', './dist/mail-tasks.js', '--concurrency', '4'],
    { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor('tw-worker to start', () => {
    if (child.exitCode !== null) throw new Error(`tw-worker exited: ${text}`);
    return text.includes('"worker started"');
  }, 30_000, 50);
  return {
    output: () => text,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('adopt it in your app: the packed package, the README as printed, a fresh CommonJS and ESM app', function () {
  this.timeout(180_000);
  let packed: string;
  const made: string[] = [];

  before(() => {
    packed = packOnce();
  });
  after(() => {
    for (const dir of [...made, path.dirname(packed)]) rmSync(dir, { recursive: true, force: true });
  });

  it('the README has every marked file: tsconfig, the task files and the scripts', () => {
    expect(Object.keys(markedBlocks(README, 'adopt')).sort()).to.deep.equal(
      ['src/enqueue.ts', 'src/mail-tasks.ts', 'src/send-welcome.ts', 'src/tasks.ts', 'tsconfig.json']);
    expect(Object.keys(markedBlocks(ADOPTING, 'adopt-legacy'))).to.deep.equal(['tsconfig.json']);
  });

  const [pinned, current] = compilers();
  for (const kind of ['cjs', 'esm'] as const) {
    for (const mode of ['standard', 'legacy'] as DecoratorMode[]) {
      it(`${kind === 'cjs' ? 'CommonJS' : 'ES module'} app, ${mode === 'standard' ? 'standard decorators' : 'experimentalDecorators'}: compiles with ${pinned.label} and ${current.label}; tasks run through tw-worker`, async () => {
        const dir = makeApp(packed, kind, mode);
        made.push(dir);
        for (const using of [pinned, current]) {
          rmSync(path.join(dir, 'dist'), { recursive: true, force: true });
          const built = await compile(dir, using);
          expect(built.output.trim(), `${using.label} output`).to.equal('');
          expect(built.code).to.equal(0);
        }
        const worker = await startWorker(dir);
        try {
          const env = { ...process.env };
          delete env.DATABASE_URL;
          delete env.REDIS_URL;
          const enqueue = await runNode(['dist/enqueue.js'], dir, env);
          expect(enqueue.code, enqueue.output).to.equal(0);
          expect(enqueue.output.trim()).to.match(/^Task \w+: app\.multiply \(COMPLETED\) 6$/);
          const welcome = await runNode(['dist/send-welcome.js'], dir, env);
          expect(welcome.code, welcome.output).to.equal(0);
          expect(welcome.output.trim()).to.equal('emails COMPLETED welcome mail sent to ann@example.com');
        } finally {
          expect(await worker.stop(), worker.output()).to.equal(0);
        }
        // The handler's maxRetries reached the task that enqueue.js created without loading it.
        const tw = new TaskWorker({ databaseUrl: `sqlite:${path.join(dir, 'task-worker.sqlite')}`, logLevel: 'silent' });
        try {
          const [multiply] = await tw.admin.list({ name: 'app.multiply' });
          expect(multiply.maxRetries).to.equal(2);
        } finally {
          await tw.close();
        }
      });
    }
  }
});
