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

  it('rejects strings that are not ids', () => {
    for (const bad of ['', 'short', '../../etc/passwd', 'O'.repeat(22), 42, null]) expect(isTaskId(bad)).to.equal(false);
  });
});
