// Task ids: the seed's 22-character short-UUID shape, unique, and ordered by creation.
import { expect } from 'chai';
import { isTaskId, newTaskId, ID_LENGTH } from '../../lib/ids';

describe('task ids', () => {
  it('are 22 characters of the shortuuid alphabet', () => {
    const id = newTaskId();
    expect(id).to.have.length(ID_LENGTH).and.to.have.length(22);
    expect(id).to.match(/^[23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz]{22}$/);
    expect(isTaskId(id)).to.equal(true);
  });

  it('sort in creation order, also within one millisecond', () => {
    const ids = Array.from({ length: 5000 }, () => newTaskId());
    expect(new Set(ids).size).to.equal(ids.length);
    expect([...ids].sort()).to.deep.equal(ids);
  });

  it('stay ordered when the clock steps back', () => {
    const later = newTaskId(Date.now() + 10_000);
    const earlierClock = newTaskId(Date.now());
    expect(earlierClock > later).to.equal(true);
  });

  it('encodes milliseconds << 80 plus 80 random bits as a 22-digit base-57 number', () => {
    const alphabet = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
    const decode = (id: string) => [...id].reduce((n, c) => n * 57n + BigInt(alphabet.indexOf(c)), 0n);
    for (const ahead of [20_000, 30_000]) {
      const ms = Date.now() + ahead; // ahead of every earlier call, so not a monotonic increment
      const value = decode(newTaskId(ms));
      expect(value >> 80n).to.equal(BigInt(ms));
      expect(value < 1n << 128n).to.equal(true);
    }
  });

  it('rejects strings that are not ids', () => {
    for (const bad of ['', 'short', '../../etc/passwd', 'O'.repeat(22), 42, null]) expect(isTaskId(bad)).to.equal(false);
  });
});
