// redactUrl, the one redaction of every printed connection URL, against the forms the drivers
// accept: an unencoded '@' in the password (pg and ioredis take the last '@' of the authority), the
// forms WHATWG cannot parse (redis:/:PW@host, mysql:user:PW@host/db), and password query parameters.
import { expect } from 'chai';
import { redactUrl } from '../../lib/index';

describe('redactUrl', () => {
  const cases: Array<[string, string]> = [
    ['postgres://u:pw@h/db', 'postgres://u:***@h/db'],
    ['redis://:pw@h:6379', 'redis://:***@h:6379'],
    ['postgres://app:Pa@ss@TailSecret@db.example:5432/app', 'postgres://app:***@db.example:5432/app'],
    ['rediss://default:a@b@TailSecret@cache.example:6380/0', 'rediss://default:***@cache.example:6380/0'],
    ['redis:/:TailSecret@cache.example', 'redis:/***@cache.example'],
    ['mysql:user:TailSecret@db.example/app', 'mysql:***@db.example/app'],
    ['mariadb://u:pa/ss#TailSecret@db.example/app', 'mariadb://***@db.example/app'],
    ['postgres://u:12#TailSecret@db.example/app', 'postgres://***@db.example/app'],
    ['postgres://u:12/TailSecret@db.example/app', 'postgres://***@db.example/app'],
    ['postgres://db.example/app?user=u&password=TailSecret&sslmode=require', 'postgres://db.example/app?user=u&password=***&sslmode=require'],
    ['postgres://u@db.example/app', 'postgres://u@db.example/app'],
    // An '@' after the host cannot be told from a password holding '/', '?' or '#': hidden too.
    ['postgres://db.example/app?application_name=a@b', 'postgres://***@b'],
    ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['sqlite:/var/data/me@home/tasks.sqlite', 'sqlite:/var/data/me@home/tasks.sqlite'],
    ['sqlite::memory:', 'sqlite::memory:'],
    ['host.example:TailSecret@db.example', 'host.example:***@db.example'],
  ];
  for (const [url, expected] of cases) {
    it(`${url} -> ${expected}`, () => {
      expect(redactUrl(url)).to.equal(expected);
      expect(redactUrl(url)).not.to.include('TailSecret');
    });
  }
});
