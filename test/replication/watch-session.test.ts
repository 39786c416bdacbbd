import { describe, expect, it } from 'vitest';
import { createAccessToken } from '../../src/server/auth/access-token.ts';
import { grantKey, outsideRanges } from '../../src/replication/watch-session.ts';

const secret = 'a-test-secret-long-enough';
const mint = (workspaces: string[], at: number, subject = 'dana') =>
  createAccessToken({ secret, workspaces, ttlSeconds: 600, role: 'member', subject, now: () => at });

describe('the session watch (issue 9.5)', () => {
  it('asks again only when a refreshed token grants something else', async () => {
    const first = await mint(['w1', 'w2'], 1_700_000_000_000);
    const refreshed = await mint(['w1', 'w2'], 1_700_000_300_000);
    expect(refreshed).not.toBe(first);
    expect(grantKey(refreshed)).toBe(grantKey(first));
    expect(grantKey(await mint(['w1'], 1_700_000_300_000))).not.toBe(grantKey(first));
    expect(grantKey(await mint(['w1', 'w2'], 1_700_000_300_000, 'sam'))).not.toBe(grantKey(first));
    expect(grantKey('opaque-token')).toBe('opaque-token');
  });

  it('covers every workspace outside the granted ones with index ranges', () => {
    const ranges = outsideRanges(new Set(['w2', 'w1']));
    const outside = (ws: string) =>
      ranges.some((range) => (range['$lt'] === undefined || ws < range['$lt']) && (range['$gt'] === undefined || ws > range['$gt']));
    for (const ws of ['', 'a', 'w0', 'w1-x', 'w10', 'w3', 'zz']) expect(outside(ws)).toBe(true);
    for (const ws of ['w1', 'w2']) expect(outside(ws)).toBe(false);
    expect(outsideRanges(new Set())).toEqual([{ $gte: '' }]);
  });
});
