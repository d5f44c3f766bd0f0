// Durations as operators write them (lib/duration.ts, used by schedules and tw-admin's
// --older-than): a number and a unit, or several combined; anything else is not a duration, and
// tw-admin refuses it with a message that shows the accepted forms. tw-admin also refuses a bare
// 'm' (minutes or months?) and asks for 'min' or 'd'; schedules accept it as minutes.
import { expect } from 'chai';
import { InvalidArgumentError } from 'commander';
import { parseDuration as parseAdminDuration } from '../../cli/admin-args';
import { DURATION_HINT, formatDuration, parseDuration } from '../../lib/duration';

describe('durations', () => {
  const MINUTE = 60_000;
  const HOUR = 60 * MINUTE;
  const DAY = 24 * HOUR;
  const valid: Array<[string, number]> = [
    ['500ms', 500], ['90s', 90_000], ['30m', 30 * MINUTE], ['12h', 12 * HOUR], ['7d', 7 * DAY], ['2w', 14 * DAY],
    ['1d12h', 36 * HOUR], ['1h30m', 90 * MINUTE], ['1m30s', 90_000], ['1s500ms', 1500], ['1.5h', 90 * MINUTE], ['0s', 0],
    [' 7d ', 7 * DAY], ['1d 12h', 36 * HOUR], ['30min', 30 * MINUTE], ['1h30min', 90 * MINUTE],
  ];
  const withBareM = (text: string) => /\d(?:\.\d+)?m(?!s|in)/.test(text);
  const invalid = ['', '7', 'd', '7x', '7 d', '-1d', '1d-2h', '7days', 'ms', '1e3s', '7d;', '.5h'];

  for (const [text, ms] of valid) {
    it(`reads ${JSON.stringify(text)} as ${ms} ms, ${withBareM(text) ? 'which tw-admin refuses as ambiguous' : 'in tw-admin too'}`, () => {
      expect(parseDuration(text)).to.equal(ms);
      if (withBareM(text)) expect(() => parseAdminDuration(text)).to.throw(InvalidArgumentError, /is ambiguous.*30min.*30d/s);
      else expect(parseAdminDuration(text)).to.equal(ms);
    });
  }

  for (const text of invalid) {
    it(`finds no duration in ${JSON.stringify(text)}; tw-admin refuses it, showing the accepted forms`, () => {
      expect(parseDuration(text)).to.equal(null);
      expect(() => parseAdminDuration(text)).to.throw(InvalidArgumentError, `"${text}" is not a duration; use ${DURATION_HINT}`);
    });
  }

  it('writes a duration as the shortest text that reads back the same', () => {
    const cases: Array<[number, string]> = [[90 * MINUTE, '1h30m'], [36 * HOUR, '1d12h'], [14 * DAY, '2w'], [1500, '1s500ms'], [0, '0s']];
    for (const [ms, text] of cases) {
      expect(formatDuration(ms)).to.equal(text);
      expect(parseDuration(text)).to.equal(ms);
    }
  });
});
