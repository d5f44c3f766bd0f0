// Task ids: the seed's 22-character short-UUID shape, unique, and ordered by creation.
import { expect } from 'chai';
import { idAt, isTaskId, newTaskId, ID_LENGTH } from '../../lib/ids';

const ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

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

  // Ids made for a future millisecond leave this process's generator there until the clock catches
  // up (ids made meanwhile count up from it): the steps here are small, so later specs are not skewed.
  it('stay ordered when the clock steps back', () => {
    const later = newTaskId(Date.now() + 50);
    const earlierClock = newTaskId(Date.now());
    expect(earlierClock > later).to.equal(true);
  });

  it('encodes milliseconds << 80 plus 80 random bits as a 22-digit base-57 number', () => {
    const decode = (id: string) => [...id].reduce((n, c) => n * 57n + BigInt(ALPHABET.indexOf(c)), 0n);
    for (const ahead of [300, 400]) {
      const ms = Date.now() + ahead; // ahead of every earlier call, so not a monotonic increment
      const value = decode(newTaskId(ms));
      expect(value >> 80n).to.equal(BigInt(ms));
      expect(value < 1n << 128n).to.equal(true);
    }
  });

  it('idAt(ms) is the smallest id of that millisecond: a creation-time range is an id range', () => {
    const id = newTaskId();
    const ms = Number([...id].reduce((n, c) => n * 57n + BigInt(ALPHABET.indexOf(c)), 0n) >> 80n);
    expect(isTaskId(idAt(ms))).to.equal(true);
    expect(idAt(ms) <= id && id < idAt(ms + 1)).to.equal(true);
    expect(idAt(ms - 1) < idAt(ms)).to.equal(true);
    expect(idAt(0)).to.equal('2'.repeat(22));
  });

  it('rejects strings that are not ids', () => {
    for (const bad of ['', 'short', '../../etc/passwd', 'O'.repeat(22), 42, null]) expect(isTaskId(bad)).to.equal(false);
  });
});
