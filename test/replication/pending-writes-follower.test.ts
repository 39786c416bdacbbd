import { afterEach, describe, expect, it } from 'vitest';
import { PendingWrites } from '../../src/replication/pending-writes.ts';

/** Resolves to 'settled' or 'waiting' after the channel's messages have had time to arrive. */
async function state(promise: Promise<void>): Promise<'settled' | 'waiting'> {
  let settled = false;
  void promise.then(() => (settled = true));
  // BroadcastChannel delivers on a later macrotask.
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setTimeout(resolve, 10));
  return settled ? 'settled' : 'waiting';
}

describe('PendingWrites in a tab that does not replicate', () => {
  const trackers: PendingWrites[] = [];
  afterEach(() => trackers.splice(0).forEach((tracker) => tracker.stop()));
  const tracker = (channel: string, isLeader: () => boolean) => {
    const made = new PendingWrites('id', { channel, isLeader });
    trackers.push(made);
    return made;
  };

  // Found by the Chromium store benchmark: a fresh page's awaitInSync() resolved at once, with
  // nothing pulled, because a tab not yet leader with nothing pending counted as "in sync".
  it('is not in sync before any replicating tab has spoken, and is once the leader reports a sync', async () => {
    const channel = `pending-${Math.random()}`;
    const follower = tracker(channel, () => false);
    const settled = follower.settledAsFollower();
    expect(await state(settled)).toBe('waiting');

    let leads = false;
    const leader = tracker(channel, () => leads);
    leads = true;
    leader.synced(Date.now());
    expect(await state(settled)).toBe('settled');
  });

  it('a newcomer that finds a leader hears its snapshot and settles when nothing is pending', async () => {
    const channel = `pending-${Math.random()}`;
    tracker(channel, () => true);
    const newcomer = tracker(channel, () => false);
    expect(await state(newcomer.settledAsFollower())).toBe('settled');
  });
});
