import { createHmac, timingSafeEqual } from 'node:crypto';
import { BrainStoreError } from '../../errors/brain-store-error.ts';
import { checkpointDatabase, type SyncCheckpoint } from '../../protocol/messages.ts';
import { checkpointKey } from '../sql/checkpoint-key.ts';
import { isValidSnapshot } from '../sql/pg-snapshot.ts';
import { serverIdentity } from '../sql/server-identity.ts';
import type { SqlExecutor } from '../sql/sql-database.ts';
import type { PullPosition } from './document-store.ts';

/**
 * Checkpoints are issued signed and read back checked (issue 23): a client stores its
 * checkpoint and sends it back, so without a check anyone could send a snapshot listing
 * 35,000 running transactions and make every pull of theirs cost 84 ms of the database.
 *
 * The signature rides in `server`, as `<database>.<signature>` (HMAC-SHA256 of the database
 * and the position, first 128 bits, base64url), with the key of migration 4: a restarted
 * server and every instance over the database check each other's. It is not a field of its
 * own because clients of the previous release check checkpoints strictly and would refuse an
 * unknown key; they store and send back `server` as it is.
 */

/** One snapshot number (xid8: at most 20 digits) and its separator. */
const CHARS_PER_XID = 21;

/** The checkpoint of a position, signed. */
export async function issueCheckpoint(db: SqlExecutor, position: PullPosition): Promise<SyncCheckpoint> {
  const [database, { key }] = await Promise.all([serverIdentity(db), checkpointKey(db)]);
  const checkpoint = { snap: position.prev, upto: position.upto, tx: position.tx, seq: position.seq };
  return { server: `${database}.${signature(key, database, checkpoint)}`, ...checkpoint };
}

/**
 * The position a checkpoint names, or null to start from the beginning (no checkpoint, or
 * one of another database: a reset or restored one). Throws BAD_REQUEST naming the
 * checkpoint, before anything costly, when it lists more running transactions than the
 * database can have, when its signature does not match, or when it is out of range.
 *
 * Unsigned checkpoints (issued before this release, `server` the bare database id) are
 * accepted within the same bound, so that an upgrade does not make every device download
 * everything again; the next pull answers them a signed one.
 */
export async function readCheckpoint(db: SqlExecutor, checkpoint: SyncCheckpoint | null): Promise<PullPosition | null> {
  if (checkpoint === null) return null;
  const { key, maxRunning } = await checkpointKey(db);
  for (const field of ['snap', 'upto'] as const) {
    const snapshot = checkpoint[field];
    if (snapshot !== null && !withinBound(snapshot, maxRunning)) {
      refuse(field, 'size', `the checkpoint lists more running transactions than this database can have (${maxRunning})`);
    }
  }
  const database = checkpointDatabase(checkpoint.server);
  if (database !== (await serverIdentity(db))) return null;
  const signed = checkpoint.server.slice(database.length + 1);
  if (signed !== '') {
    const expected = Buffer.from(signature(key, database, checkpoint));
    const actual = Buffer.from(signed);
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
      refuse('server', 'signature', 'the checkpoint was not issued by this server (its signature does not match)');
    }
  }
  if (
    BigInt(checkpoint.tx) >= 2n ** 64n ||
    BigInt(checkpoint.seq) >= 2n ** 63n ||
    !isValidSnapshot(checkpoint.snap) ||
    (checkpoint.upto !== null && !isValidSnapshot(checkpoint.upto))
  ) {
    refuse('snap', 'range', 'the checkpoint is out of range');
  }
  return { prev: checkpoint.snap, upto: checkpoint.upto, tx: checkpoint.tx, seq: checkpoint.seq };
}

function signature(key: string, database: string, checkpoint: Omit<SyncCheckpoint, 'server'>): string {
  const text = [database, checkpoint.snap, checkpoint.upto ?? '', checkpoint.tx, checkpoint.seq].join('\n');
  return createHmac('sha256', key).update(text).digest().subarray(0, 16).toString('base64url');
}

/** At most `maxRunning` running transactions: the length first, so a long list is never split. */
function withinBound(snapshot: string, maxRunning: number): boolean {
  if (snapshot.length > (maxRunning + 2) * CHARS_PER_XID) return false;
  let commas = 0;
  for (let i = snapshot.indexOf(','); i >= 0; i = snapshot.indexOf(',', i + 1)) commas++;
  return commas < maxRunning;
}

function refuse(field: keyof SyncCheckpoint, reason: 'size' | 'signature' | 'range', message: string): never {
  throw new BrainStoreError('BAD_REQUEST', {
    message,
    issues: [{ path: ['checkpoint', field], message, code: `checkpoint_${reason}` }],
  });
}
