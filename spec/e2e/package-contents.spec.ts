// The published tarball (npm pack --dry-run) holds the runtime and its types, the README and the
// LICENSE, and nothing else: no specs, benchmarks, TypeScript sources or source maps.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { REPO } from '../support/scratch-app';

describe('the npm package', function () {
  this.timeout(60_000);

  it('ships dist/lib, dist/cli, dist/decorators (.js and .d.ts), README.md, LICENSE and package.json only', () => {
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: REPO, encoding: 'utf8' })) as Array<{ files: Array<{ path: string }> }>;
    const files = packed.files.map((f) => f.path);
    const stray = files.filter((f) => !/^dist\/(lib|cli|decorators)\/.+\.(js|d\.ts)$/.test(f) && !['README.md', 'LICENSE', 'package.json'].includes(f));
    expect(stray).to.deep.equal([]);
    for (const entry of ['dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/decorators/index.js', 'dist/decorators/index.d.ts',
      'dist/cli/tw-worker.js', 'dist/cli/tw-admin.js', 'dist/lib/pool/thread-entry.js', 'dist/lib/migrations/0007-task-types.js', 'LICENSE']) {
      expect(files, entry).to.include(entry);
    }
    console.log(`      ${files.length} files`);
  });
});
