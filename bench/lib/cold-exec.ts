import type { BrainStore } from '../../src/index.ts';
import { quiesce, timed } from './stats.ts';

/**
 * Times one read on a freshly reopened store: the store is closed and reopened before every
 * sample (empty RxDB query and document caches), `touch` runs first so the storage's own
 * open is not counted, then `read` is timed. Returns the samples (ms) and the last answer.
 */
export async function coldExec<T>(
  reopen: () => Promise<BrainStore>,
  touch: (store: BrainStore) => Promise<unknown>,
  read: (store: BrainStore) => Promise<T>,
  runs: number,
  warmups: number,
): Promise<{ samples: number[]; answer: T | undefined }> {
  const samples: number[] = [];
  let answer: T | undefined;
  for (let i = 0; i < warmups + runs; i++) {
    const store = await reopen();
    try {
      await touch(store);
      await quiesce();
      const { ms, result } = await timed(() => read(store));
      answer = result;
      if (i >= warmups) samples.push(ms);
    } finally {
      await store.close();
    }
  }
  return { samples, answer };
}
