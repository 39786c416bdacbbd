/**
 * A PostgreSQL snapshot (`pg_snapshot`) in its text form `xmin:xmax:xip,xip,…`: every
 * transaction id below xmin had ended, none at or above xmax had started, and those listed
 * in xip were still running. A transaction is "visible" in it when it had ended by then.
 */

/** Sees no transaction at all: the checkpoint of a client that has nothing yet. */
export const EMPTY_SNAPSHOT = '1:1:';

const MAX_XID8 = 2n ** 64n;

/**
 * Whether `text` is a snapshot PostgreSQL would accept (0 < xmin ≤ xmax, xip ascending in
 * [xmin, xmax)), so a forged checkpoint is a BAD_REQUEST rather than an SQL error.
 */
export function isValidSnapshot(text: string): boolean {
  const parts = text.split(':');
  if (parts.length !== 3 || !/^\d+$/.test(parts[0]!) || !/^\d+$/.test(parts[1]!)) return false;
  const xmin = BigInt(parts[0]!);
  const xmax = BigInt(parts[1]!);
  if (xmin === 0n || xmin > xmax || xmax >= MAX_XID8) return false;
  if (parts[2] === '') return true;
  let last = xmin - 1n;
  for (const item of parts[2]!.split(',')) {
    if (!/^\d+$/.test(item)) return false;
    const xid = BigInt(item);
    if (xid <= last || xid >= xmax) return false;
    last = xid;
  }
  return true;
}
