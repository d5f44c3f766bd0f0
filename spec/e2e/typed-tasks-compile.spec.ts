// Typed enqueue is checked by tsc: runs the compiler over spec/compile-fail and requires each line
// marked `// expect-error TSnnnn "text"` in typed-wrong.ts to fail with that code and text, and
// every other line of the fixtures (typed-ok.ts, the correct twin, included) to compile.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const FOLDER = 'spec/compile-fail';
const MARKER = /\/\/ expect-error (TS\d+) "((?:[^"\\]|\\.)*)"/;

interface Diagnostic {
  file: string;
  line: number;
  code: string;
  text: string;
}

/** Parses `tsc --pretty false` output: a head line per error, then indented continuation lines. */
function parseDiagnostics(output: string): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const line of output.split('\n')) {
    const head = /^(.+?)\((\d+),\d+\): error (TS\d+): (.*)$/.exec(line);
    if (head) diagnostics.push({ file: head[1].replace(/\\/g, '/'), line: Number(head[2]), code: head[3], text: head[4] });
    else if (line.startsWith(' ') && diagnostics.length > 0) diagnostics[diagnostics.length - 1].text += `\n${line.trim()}`;
  }
  return diagnostics;
}

function runTsc(): Promise<string> {
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  return new Promise((resolve) => {
    execFile(process.execPath, [tsc, '-p', `${FOLDER}/tsconfig.json`, '--pretty', 'false'], { cwd: ROOT, maxBuffer: 16 << 20 },
      (_error, stdout, stderr) => resolve(stdout + stderr));
  });
}

describe('typed enqueue at compile time (tsc over spec/compile-fail)', function () {
  this.timeout(120_000);
  let fixtureErrors: Diagnostic[];

  before(async function () {
    const all = parseDiagnostics(await runTsc());
    // Only the fixtures' own lines are judged here; errors in lib/ fail the main build anyway.
    fixtureErrors = all.filter((d) => d.file.startsWith(`${FOLDER}/`));
  });

  it('the correct twin (typed-ok.ts) and the task class compile without an error', function () {
    const unexpected = fixtureErrors.filter((d) => !d.file.endsWith('typed-wrong.ts'));
    expect(unexpected.map((d) => `${d.file}:${d.line} ${d.code} ${d.text}`)).to.deep.equal([]);
  });

  it('each marked call in typed-wrong.ts fails with the expected error, and nothing else fails', function () {
    const lines = readFileSync(path.join(ROOT, FOLDER, 'typed-wrong.ts'), 'utf8').split('\n');
    const expected = lines.flatMap((text, i) => {
      const m = MARKER.exec(text);
      return m ? [{ line: i + 1, code: m[1], text: m[2].replace(/\\"/g, '"') }] : [];
    });
    expect(expected.length, 'markers in typed-wrong.ts').to.be.at.least(8);
    const errors = fixtureErrors.filter((d) => d.file.endsWith('typed-wrong.ts'));
    for (const want of expected) {
      const got = errors.filter((d) => d.line === want.line);
      expect(got.map((d) => d.code), `line ${want.line}: ${lines[want.line - 1].trim()}`).to.include(want.code);
      expect(got.some((d) => d.text.includes(want.text)), `line ${want.line} message ${JSON.stringify(got.map((d) => d.text))}`).to.equal(true);
    }
    const marked = new Set(expected.map((e) => e.line));
    expect(errors.filter((d) => !marked.has(d.line)).map((d) => `${d.line} ${d.code} ${d.text}`), 'errors on unmarked lines').to.deep.equal([]);
  });
});
