import { requestError } from '../wire-error-response.ts';

/** Who opens a stream: the token's subject (if any), the token itself, the client and collection. */
export interface StreamOwner {
  readonly subject: string | undefined;
  readonly token: string;
  readonly clientId: string | undefined;
  readonly collection: string;
}

export interface StreamCap {
  /**
   * Admits a stream, or throws RATE_LIMITED (429, retry in 30 s) when its subject or token
   * holds `max` already. The same client's earlier stream of the same collection is closed
   * first (`close` of that one is called): a reconnect whose old connection the server has
   * not noticed dead yet replaces it instead of counting twice. Returns the release.
   */
  admit(owner: StreamOwner, close: () => void): () => void;
  /** Streams held by a key (`s:<subject>` or `t:<token>`), for tests and metrics. */
  held(key: string): number;
}

interface Entry {
  readonly keys: readonly string[];
  readonly replaceKey: string | undefined;
  readonly close: () => void;
}

/**
 * Streams per subject and per token (issue 23). One member token held 20,000 streams
 * before (RSS 133 → 501 MB, then EMFILE for every tenant): the per-token rate limit slowed
 * opening, not holding.
 *
 * @example
 * const cap = createStreamCap(10);
 * const release = cap.admit({ subject, token, clientId, collection }, closeThisStream);
 */
export function createStreamCap(max: number): StreamCap {
  const byKey = new Map<string, Set<Entry>>();
  const byClient = new Map<string, Entry>();
  const release = (entry: Entry): void => {
    for (const key of entry.keys) {
      const set = byKey.get(key);
      set?.delete(entry);
      if (set?.size === 0) byKey.delete(key);
    }
    if (entry.replaceKey !== undefined && byClient.get(entry.replaceKey) === entry) byClient.delete(entry.replaceKey);
  };
  return {
    admit(owner, close) {
      const keys = [`t:${owner.token}`, ...(owner.subject === undefined ? [] : [`s:${owner.subject}`])];
      const replaceKey = owner.clientId === undefined ? undefined : JSON.stringify([keys.at(-1), owner.clientId, owner.collection]);
      const previous = replaceKey === undefined ? undefined : byClient.get(replaceKey);
      if (previous) {
        release(previous);
        previous.close();
      }
      for (const key of keys) {
        if ((byKey.get(key)?.size ?? 0) >= max) {
          throw requestError(
            'RATE_LIMITED',
            `at most ${max} change streams per token and per subject are open at once; close one or retry later`,
            {
              retryAfterSeconds: 30,
              maxStreams: max,
            },
          );
        }
      }
      const entry: Entry = { keys, replaceKey, close };
      for (const key of keys) {
        let set = byKey.get(key);
        if (!set) byKey.set(key, (set = new Set()));
        set.add(entry);
      }
      if (replaceKey !== undefined) byClient.set(replaceKey, entry);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        release(entry);
      };
    },
    held: (key) => byKey.get(key)?.size ?? 0,
  };
}
