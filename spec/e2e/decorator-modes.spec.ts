// @Task, @TaskOptions and @Schedule under both decorator modes (standard TC39, TypeScript 5+'s default, and
// experimentalDecorators), compiled by the pinned TypeScript and by the current major: every build
// compiles without an error (no TS1241) and registers the same tasks with the same defaults.
import { expect } from 'chai';
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { compile, compilers, linkModule, REPO, runNode, scratchDir, writeFiles, type DecoratorMode } from '../support/scratch-app';

const FIXTURE = path.join(REPO, 'spec', 'decorator-fixture', 'tasks.ts');

/** What the fixture must register, whatever the compiler and the mode. */
const EXPECTED = {
  'Plain.add': {},
  'fixture.mail.bulk': { queue: 'bulk', maxRetries: 0 },
  'fixture.mail.digest': { queue: 'emails', maxRetries: 2, priority: 2 },
  'fixture.mail.send': { queue: 'emails', maxRetries: 2 },
  'fixture.mail.urgent': { queue: 'emails', maxRetries: 2, timeout: 5, priority: -1 },
  'fixture.plain.multiply': { timeout: 9 },
};

/** Loads the compiled fixture in a fresh process and prints the registry (names, defaults, one call each). */
/** The @Schedule declarations, in the order written. */
const SCHEDULES = [
  { key: 'nightly-digest', task: 'fixture.mail.digest', cron: '0 3 * * *', everyMs: null },
  { key: 'fixture.mail.digest', task: 'fixture.mail.digest', cron: null, everyMs: 3_600_000 },
];

const DUMP = `
const { defaultRegistry } = require(${JSON.stringify(path.join(REPO, 'dist', 'lib', 'registry.js'))});
require('./dist/tasks.js');
(async () => {
  const out = {};
  for (const name of defaultRegistry.names()) out[name] = defaultRegistry.get(name).defaults;
  const calls = [await defaultRegistry.get('fixture.mail.urgent').handler('ann'), await defaultRegistry.get('Plain.add').handler(2, 3)];
  const schedules = defaultRegistry.declaredSchedules().map((s) => ({ key: s.key, task: s.task, cron: s.cron, everyMs: s.everyMs }));
  console.log(JSON.stringify({ registry: out, calls, schedules }));
})();
`;

function tsconfig(mode: DecoratorMode): string {
  const decorators = mode === 'legacy' ? { experimentalDecorators: true, emitDecoratorMetadata: true } : {};
  return JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', outDir: 'dist', rootDir: 'src',
      strict: true, types: [], skipLibCheck: true, ...decorators },
    include: ['src'],
  }, null, 2);
}

describe('decorators in both modes, with the pinned and the current TypeScript', function () {
  this.timeout(120_000);
  const made: string[] = [];
  after(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  for (const using of compilers()) {
    for (const mode of ['standard', 'legacy'] as DecoratorMode[]) {
      it(`${using.label}, ${mode === 'standard' ? 'standard (TC39) decorators' : 'experimentalDecorators'}: compiles, registers the same tasks and defaults`, async () => {
        const dir = scratchDir(`decorators-${mode}`);
        made.push(dir);
        writeFiles(dir, { 'package.json': '{ "name": "fixture", "private": true }', 'tsconfig.json': tsconfig(mode) });
        writeFiles(dir, { 'src/tasks.ts': readFileSync(FIXTURE, 'utf8') });
        linkModule(dir, 'task-worker', REPO);
        const built = await compile(dir, using);
        expect(built.output.trim(), 'tsc output').to.equal('');
        expect(built.code).to.equal(0);
        const run = await runNode(['-e', DUMP], dir);
        expect(run.code, run.output).to.equal(0);
        const dumped = JSON.parse(run.output.trim().split('\n').pop()!) as { registry: object; calls: unknown[]; schedules: unknown[] };
        expect(dumped.registry).to.deep.equal(EXPECTED);
        expect(dumped.schedules).to.deep.equal(SCHEDULES);
        expect(dumped.calls).to.deep.equal(['urgent to ann', 5]);
      });
    }
  }
});
