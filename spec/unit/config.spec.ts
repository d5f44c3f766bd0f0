// Config resolution: defaults, the environment as the seed reads it, and errors naming the key.
import { expect } from 'chai';
import { ConfigError, resolveConfig } from '../../lib/index';
import { redactUrl } from '../../lib/config';

describe('resolveConfig', () => {
  it('defaults to embedded SQLite, no Redis, concurrency 1, retry 0', () => {
    const config = resolveConfig({}, {});
    expect(config).to.include({ databaseUrl: 'sqlite:task-worker.sqlite', redisUrl: null, concurrency: 1, retry: 0, pool: 'thread', defaultTimeout: 300, prefetch: 'auto' });
    expect(resolveConfig({ prefetch: 0 }, {}).prefetch).to.equal(0);
    expect(config.queues).to.deep.equal([]);
  });

  it('reads DATABASE_URL, REDIS_URL and REDIS_PASSWORD; options win over the environment', () => {
    const env = { DATABASE_URL: 'postgres://u@h/db', REDIS_URL: 'rediss://h:6380/0', REDIS_PASSWORD: 's3cret' };
    expect(resolveConfig({}, env)).to.include({ databaseUrl: 'postgres://u@h/db', redisUrl: 'rediss://h:6380/0', redisPassword: 's3cret' });
    expect(resolveConfig({ databaseUrl: 'sqlite::memory:', redisUrl: null }, env)).to.include({ databaseUrl: 'sqlite::memory:', redisUrl: null });
  });

  it('recycles a pool thread holding more than 512 MiB after a task, unless told otherwise', () => {
    expect(resolveConfig({}, {})).to.include({ threadRecycleMemoryMb: 512 });
    expect(resolveConfig({ threadRecycleMemory: 2048 }, {})).to.include({ threadRecycleMemoryMb: 2048 });
  });

  it('drops undefined keys before applying defaults', () => {
    expect(resolveConfig({ concurrency: undefined, retry: undefined }, {})).to.include({ concurrency: 1, retry: 0 });
  });

  const bad: Array<[object, RegExp]> = [
    [{ concurrency: 0 }, /concurrency must be a whole number from 1/],
    [{ concurrency: 2.5 }, /concurrency/],
    [{ retry: -1 }, /retry must be a whole number from 0/],
    [{ pollInterval: 0 }, /pollInterval must be a number of seconds above 0/],
    [{ leaseTime: Infinity }, /leaseTime/],
    [{ leaseTime: 0.01 }, /leaseTime must be a number of seconds from 1 to 86400; got 0\.01/],
    [{ leaseTime: 0.5 }, /leaseTime must be a number of seconds from 1 to 86400/],
    [{ redisUrl: 'redis:/:TailSecret@cache.example' }, /redisUrl must start with redis:\/\/ or rediss:\/\/; got redis:\/\*\*\*@cache\.example$/],
    [{ databaseUrl: 'ftp://u:pa@TailSecret@h/x' }, /databaseUrl must start with .*; got ftp:\/\/u:\*\*\*@h\/x$/],
    [{ pool: 'process' }, /pool must be 'thread' or 'inline'/],
    [{ queues: ['ok', 'not ok'] }, /queues: "not ok" is not a queue name/],
    [{ databaseUrl: 'oracle://x' }, /databaseUrl must start with sqlite: or postgres:/],
    [{ redisUrl: 'http://x' }, /redisUrl must start with redis:\/\/ or rediss:\/\//],
    [{ concurency: 4 }, /unknown option "concurency"/],
    [{ backoffBase: 10, backoffCap: 5 }, /backoffCap \(5\) must not be below backoffBase \(10\)/],
    [{ logLevel: 'loud' }, /logLevel must be one of/],
    [{ prefetch: 'lots' }, /prefetch must be 'auto' or a whole number from 0 to 10000/],
    [{ prefetch: -1 }, /prefetch must be 'auto'/],
    [{ threadRecycleMemory: 8 }, /threadRecycleMemory must be a whole number from 16 to 1048576; got 8/],
    [{ threadRecycleMemory: '1g' }, /threadRecycleMemory must be a whole number/],
  ];
  for (const [options, message] of bad) {
    it(`rejects ${JSON.stringify(options)} with a ConfigError naming the key`, () => {
      expect(() => resolveConfig(options as never, {})).to.throw(ConfigError, message);
    });
  }

  it('never puts a password in an error message', () => {
    expect(() => resolveConfig({ databaseUrl: 'oracle://user:hunter2@db/x' }, {})).to.throw(ConfigError).that.satisfies(
      (e: Error) => !e.message.includes('hunter2'));
    expect(redactUrl('redis://:pw@h:6379')).to.equal('redis://:***@h:6379');
    expect(redactUrl('postgres://u:pw@h/db')).to.equal('postgres://u:***@h/db');
  });
});
