import type { Context } from 'hono';
import { badBody } from './wire-error-response.ts';
import { pullRequestSchema, type PullResponse } from '../../protocol/messages.ts';
import { MAX_PULL_BATCH } from '../../protocol/endpoints.ts';
import type { AccessClaims } from '../auth/access-token.ts';
import { pullPage, type PullPosition } from '../documents/document-store.ts';
import type { HostedCollection } from '../documents/hosted-collections.ts';
import { toWire } from '../documents/to-wire.ts';
import type { ServerContext } from '../server-context.ts';
import { clientIdOf } from './client-id.ts';
import { isPreviousProtocol } from './protocol-window.ts';
import { forClient } from '../documents/schema-versions.ts';
import { EMPTY_SNAPSHOT } from '../sql/pg-snapshot.ts';
import { issueCheckpoint, readCheckpoint } from '../documents/sign-checkpoint.ts';

const START: PullPosition = { prev: EMPTY_SNAPSHOT, upto: null, tx: '0', seq: '0' };

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
    throw badBody(
      `the pull body must be { checkpoint: { server, snap, upto, tx, seq } | null, batchSize: 1..${MAX_PULL_BATCH} }`,
      parsed.error,
    );
  }
  const { checkpoint, batchSize } = parsed.data;
  // Checked (bounded, signed) before anything else; null: another database's, start over.
  // The client keeps its unsynced writes.
  const from: PullPosition = (await readCheckpoint(ctx.db, checkpoint)) ?? START;
  const workspaces = readableWorkspaces(collection, claims);
  // A client with a stream here pulls up to the change feed's position, so that the feed
  // can send it the next changes instead of a poke (see ChangeFeed).
  const feed = await ctx.hub.beginPull(collection.name, clientIdOf(c));
  let page: Awaited<ReturnType<typeof pullPage>> | undefined;
  try {
    page =
      workspaces.length === 0
        ? { rows: [], next: from, more: false }
        : await pullPage(ctx.db, {
            collection: collection.name,
            workspaces,
            from,
            limit: batchSize,
            target: feed.target,
            maxBytes: ctx.limits.maxPageBytes,
          });
  } finally {
    feed.end(page?.next, page?.rows.length ?? 0, from.upto === null && from !== START ? from.prev : null);
  }
  const previous = isPreviousProtocol(c);
  const response: PullResponse = {
    documents: page.rows.map((row) => forClient(collection, toWire(row), previous)),
    checkpoint: await issueCheckpoint(ctx.db, page.next),
  };
  // Cut short by the byte budget (issue 23): a page shorter than batchSize says "caught up"
  // to RxDB, so the client is told to pull again at once.
  if (page.more && page.rows.length < batchSize) response.more = true;
  ctx.budget.charge(c.req.raw, { rows: page.rows.length, bytes: page.rows.reduce((sum, row) => sum + row.bytes, 0) });
  ctx.metrics.pulls.inc({ collection: collection.name });
  ctx.metrics.pulledDocuments.inc({ collection: collection.name }, response.documents.length);
  return c.json(response);
}
