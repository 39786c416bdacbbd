import { DAY_MS, MAX_TIME } from '../../src/collections/fields.ts';
import { endpoints } from '../../src/protocol/endpoints.ts';
import type { PullResponse, PushResponse, StreamEvent, SyncCheckpoint, WireDocument } from '../../src/protocol/messages.ts';
import type { StoredDocument } from '../../src/server/documents/document-store.ts';

export const T0 = 1_700_000_000_000;
let counter = 0;

/** Wire documents as rows of the documents table (insertDocuments, updateDocuments); `deleted`: as tombstones. */
export function storedRows(docs: readonly WireDocument[], deleted = false): StoredDocument[] {
  return docs.map(({ _deleted, ...doc }) => ({ ws: doc['workspace_id'] as string, id: doc.id, doc, deleted: deleted || _deleted }));
}

/** A valid pending action (wire form) in `ws`. */
export function action(ws: string, overrides: Record<string, unknown> = {}): WireDocument {
  counter += 1;
  const created = (overrides['created_at'] as number | undefined) ?? T0;
  const priority = (overrides['priority'] as number | undefined) ?? 50;
  return {
    id: `a-${counter.toString().padStart(6, '0')}`,
    workspace_id: ws,
    contact_id: 'c1',
    action_type: 'follow_up',
    priority,
    urgency: 'today',
    reason: 'follow up',
    status: 'pending',
    status_at: created,
    created_at: created,
    expires_at: created + DAY_MS,
    snoozed_until: 0,
    priority_rank: 100 - priority,
    created_desc: MAX_TIME - created,
    _deleted: false,
    ...overrides,
  };
}

/** A valid daily summary (wire form) in w1, created at `created`. */
export function summary(id: string, created: number): WireDocument {
  return {
    id,
    workspace_id: 'w1',
    summary_text: 't',
    summary_type: 'daily',
    trigger: 'cron',
    metrics: { newLeadsCount: 1, hotLeadsCount: 0, warmLeadsCount: 0, coldLeadsCount: 0 },
    created_at: created,
    created_desc: MAX_TIME - created,
    _deleted: false,
  };
}

interface HttpResult<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** A bare protocol client over fetch, for tests. */
export function client(url: string, token: string | undefined) {
  const call = async <T>(path: string, body: unknown, init: RequestInit = {}): Promise<HttpResult<T>> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers['authorization'] = `Bearer ${token}`;
    const response = await fetch(url + path, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
      ...init,
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, headers: response.headers };
  };
  return {
    call,
    pull: (collection: string, checkpoint: SyncCheckpoint | null, batchSize = 100) =>
      call<PullResponse>(endpoints.pull(collection), { checkpoint, batchSize }),
    push: (collection: string, rows: { newDocumentState: unknown; assumedMasterState?: unknown }[]) =>
      call<PushResponse>(endpoints.push(collection), { rows }),
    /**
     * Pulls every page until an empty one; returns the documents in order, the pages' sizes
     * and the checkpoint after the last document (as RxDB keeps it: an empty page is not stored).
     */
    async pullAll(collection: string, batchSize = 100, from: SyncCheckpoint | null = null) {
      const documents: WireDocument[] = [];
      const pages: number[] = [];
      let checkpoint = from;
      for (;;) {
        const { status, body } = await call<PullResponse>(endpoints.pull(collection), { checkpoint, batchSize });
        if (status !== 200) throw new Error(`pull failed: ${status} ${JSON.stringify(body)}`);
        if (body.documents.length === 0) return { documents, pages, checkpoint };
        documents.push(...body.documents);
        pages.push(body.documents.length);
        checkpoint = body.checkpoint;
      }
    },
  };
}

/** Opens an SSE stream and queues its events. */
/**
 * Opens a change stream and collects its events. `headers` add to the request (a client id,
 * an origin); `viaQuery` passes the token in the query string instead of the header.
 * `frames` keeps each frame's raw text, for tests of the wire format.
 */
export async function openStream(
  url: string,
  collection: string,
  token: string | undefined,
  options: { viaQuery?: boolean; headers?: Record<string, string> } = {},
) {
  const { viaQuery = false, headers = {} } = options;
  const controller = new AbortController();
  const target = url + endpoints.stream(collection) + (viaQuery && token ? `?token=${encodeURIComponent(token)}` : '');
  const response = await fetch(target, {
    headers: { ...(token && !viaQuery ? { authorization: `Bearer ${token}` } : {}), ...headers },
    signal: controller.signal,
  });
  const frames: string[] = [];
  const events: StreamEvent[] = [];
  /** Every event in arrival order (`events` loses those `next` consumed). */
  const seen: StreamEvent[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const pump = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          frames.push(block);
          const data = block
            .split('\n')
            .filter((line) => line.startsWith('data: '))
            .map((line) => line.slice(6))
            .join('\n');
          if (data) {
            const event = JSON.parse(data) as StreamEvent;
            events.push(event);
            seen.push(event);
          }
          wake?.();
        }
      }
    } catch {
      // aborted
    } finally {
      ended = true;
      wake?.();
    }
  })();
  return {
    response,
    events,
    frames,
    get ended() {
      return ended;
    },
    /** Waits until an event of `type` arrives (after the ones already consumed) and consumes up to it. */
    async next(type: StreamEvent['type'], timeoutMs = 5_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = events.findIndex((event) => event.type === type);
        if (index >= 0) {
          events.splice(0, index + 1);
          return;
        }
        if (ended) throw new Error(`stream ended while waiting for ${type}`);
        if (Date.now() > deadline) throw new Error(`no ${type} within ${timeoutMs} ms; got ${JSON.stringify(events)}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
    },
    /** The first event (consumed or not) that passes `test`, waiting up to 10 s for it. */
    async firstMatching(test: (event: StreamEvent) => boolean, timeoutMs = 10_000): Promise<StreamEvent> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = seen.find(test);
        if (found) return found;
        if (ended) throw new Error(`stream ended; got ${JSON.stringify(seen).slice(0, 500)}`);
        if (Date.now() > deadline) throw new Error(`no such event within ${timeoutMs} ms; got ${JSON.stringify(seen).slice(0, 500)}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
    },
    async waitEnded(timeoutMs = 5_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!ended) {
        if (Date.now() > deadline) throw new Error('stream did not end');
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
    },
    async close() {
      controller.abort();
      await pump;
    },
  };
}
