import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BehaviorSubject } from 'rxjs';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { pushOnLeave, type LastChancePage } from '../../src/replication/leadership/last-chance-push.ts';
import { pushOutbox } from '../../src/replication/leadership/outbox.ts';
import type { PushRow } from '../../src/protocol/messages.ts';

/**
 * Leaving with unsynced writes (issue 18.3), on fake-indexeddb with a stand-in page: the
 * outbox the service worker sends from holds the unanswered rows and the headers to send
 * them with — the token included — and a hidden page tries once more with keepalive.
 */
const URL_ = 'http://sync.test/sync/brainActions/push';
const row = (id: string): PushRow => ({ newDocumentState: { id, status: 'actioned' } }) as unknown as PushRow;

function standInPage() {
  const document: EventTarget & { visibilityState: DocumentVisibilityState } = Object.assign(new EventTarget(), {
    visibilityState: 'visible' as const,
  });
  const window = new EventTarget();
  const indexedDB = new IDBFactory();
  const sent: { url: string; init: RequestInit }[] = [];
  const fetch = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
    sent.push({ url: url instanceof Request ? url.url : url.toString(), init: init ?? {} });
    return new Response(JSON.stringify({ conflicts: [] }), { status: 200 });
  });
  const page: LastChancePage = {
    document,
    window,
    indexedDB,
    fetch,
    serviceWorker: undefined,
  };
  const hide = () => {
    document.visibilityState = 'hidden';
    document.dispatchEvent(new Event('visibilitychange'));
  };
  return { page, indexedDB, sent, hide };
}

/** Resolves when `promise`-returning work has had its turn (IndexedDB in fake-indexeddb runs on timers). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('pushOnLeave: the outbox and the keepalive push', () => {
  beforeEach(() => vi.stubGlobal('IDBKeyRange', IDBKeyRange));
  afterEach(() => vi.unstubAllGlobals());

  it('an unanswered push before the headers are known still fills the outbox, with the token', async () => {
    const { page, indexedDB } = standInPage();
    let giveHeaders!: (headers: Record<string, string>) => void;
    const unsent = [row('a1')];
    const leave = pushOnLeave(
      {
        store: 'dash',
        leading$: new BehaviorSubject(true),
        pending$: new BehaviorSubject(1),
        collections: [{ url: URL_, unsentRows: () => unsent }],
        headers: () => new Promise((resolve) => (giveHeaders = resolve)),
      },
      page,
    );
    // Offline: the push gets no answer at once, while the token is still being asked for.
    leave.unanswered();
    giveHeaders({ authorization: 'Bearer t0k3n', 'x-brain-protocol': '2' });
    await settle();
    // The service worker sends exactly what the page left, with the token.
    const sent: { url: string; init?: RequestInit }[] = [];
    const result = await pushOutbox(indexedDB, async (url, init) => {
      sent.push({ url: url instanceof Request ? url.url : url.toString(), ...(init ? { init } : {}) });
      return new Response('{"conflicts":[]}', { status: 200 });
    });
    expect(result).toEqual({ sent: 1 });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe(URL_);
    expect(sent[0]!.init?.headers).toMatchObject({ authorization: 'Bearer t0k3n', 'content-type': 'application/json' });
    expect(JSON.parse(sent[0]!.init?.body as string)).toEqual({ rows: unsent });
    // Sent: the outbox is empty.
    expect(await pushOutbox(indexedDB, () => Promise.reject(new Error('nothing to send')))).toEqual({ sent: 0 });
    leave.stop();
  });

  it('a page that hides with writes pending sends them once more with keepalive; none pending, nothing is sent', async () => {
    const { page, sent, hide } = standInPage();
    const pending$ = new BehaviorSubject(0);
    const unsent = [row('b1'), row('b2')];
    const leave = pushOnLeave(
      {
        store: 'dash',
        leading$: new BehaviorSubject(true),
        pending$,
        collections: [{ url: URL_, unsentRows: () => unsent }],
        headers: async () => ({ authorization: 'Bearer t0k3n' }),
      },
      page,
    );
    hide();
    expect(sent).toEqual([]);
    pending$.next(2);
    await settle();
    hide();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.init).toMatchObject({ method: 'POST', keepalive: true, headers: { authorization: 'Bearer t0k3n' } });
    expect(JSON.parse(sent[0]!.init.body as string)).toEqual({ rows: unsent });
    leave.stop();
  });

  it('everything acknowledged: the outbox is emptied, so the worker sends nothing stale', async () => {
    const { page, indexedDB } = standInPage();
    const pending$ = new BehaviorSubject(1);
    const leave = pushOnLeave(
      {
        store: 'dash',
        leading$: new BehaviorSubject(true),
        pending$,
        collections: [{ url: URL_, unsentRows: () => [row('c1')] }],
        headers: async () => ({ authorization: 'Bearer t0k3n' }),
      },
      page,
    );
    leave.unanswered();
    await settle();
    pending$.next(0);
    await settle();
    expect(await pushOutbox(indexedDB, () => Promise.reject(new Error('nothing to send')))).toEqual({ sent: 0 });
    leave.stop();
  });
});
