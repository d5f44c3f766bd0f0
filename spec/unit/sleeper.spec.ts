// The worker loop's sleep (lib/sleeper.ts): a wake-up that comes while the loop is busy is kept for
// its next sleep, used once, and a wake-up during a sleep ends it.
import { expect } from 'chai';
import { Sleeper } from '../../lib/sleeper';
import { turns } from '../support/wait';

/** 'woke' if the sleep ended within a few turns of the event loop, else 'asleep'. */
function endsSoon(sleep: Promise<void>): Promise<'woke' | 'asleep'> {
  return Promise.race([sleep.then(() => 'woke' as const), turns().then(() => 'asleep' as const)]);
}

describe('sleeper', () => {
  it('keeps a wake-up that comes before the sleep: the next sleep returns at once', async () => {
    const sleeper = new Sleeper();
    sleeper.wake();
    expect(await endsSoon(sleeper.sleep(60_000))).to.equal('woke');
  });

  it('uses a kept wake-up once, however many came', async () => {
    const sleeper = new Sleeper();
    sleeper.wake();
    sleeper.wake();
    await sleeper.sleep(60_000);
    const second = sleeper.sleep(60_000);
    expect(await endsSoon(second)).to.equal('asleep');
    sleeper.wake();
    expect(await endsSoon(second)).to.equal('woke');
  });

  it('ends a sleep in progress on wake-up', async () => {
    const sleeper = new Sleeper();
    const sleep = sleeper.sleep(60_000);
    expect(await endsSoon(sleep)).to.equal('asleep');
    sleeper.wake();
    expect(await endsSoon(sleep)).to.equal('woke');
    // That wake-up was spent on the sleep it ended: the next one waits.
    const next = sleeper.sleep(60_000);
    expect(await endsSoon(next)).to.equal('asleep');
    sleeper.wake();
    await next;
  });

  it('ends a sleep after its time when nobody wakes it', async () => {
    const sleeper = new Sleeper();
    const started = Date.now();
    await sleeper.sleep(20);
    expect(Date.now() - started).to.be.at.least(19);
  });
});
