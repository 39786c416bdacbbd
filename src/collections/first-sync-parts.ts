/**
 * What a first sync brings before the rest, declared per collection beside its other rules
 * and read by both sides: the server turns a part into SQL (src/server/documents/
 * first-sync-pages.ts), the client and the tests into a filter and a comparator (below).
 *
 * A first sync of a collection walks, per workspace of the token, each declared part in
 * order — the head of a queue, one request, at most `limit` documents — and then the rest:
 * every live document, newest id first (ids are time-ordered UUIDv7), in pages. A document
 * of a head part comes again in the rest; the client keeps the copy it already has.
 */

/** A top-level field of the stored document, as the server's SQL may name it. */
export const PART_FIELD = /^[a-z_][a-z0-9_]{0,63}$/;

export interface FirstSyncOrderKey {
  readonly field: string;
  readonly direction: 'asc' | 'desc';
  /** How the field compares: numbers numerically, strings by code unit (as PostgreSQL's "C" collation on ASCII). */
  readonly type: 'number' | 'string';
}

export interface FirstSyncPart {
  /** Named in requests and in progress reports (`urgent`, `latest`). */
  readonly name: string;
  /** Equality filters on top-level string fields: the part holds documents matching all of them. */
  readonly where: Readonly<Record<string, string>>;
  /** Most important first; ties end on the id, ascending (as RxDB's queries end on the primary key). */
  readonly order: readonly FirstSyncOrderKey[];
  /** How many documents the part holds at most (the head of the queue); 1..5000. */
  readonly limit: number;
  /**
   * The same order over fields a local index covers (ties on the id follow), for a device's
   * reads of its own head (a resync's `held` rounds): without it the store sorts every
   * document matching `where` in memory. Must sort exactly as `order` does (tested).
   */
  readonly localSort?: readonly { readonly field: string; readonly direction: 'asc' | 'desc' }[];
}

/** The part every first sync ends with: every live document, pages by id descending. */
export const REST_PART = 'rest';

/** Whether a document belongs to a part (its filter), as the server's SQL decides it. */
export function matchesPart(part: FirstSyncPart, doc: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(part.where).every(([field, value]) => doc[field] === value);
}

/** Sorts documents of a part the way the server sends them: the part's order, then id ascending (as RxDB ends every sort). */
export function comparePartOrder(
  part: FirstSyncPart,
): (a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>) => number {
  return (a, b) => {
    for (const key of part.order) {
      const difference = compareValues(a[key.field], b[key.field], key.type);
      if (difference !== 0) return key.direction === 'asc' ? difference : -difference;
    }
    return compareValues(a['id'], b['id'], 'string');
  };
}

function compareValues(a: unknown, b: unknown, type: 'number' | 'string'): number {
  if (type === 'number') return Number(a) - Number(b);
  const left = String(a);
  const right = String(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Checks a declaration once at load: fields the SQL can name safely, a bounded limit, unique names. */
export function checkFirstSyncParts(parts: readonly FirstSyncPart[]): readonly FirstSyncPart[] {
  const names = new Set<string>([REST_PART]);
  for (const part of parts) {
    const fields = [...Object.keys(part.where), ...part.order.map((key) => key.field), ...(part.localSort ?? []).map((key) => key.field)];
    const bad = fields.find((field) => !PART_FIELD.test(field));
    if (bad !== undefined || names.has(part.name) || !Number.isInteger(part.limit) || part.limit < 1 || part.limit > 5_000) {
      throw new Error(`first-sync part "${part.name}" is not valid (field ${bad ?? '-'}, limit ${part.limit})`);
    }
    names.add(part.name);
  }
  return parts;
}
