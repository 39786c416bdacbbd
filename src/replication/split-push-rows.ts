import type { PushRow } from '../protocol/messages.ts';
import { utf8Length } from '../protocol/utf8-length.ts';

/** Bytes of a push body besides its rows: `{"rows":[` … `]}` and the commas, with room to spare. */
const ENVELOPE_BYTES = 1_024;

export interface PushBatches {
  /** Rows grouped so that each body stays under the limit, in their original order. */
  readonly batches: PushRow[][];
  /** Rows that exceed the limit on their own: no push can ever carry them. */
  readonly oversized: PushRow[];
}

/**
 * Splits push rows into bodies of at most `maxBodyBytes` (issue 23): twelve 1 MB summaries
 * against an 8 MB limit go as two pushes instead of one refused with TOO_LARGE and retried
 * for ever, holding back every later write. A row too large alone is set apart: the caller
 * records it as rejected instead of retrying it.
 *
 * @example
 * const { batches, oversized } = splitPushRows(rows, client.maxBodyBytes);
 */
export function splitPushRows(rows: readonly PushRow[], maxBodyBytes: number): PushBatches {
  const budget = maxBodyBytes - ENVELOPE_BYTES;
  const batches: PushRow[][] = [];
  const oversized: PushRow[] = [];
  let current: PushRow[] = [];
  let size = 0;
  for (const row of rows) {
    const bytes = utf8Length(JSON.stringify(row)) + 1;
    if (bytes > budget) {
      oversized.push(row);
      continue;
    }
    if (size + bytes > budget && current.length > 0) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(row);
    size += bytes;
  }
  if (current.length > 0) batches.push(current);
  return { batches, oversized };
}
