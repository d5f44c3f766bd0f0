// Plain-JSON checks that guard task arguments and results.
import { expect } from 'chai';
import { findNonJson } from '../../lib/json';

describe('findNonJson', () => {
  it('accepts plain JSON values', () => {
    expect(findNonJson([1, 'a', true, null, { b: [2, { c: 'd' }] }], 'args')).to.equal(null);
  });

  it('names the path and the problem of each non-JSON value', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cases: Array<[unknown, RegExp]> = [
      [[1, undefined], /args\[1\]: undefined/],
      [[() => 1], /args\[0\]: a function/],
      [[10n], /args\[0\]: a BigInt/],
      [[cyclic], /args\[0\]\.self: a circular reference/],
      [[new Date(0)], /args\[0\]: a Date \(pass date\.toISOString\(\)\)/],
      [[NaN], /not a finite number/],
      [[new Map()], /a Map/],
      [[Symbol('s')], /a symbol/],
    ];
    for (const [value, pattern] of cases) expect(findNonJson(value, 'args')).to.match(pattern);
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { a: 1 };
    expect(findNonJson([shared, shared], 'args')).to.equal(null);
  });
});
