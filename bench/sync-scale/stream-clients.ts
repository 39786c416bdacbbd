/**
 * `count` lightweight stream clients in one process (forked by the sync-scale bench): each
 * opens the SSE stream with its own client id, pulls on RESYNC and on a CHANGE poke (with
 * the client header, so the server can feed it from then on), applies CHANGES events, and
 * stamps the wall-clock time (performance.timeOrigin + now) at which each document reached it.
 */
import { createParser } from 'eventsource-parser';
import { endpoints } from '../../src/protocol/endpoints.ts';
import type { PullResponse, StreamEvent, SyncCheckpoint } from '../../src/protocol/messages.ts';
import { CLIENT_HEADER, PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../src/protocol/protocol-version.ts';

interface Setup {
  readonly type: 'setup';
  readonly urls: readonly string[];
  readonly token: string;
  readonly count: number;
  readonly prefix: string;
}
type Command = Setup | { type: 'expect'; id: string } | { type: 'stop' };

const COLLECTION = 'brainActions';
const MAX_PULL_PAGES = 50;
const OPEN_WAVE = 25;
const now = () => performance.timeOrigin + performance.now();

const aborter = new AbortController();
let expected: string | undefined;
const arrivals = new Map<string, { at: number[]; fed: number; pulled: number }>();
let pulls = 0;

function record(id: string, how: 'fed' | 'pulled'): void {
  const entry = arrivals.get(id) ?? { at: [], fed: 0, pulled: 0 };
  entry.at.push(now());
  entry[how] += 1;
  arrivals.set(id, entry);
  report();
}

let clientCount = 0;
function report(): void {
  if (expected === undefined) return;
  const entry = arrivals.get(expected);
  if (!entry || entry.at.length < clientCount) return;
  process.send?.({ type: 'arrived', id: expected, at: entry.at, fed: entry.fed, pulled: entry.pulled, pulls });
  arrivals.delete(expected);
  expected = undefined;
  pulls = 0;
}

async function runClient(url: string, token: string, clientId: string, onOpen: () => void, onReady: () => void): Promise<void> {
  const headers = { authorization: `Bearer ${token}`, [PROTOCOL_HEADER]: String(PROTOCOL_VERSION), [CLIENT_HEADER]: clientId };
  let checkpoint: SyncCheckpoint | null = null;
  let pulling: Promise<void> | undefined;
  let again = false;
  let ready = false;
  const pull = async () => {
    for (let page = 0; page < MAX_PULL_PAGES; page++) {
      pulls += 1;
      const response = await fetch(`${url}${endpoints.pull(COLLECTION)}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ checkpoint, batchSize: 1000 }),
        signal: aborter.signal,
      });
      if (!response.ok) throw new Error(`pull ${response.status}: ${await response.text()}`);
      const body = (await response.json()) as PullResponse;
      for (const doc of body.documents) record(doc.id, 'pulled');
      if (body.checkpoint) checkpoint = body.checkpoint;
      if (body.documents.length < 1000) break;
    }
  };
  const schedulePull = () => {
    if (pulling) {
      again = true;
      return;
    }
    pulling = (async () => {
      do {
        again = false;
        await pull();
      } while (again);
      pulling = undefined;
      if (!ready) {
        ready = true;
        onReady();
      }
    })().catch((error: unknown) => {
      if (!aborter.signal.aborted) console.error(`client ${clientId}: ${String(error)}`);
    });
  };
  // Bounded retries: under load a connect can fail while hundreds open at once.
  let response: Response | undefined;
  for (let attempt = 1; !response; attempt++) {
    try {
      response = await fetch(`${url}${endpoints.stream(COLLECTION)}`, {
        headers: { ...headers, accept: 'text/event-stream' },
        signal: aborter.signal,
      });
    } catch (error) {
      if (attempt >= 5 || aborter.signal.aborted) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
  if (!response.ok || !response.body) throw new Error(`stream ${response.status}`);
  onOpen();
  const parser = createParser({
    onEvent(message) {
      const event = JSON.parse(message.data) as StreamEvent;
      if (event.type === 'RESYNC' || event.type === 'CHANGE') schedulePull();
      else if (event.type === 'CHANGES') {
        // Applies only on the exact base it was cut for (as the real client does); else pull.
        if (!pulling && checkpoint !== null && checkpoint.snap === event.base && checkpoint.upto === null) {
          for (const doc of event.documents) record(doc.id, 'fed');
          checkpoint = event.checkpoint;
        } else schedulePull();
      }
    },
  });
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    parser.feed(decoder.decode(value, { stream: true }));
  }
}

process.on('message', (command: Command) => {
  if (command.type === 'setup') {
    clientCount = command.count;
    let ready = 0;
    const start = (i: number): Promise<void> =>
      new Promise((opened) => {
        const url = command.urls[i % command.urls.length]!;
        runClient(url, command.token, `${command.prefix}-${i}`, opened, () => {
          ready += 1;
          if (ready === command.count) process.send?.({ type: 'ready' });
        }).catch((error: unknown) => {
          opened();
          if (!aborter.signal.aborted) process.send?.({ type: 'error', message: String(error) });
        });
      });
    // Opened in waves of OPEN_WAVE, each after the previous wave's streams answered.
    void (async () => {
      for (let i = 0; i < command.count; i += OPEN_WAVE) {
        const wave: Promise<void>[] = [];
        for (let j = i; j < Math.min(command.count, i + OPEN_WAVE); j++) wave.push(start(j));
        await Promise.all(wave);
      }
    })();
  } else if (command.type === 'expect') {
    expected = command.id;
    pulls = 0;
    report();
  } else {
    aborter.abort();
    setTimeout(() => process.exit(0), 100).unref();
  }
});
