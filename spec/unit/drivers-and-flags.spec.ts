// Small things a new user meets: a missing database driver (an optional peer dependency) or a
// sqlite3 whose native module was never built is a ConfigError that says what to run; the channel
// prefix has a flag and an environment variable; purge ages refuse the ambiguous "m"; a registry
// passed with the thread pool (which its threads never see) is refused.
import { expect } from 'chai';
import Module from 'node:module';
import { parseArgs } from '../../cli/args';
import { parseDuration } from '../../cli/admin-args';
import { requireDriver } from '../../lib/db/driver';
import { ConfigError, resolveConfig, TaskRegistry, TaskWorker } from '../../lib/index';

type Resolver = (request: string, ...rest: unknown[]) => string;
type Loader = (request: string, ...rest: unknown[]) => unknown;
const internals = Module as unknown as { _resolveFilename: Resolver; _load: Loader };

/** Runs `fn` while `require(name)` behaves as `fail` says, then restores Node's loader. */
function withBrokenModule(name: string, fail: 'missing' | 'unbuilt', fn: () => void): void {
  const { _resolveFilename: resolve, _load: load } = internals;
  internals._resolveFilename = function (request, ...rest) {
    if (fail === 'missing' && request === name) throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
    return resolve.call(this, request, ...rest);
  };
  internals._load = function (request, ...rest) {
    if (fail === 'unbuilt' && (request === name || request.endsWith(`/node_modules/${name}/lib/sqlite3.js`))) {
      throw new Error('Could not locate the bindings file. Tried:\n → /app/node_modules/sqlite3/build/node_sqlite3.node');
    }
    return load.call(this, request, ...rest);
  };
  try {
    fn();
  } finally {
    internals._resolveFilename = resolve;
    internals._load = load;
  }
}

describe('database drivers are optional peer dependencies', () => {
  for (const [dialect, driver] of [['postgres', 'pg'], ['mariadb', 'mysql2'], ['sqlite', 'sqlite3']] as const) {
    it(`a missing ${driver} is a ConfigError that says: npm install ${driver}`, () => {
      withBrokenModule(driver, 'missing', () => {
        expect(() => requireDriver({ name: dialect, driver }, `${dialect}://x`)).to.throw(ConfigError, `npm install ${driver}`);
      });
    });
  }

  it('a sqlite3 whose native build was skipped says how to approve and rebuild it', () => {
    withBrokenModule('sqlite3', 'unbuilt', () => {
      expect(() => requireDriver({ name: 'sqlite', driver: 'sqlite3' }, 'sqlite:x')).to.throw(ConfigError,
        /native module is missing.*npm install-scripts approve sqlite3 && npm rebuild sqlite3/s);
    });
  });

  it('an installed driver passes', () => {
    expect(() => requireDriver({ name: 'sqlite', driver: 'sqlite3' }, 'sqlite:x')).not.to.throw();
  });
});

describe('channelPrefix: flag, environment, option', () => {
  it('TW_CHANNEL_PREFIX sets it; an option wins over it', () => {
    expect(resolveConfig({}, { TW_CHANNEL_PREFIX: 'shop' }).channelPrefix).to.equal('shop');
    expect(resolveConfig({ channelPrefix: 'blog' }, { TW_CHANNEL_PREFIX: 'shop' }).channelPrefix).to.equal('blog');
    expect(resolveConfig({}, {}).channelPrefix).to.equal('tw');
  });

  it('tw-worker --channel-prefix passes it on', () => {
    expect(parseArgs(['--channel-prefix', 'shop'], '0').options.channelPrefix).to.equal('shop');
  });
});

describe('purge ages', () => {
  it('min is minutes, d days; a bare m (minutes or months?) is refused with the two spellings', () => {
    expect(parseDuration('30min')).to.equal(30 * 60_000);
    expect(parseDuration('1d12h')).to.equal(36 * 3_600_000);
    expect(parseDuration('500ms')).to.equal(500);
    expect(() => parseDuration('1m')).to.throw(/"1m" is ambiguous.*30min.*30d/s);
    expect(() => parseDuration('1h30m')).to.throw(/ambiguous/);
  });
});

describe('a registry passed to TaskWorker with the thread pool', () => {
  it('is a ConfigError when a worker is created, naming the two ways out', async () => {
    const tw = new TaskWorker({ databaseUrl: 'sqlite::memory:', registry: new TaskRegistry(), pool: 'thread', modules: ['./tasks.js'], logLevel: 'silent' });
    try {
      expect(() => tw.createWorker()).to.throw(ConfigError, /does not reach pool threads.*pool: 'inline'.*modules/s);
    } finally {
      await tw.close();
    }
  });
});
