import type { Context } from 'hono';
import { toIssues } from '../../collections/declare-collection.ts';
import { BrainStoreError } from '../../errors/brain-store-error.ts';
import { pullRequestSchema, type PullResponse } from '../../protocol/messages.ts';
import { MAX_PULL_BATCH } from '../../protocol/endpoints.ts';
import type { AccessClaims } from '../auth/access-token.ts';
import { pullPage } from '../documents/document-store.ts';
import type { HostedCollection } from '../documents/hosted-collections.ts';
import { toWire } from '../documents/push-documents.ts';
import type { ServerContext } from '../server-context.ts';

/**
 * Set on a pull that returned less than a batch while rows of the caller's workspaces wait
 * above the snapshot horizon (a transaction anywhere in the cluster is still open below them).
 */
export const WITHHELD_HEADER = 'brain-store-withheld';

/** The workspaces of the token this collection can hold (a collection without a workspace field holds one). */
export function readableWorkspaces(collection: HostedCollection, claims: AccessClaims): string[] {
  if (collection.workspaceField === null) return claims.workspaces.has(collection.fixedWorkspace) ? [collection.fixedWorkspace] : [];
  return [...claims.workspaces];
}

/** POST /sync/:collection/pull — documents after the checkpoint, in checkpoint order. */
export async function handlePull(
  c: Context,
  ctx: ServerContext,
  collection: HostedCollection,
  claims: AccessClaims,
  body: unknown,
): Promise<Response> {
  const parsed = pullRequestSchema.safeParse(body);
  if (!parsed.success) {
    throw new BrainStoreError('BAD_REQUEST', {
      message: `the pull body must be { checkpoint: { tx, seq } | null, batchSize: 1..${MAX_PULL_BATCH} }`,
      issues: toIssues(parsed.error).slice(0, 20),
    });
  }
  const { checkpoint, batchSize } = parsed.data;
  // The schema bounds digits; the SQL types bound values (xid8 is unsigned 64-bit, seq a bigint).
  if (checkpoint && (BigInt(checkpoint.tx) >= 2n ** 64n || BigInt(checkpoint.seq) >= 2n ** 63n)) {
    throw new BrainStoreError('BAD_REQUEST', { message: 'the checkpoint is out of range', parameters: { checkpoint } });
  }
  const workspaces = readableWorkspaces(collection, claims);
  const page =
    workspaces.length === 0
      ? { rows: [], withheld: false }
      : await pullPage(ctx.db, { collection: collection.name, workspaces, after: checkpoint ?? { tx: '0', seq: '0' }, limit: batchSize });
  // Rows above the horizon become visible when an older transaction ends, which may send no
  // notice (a rollback, a foreign transaction): poke this puller again shortly.
  if (page.withheld && page.rows.length < batchSize) {
    ctx.hub.pokeLater(collection.name, workspaces, ctx.withheldRetryMs);
    // Informational, outside the JSON protocol: "more is committed or committing; a poke follows".
    c.header(WITHHELD_HEADER, '1');
  }
  const last = page.rows.at(-1);
  const response: PullResponse = {
    documents: page.rows.map(toWire),
    checkpoint: last ? { tx: last.tx, seq: last.seq } : checkpoint,
  };
  ctx.metrics.pulls.inc({ collection: collection.name });
  ctx.metrics.pulledDocuments.inc({ collection: collection.name }, response.documents.length);
  return c.json(response);
}
