import type { PushRow } from '../protocol/messages.ts';
import { utf8Length } from '../protocol/utf8-length.ts';

/** Bytes of a push body besides its rows: `{"rows":[` … `]}` and the commas, with room to spare. */
const ENVELOPE_BYTES = 1_024;

export interface PushBatches<Row> {
  /** Rows grouped so that each body stays under the limit, in their original order. */
  readonly batches: Row[][];
  /** Rows that exceed the limit on their own: no push can ever carry them. */
  readonly oversized: Row[];
}

/**
 * Splits push rows into bodies of at most `maxBodyBytes` (issue 23): twelve 1 MB summaries
 * against an 8 MB limit go as two pushes instead of one refused with TOO_LARGE and retried
 * for ever, holding back every later write. A row too large alone is set apart: the caller
 * records it as rejected instead of retrying it.
 *
 * @example
 * const { batches, oversized } = splitPushRows(rows, (row) => row.wire, client.maxBodyBytes);
 */
export function splitPushRows<Row>(rows: readonly Row[], wire: (row: Row) => PushRow, maxBodyBytes: number): PushBatches<Row> {
  const budget = maxBodyBytes - ENVELOPE_BYTES;
  const batches: Row[][] = [];
  const oversized: Row[] = [];
  let current: Row[] = [];
  let size = 0;
  for (const row of rows) {
    const bytes = utf8Length(JSON.stringify(wire(row))) + 1;
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
