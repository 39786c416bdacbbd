import type { Context } from 'hono';
import { REST_PART } from '../../collections/first-sync-parts.ts';
import {
  firstSyncRequestSchema,
  type FirstSyncBeginResponse,
  type FirstSyncPageResponse,
  type ResyncBeginResponse,
} from '../../protocol/first-sync-messages.ts';
import type { SyncCheckpoint } from '../../protocol/messages.ts';
import type { AccessClaims } from '../auth/access-token.ts';
import { changedSince, countChanged, type ChangedSince } from '../documents/changed-since.ts';
import { countChangedHead, countLive, currentSnapshot, headPage, heldPage, restPage } from '../documents/first-sync-pages.ts';
import type { HostedCollection } from '../documents/hosted-collections.ts';
import type { ServerContext } from '../server-context.ts';
import { issueCheckpoint, readCheckpoint } from '../documents/sign-checkpoint.ts';
import { readableWorkspaces } from './handle-pull.ts';
import { badBody, requestError } from './wire-error-response.ts';

/**
 * POST /sync/:collection/first-sync — a device with nothing takes the collection in the
 * order that matters (see first-sync-messages.ts). Tenancy as the pull's: only the
 * workspaces of the token, in the SQL of every statement. With `since` (a resync, a device
 * with history), the reads are restricted to what changed since that checkpoint.
 */
export async function handleFirstSync(
  c: Context,
  ctx: ServerContext,
  collection: HostedCollection,
  claims: AccessClaims,
  body: unknown,
): Promise<Response> {
  const parsed = firstSyncRequestSchema.safeParse(body);
  if (!parsed.success) {
    throw badBody(
      `the first-sync body must be { step: 'begin', since? } or { step: 'page', workspace, part, after, limit, since? } or { step: 'held', workspace, since, ids }`,
      parsed.error,
    );
  }
  const request = parsed.data;
  const workspaces = readableWorkspaces(collection, claims);
  // Checked (bounded, signed) as the pull checks it, before anything is read.
  const since = 'since' in request && request.since ? await sinceOf(ctx, request.since) : undefined;
  if (request.step === 'begin' && since !== undefined) {
    const changed =
      since === null || workspaces.length === 0
        ? new Map<string, number>()
        : await countChanged(ctx.db, collection.name, workspaces, since);
    const heads: ResyncBeginResponse['heads'] = {};
    for (const part of collection.firstSync) {
      heads[part.name] = {};
      for (const workspace of workspaces) {
        heads[part.name]![workspace] =
          since === null || !changed.get(workspace)
            ? 0
            : await countChangedHead(ctx.db, { collection: collection.name, workspace, part, since });
      }
    }
    const response: ResyncBeginResponse = {
      changed: Object.fromEntries(workspaces.map((workspace) => [workspace, changed.get(workspace) ?? 0])),
      heads,
      parts: collection.firstSync.map(({ name, limit }) => ({ name, limit })),
    };
    return c.json(response);
  }
  if (request.step === 'begin') {
    // The checkpoint first, then the reads: whatever changes after it comes by the pull.
    const checkpoint = await issueCheckpoint(ctx.db, { prev: await currentSnapshot(ctx.db), upto: null, tx: '0', seq: '0' });
    const counts = workspaces.length === 0 ? new Map<string, number>() : await countLive(ctx.db, collection.name, workspaces);
    const response: FirstSyncBeginResponse = {
      checkpoint,
      totals: Object.fromEntries(workspaces.map((workspace) => [workspace, counts.get(workspace) ?? 0])),
      parts: [...collection.firstSync.map(({ name, limit }) => ({ name, limit })), { name: REST_PART, limit: 0 }],
    };
    return c.json(response);
  }
  if (!workspaces.includes(request.workspace)) {
    throw requestError('FORBIDDEN_WORKSPACE', 'the token does not grant this workspace', { workspace: request.workspace });
  }
  // Pages stop at the server's byte budget, as the pull's (the first row always goes).
  const maxBytes = ctx.limits.maxPageBytes;
  let response: FirstSyncPageResponse;
  let bytes: number;
  if (request.step === 'held') {
    // Another database's checkpoint: the pull starts over, nothing here is "changed since".
    const page =
      since === null || since === undefined
        ? { ids: [], docs: [], read: 0, bytes: 0 }
        : await heldPage(ctx.db, { collection: collection.name, workspace: request.workspace, ids: request.ids, since, maxBytes });
    bytes = page.bytes;
    response = {
      documents: page.docs as FirstSyncPageResponse['documents'],
      after: page.ids.length < page.read ? page.ids.at(-1)! : null,
    };
  } else if (since === null) {
    response = { documents: [], after: null };
    bytes = 0;
  } else if (request.part === REST_PART) {
    if (since) throw requestError('BAD_REQUEST', 'a resync reads head parts only: the pull brings the rest', { part: request.part });
    const page = await restPage(ctx.db, {
      collection: collection.name,
      workspace: request.workspace,
      after: request.after,
      limit: request.limit,
      maxBytes,
    });
    const more = page.ids.length < page.read || page.read === request.limit;
    bytes = page.bytes;
    response = { documents: asLive(page.docs), after: more ? page.ids.at(-1)! : null };
  } else {
    const part = collection.firstSync.find((candidate) => candidate.name === request.part);
    if (!part) throw requestError('BAD_REQUEST', `no first-sync part "${request.part}" in ${collection.name}`, { part: request.part });
    // A head part continues after a page cut by bytes: `after` counts the part's documents sent.
    const offset = request.after === null ? 0 : Number(request.after);
    if (!/^(0|[1-9]\d{0,8})$/.test(request.after ?? '0') || offset > part.limit) {
      throw requestError('BAD_REQUEST', `the "after" of a head part is the count of its documents sent (0..${part.limit})`, {
        after: request.after,
      });
    }
    const page = await headPage(ctx.db, { collection: collection.name, workspace: request.workspace, part, offset, maxBytes, since });
    bytes = page.bytes;
    response = { documents: asLive(page.docs), after: page.ids.length < page.read ? String(offset + page.ids.length) : null };
  }
  ctx.budget.charge(c.req.raw, { rows: response.documents.length, bytes });
  ctx.metrics.pulledDocuments.inc({ collection: collection.name }, response.documents.length);
  return c.json(response);
}

/** The rows a checkpoint has not seen, or null for another database's checkpoint (its pull starts over). */
async function sinceOf(ctx: ServerContext, checkpoint: SyncCheckpoint): Promise<ChangedSince | null> {
  const position = await readCheckpoint(ctx.db, checkpoint);
  return position === null ? null : changedSince(position);
}

function asLive(docs: readonly Record<string, unknown>[]): FirstSyncPageResponse['documents'] {
  return docs.map((doc) => ({ ...doc, _deleted: false }) as FirstSyncPageResponse['documents'][number]);
}
