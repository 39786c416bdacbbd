/**
 * What load-driver.ts and load-child.ts say to each other, and the digest both sides use to
 * compare a client's data with the server's.
 */
import { createHash } from 'node:crypto';

export type ChildCommand =
  | { type: 'open'; clients: { name: string; url: string }[]; token: string; workspace: string; retryTime: number }
  /** Store k of the process starts at startAt + offsets[k] (paced writers spread over the interval). */
  | { type: 'write'; writes: number; startAt: number; intervalMs: number; offsets: number[] }
  | { type: 'progress' }
  | { type: 'report' }
  | { type: 'stop' };

/** One store's writes: ids in order, when each was written and when the server acknowledged it (epoch ms). */
export interface StoreWrites {
  readonly name: string;
  readonly ids: string[];
  readonly writtenAt: number[];
  readonly acknowledgedAt: number[];
}

/** One store's view after the run. */
export interface ClientReport {
  readonly name: string;
  /** [action id, when its `$` first emitted it]. */
  readonly seen: [string, number][];
  readonly count: number;
  /** dataDigest of its actions in the workspace. */
  readonly digest: string;
}

/** JSON with object keys sorted at every level (PostgreSQL's jsonb reorders keys). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * SHA-256 of the documents sorted by id, every field but RxDB's `_` metadata: equal digests
 * mean the same documents with the same contents.
 */
export function dataDigest(docs: readonly Record<string, unknown>[]): string {
  const stripped = docs
    .map((doc) => Object.fromEntries(Object.entries(doc).filter(([key]) => !key.startsWith('_'))))
    .sort((a, b) => (String(a['id']) < String(b['id']) ? -1 : 1));
  return createHash('sha256').update(canonical(stripped)).digest('hex');
}
