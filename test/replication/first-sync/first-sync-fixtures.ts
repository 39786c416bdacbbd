/** What the first-sync and resync tests share: pending actions to seed, a fetch that records and holds. */
import type { WireDocument } from '../../../src/protocol/messages.ts';
import { action as wireAction } from '../../server/fixtures.ts';

/**
 * A maker of pending actions with ids `<prefix>-0000001`, … (ascending, so time-ordered like
 * real ids): `action(priority, ageMs, overrides)` was created `ageMs` before `now` and expires a
 * day after that, so it is not expired.
 */
export function pendingActions(prefix: string, now: number) {
  let serial = 0;
  return (priority: number, ageMs = 1_000, overrides: Record<string, unknown> = {}): WireDocument => {
    serial += 1;
    return wireAction('w1', {
      id: `${prefix}-${serial.toString().padStart(7, '0')}`,
      priority,
      priority_rank: 100 - priority,
      created_at: now - ageMs,
      status_at: now - ageMs,
      expires_at: now - ageMs + 86_400_000,
      created_desc: 10_000_000_000_000 - (now - ageMs),
      ...overrides,
    });
  };
}

export interface ObservedFetch {
  readonly fetch: (input: string, init?: RequestInit) => Promise<Response>;
  /** Every request's path and JSON body, in the order sent. */
  readonly bodies: { path: string; body: Record<string, unknown> }[];
  /** Lets the held request go on. */
  readonly release: () => void;
  /** Resolves once the request to hold has been sent (and is being held). */
  readonly holding: Promise<void>;
}

/** A fetch that records request bodies by path and holds the first request matching `hold` until released. */
export function observedFetch(hold?: (path: string, body: Record<string, unknown>) => boolean): ObservedFetch {
  const bodies: { path: string; body: Record<string, unknown> }[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let reached!: () => void;
  const holding = new Promise<void>((resolve) => (reached = resolve));
  let held = false;
  const fetchImpl = async (input: string, init?: RequestInit) => {
    const path = new URL(input).pathname;
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : {};
    bodies.push({ path, body });
    if (hold && !held && hold(path, body)) {
      held = true;
      reached();
      await released;
    }
    return fetch(input, init);
  };
  return { fetch: fetchImpl, bodies, release, holding };
}
