import { afterAll, describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../../src/protocol/messages.ts';
import { ChangeFeed, type FeedSink } from '../../../src/server/fanout/change-feed.ts';
import { startTestServer } from '../../helpers/sync-server.ts';
import { action, client } from '../fixtures.ts';

const decoder = new TextDecoder();

/** A stream as the feed sees it, caught up at the feed's position, recording the frames it is given. */
function sink(workspaces: readonly string[], base: string) {
  const frames: Uint8Array[] = [];
  let pokes = 0;
  const value: FeedSink & { frames: Uint8Array[]; pokes(): number } = {
    workspaces: new Set(workspaces),
    feed: { base, covered: null, pulling: 0 },
    change: () => void (pokes += 1),
    deliver(frame) {
      frames.push(frame);
      return true;
    },
    frames,
    pokes: () => pokes,
  };
  return value;
}

function decode(frame: Uint8Array): Extract<StreamEvent, { type: 'CHANGES' }> {
  const text = decoder.decode(frame);
  expect(text.startsWith('data: ') && text.endsWith('\n\n')).toBe(true);
  const event = JSON.parse(text.slice(6)) as StreamEvent;
  if (event.type !== 'CHANGES') throw new Error(`not a CHANGES event: ${text}`);
  return event;
}

/** Issue 10 item 6 (1,000 streams): an event is encoded once per step and workspace set, not once per stream. */
describe('change feed frames', () => {
  const servers: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const server of servers) await server.close();
  });

  it('streams with the same workspaces and base share one encoded frame; each gets only its workspaces', async () => {
    const server = await startTestServer({ backend: 'pglite' });
    servers.push(server);
    const writer = client(server.url, await server.token(['t1', 't2', 't3']));
    const sinks = {
      first: sink(['t1'], 'b0'),
      second: sink(['t1'], 'b0'),
      // Same workspaces, another base: the same documents, its own frame (the base differs).
      elsewhere: sink(['t1'], 'b1'),
      other: sink(['t2'], 'b0'),
      both: sink(['t2', 't1'], 'b0'),
      none: sink(['t3'], 'b0'),
    };
    const feed = new ChangeFeed(
      server.sql,
      'brainActions',
      () => Object.values(sinks),
      (error) => {
        throw error;
      },
    );
    await feed.step();
    const start = feed.position;
    expect(start).not.toBeNull();
    for (const each of Object.values(sinks)) each.feed.covered = start;

    const mine = action('t1');
    const theirs = action('t2');
    expect((await writer.push('brainActions', [{ newDocumentState: mine }, { newDocumentState: theirs }])).status).toBe(200);
    await feed.step();

    const ids = (frame: Uint8Array) => decode(frame).documents.map((doc) => doc.id);
    expect(sinks.first.frames).toHaveLength(1);
    // The very same bytes, not an equal copy: encoded once for both streams.
    expect(sinks.second.frames[0]).toBe(sinks.first.frames[0]);
    expect(ids(sinks.first.frames[0]!)).toEqual([mine.id]);
    expect(decode(sinks.first.frames[0]!).base).toBe('b0');
    expect(decode(sinks.first.frames[0]!).checkpoint.snap).toBe(feed.position);

    expect(sinks.elsewhere.frames[0]).not.toBe(sinks.first.frames[0]);
    expect(decode(sinks.elsewhere.frames[0]!).base).toBe('b1');
    expect(ids(sinks.elsewhere.frames[0]!)).toEqual([mine.id]);

    expect(ids(sinks.other.frames[0]!)).toEqual([theirs.id]);
    expect(ids(sinks.both.frames[0]!).sort()).toEqual([mine.id, theirs.id].sort());
    expect(sinks.none.frames).toHaveLength(0);
    expect(Object.values(sinks).map((each) => each.pokes())).toEqual([0, 0, 0, 0, 0, 0]);
    // Every fed stream now stands at the feed's position, its base moved there.
    for (const each of [sinks.first, sinks.second, sinks.elsewhere, sinks.other, sinks.both]) expect(each.feed.base).toBe(feed.position);
  }, 60_000);
});
