import type { FetchLike } from '../../src/replication/sync-http-client.ts';

/** One pull or push request as the client saw it: from the call to the response headers. */
export interface RequestRecord {
  readonly kind: 'pull' | 'push';
  readonly collection: string;
  readonly start: number;
  /** performance.now() when the response headers arrived (the server answers after its work). */
  end: number;
}

/**
 * A fetch for replicateBrainStore that records every pull and push (streams are not
 * recorded: they stay open). The time to the response headers covers the server's handler
 * (hono, token check, SQL, JSON) and the loopback transport; the client's JSON parse of the
 * body comes after.
 */
export class MeteredFetch {
  readonly records: RequestRecord[] = [];
  readonly fetch: FetchLike = async (input, init) => {
    const match = /\/sync\/([^/]+)\/(pull|push)$/.exec(new URL(input).pathname);
    if (!match) return fetch(input, init);
    const record: RequestRecord = {
      kind: match[2] as 'pull' | 'push',
      collection: decodeURIComponent(match[1]!),
      start: performance.now(),
      end: Number.NaN,
    };
    this.records.push(record);
    try {
      return await fetch(input, init);
    } finally {
      record.end = performance.now();
    }
  };

  /** Total ms waiting for responses of `kind`, and how many requests. */
  total(kind: 'pull' | 'push'): { requests: number; ms: number } {
    let ms = 0;
    let requests = 0;
    for (const record of this.records) {
      if (record.kind !== kind) continue;
      requests += 1;
      ms += record.end - record.start;
    }
    return { requests, ms };
  }

  reset(): void {
    this.records.length = 0;
  }
}
