import type { Context } from 'hono';
import { clientIdOf } from './client-id.ts';
import { z } from 'zod';
import type { PushResponse } from '../../protocol/messages.ts';
import type { AccessClaims } from '../auth/access-token.ts';
import type { RawPushRow } from '../documents/raw-push-row.ts';
import type { HostedCollection } from '../documents/hosted-collections.ts';
import { pushDocuments } from '../documents/push-documents.ts';
import { DEFAULT_TIME_ALLOWANCE } from '../../collections/write-rules.ts';
import { loggerOf } from './request-log.ts';
import type { ServerContext } from '../server-context.ts';
import { badBody, requestError } from './wire-error-response.ts';
import { isPreviousProtocol } from './protocol-window.ts';
import { forClient } from '../documents/schema-versions.ts';

/** The protocol's push shape, with the collection's own primary key field in place of `id`. */
function pushShape(primaryKey: string) {
  const document = z.looseObject({ [primaryKey]: z.string(), _deleted: z.boolean() });
  return z.strictObject({
    rows: z.array(z.strictObject({ newDocumentState: document, assumedMasterState: document.nullable().optional() })),
  });
}

/** A plain JSON object (what z.object accepts): not null, not an array. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isWireDocument(value: unknown, primaryKey: string): boolean {
  return isRecord(value) && typeof value[primaryKey] === 'string' && typeof value['_deleted'] === 'boolean';
}

/** The push shape checked without copying; true only where `pushShape` also succeeds. */
export function isPushBody(body: unknown, primaryKey: string): boolean {
  if (!isRecord(body) || !Array.isArray(body['rows'])) return false;
  for (const key in body) if (key !== 'rows' || !Object.hasOwn(body, key)) return false;
  for (const row of body['rows'] as unknown[]) {
    if (!isRecord(row) || !isWireDocument(row['newDocumentState'], primaryKey)) return false;
    for (const key in row) if ((key !== 'newDocumentState' && key !== 'assumedMasterState') || !Object.hasOwn(row, key)) return false;
    const assumed = row['assumedMasterState'];
    if (assumed !== undefined && assumed !== null && !isWireDocument(assumed, primaryKey)) return false;
  }
  return Object.keys(body).length === 1;
}
const shapes = new Map<string, ReturnType<typeof pushShape>>();

/**
 * POST /sync/:collection/push — applies rows, answers conflicts and rejected rows.
 * The body is only *checked* by zod; the raw JSON.parse objects are what gets stored, so
 * nothing is dropped or re-keyed on the way (zod would silently drop a `__proto__` key).
 */
export async function handlePush(
  c: Context,
  ctx: ServerContext,
  collection: HostedCollection,
  claims: AccessClaims,
  body: unknown,
): Promise<Response> {
  const rows = (body as { rows?: unknown } | null)?.rows;
  if (Array.isArray(rows) && rows.length > ctx.limits.maxPushRows) {
    throw requestError('TOO_LARGE', `a push takes at most ${ctx.limits.maxPushRows} rows`, { maxPushRows: ctx.limits.maxPushRows });
  }
  // Every row the server will look at counts against the subject's budget, refused ones too.
  if (Array.isArray(rows)) ctx.budget.charge(c.req.raw, { rows: rows.length });
  // The hand check below accepts only what the zod shape accepts; zod runs only on a body it
  // refuses, to name the fields (zod copied every document of a well-formed push).
  let shape = shapes.get(collection.primaryKey);
  if (!shape) shapes.set(collection.primaryKey, (shape = pushShape(collection.primaryKey)));
  const parsed = isPushBody(body, collection.primaryKey) ? { success: true as const } : shape.safeParse(body);
  if (!parsed.success) {
    throw badBody(
      `the push body must be { rows: [{ newDocumentState, assumedMasterState? }] } with a string "${collection.primaryKey}" and a boolean "_deleted"`,
      parsed.error,
    );
  }
  const outcome = await pushDocuments(ctx.db, {
    collection,
    workspaces: claims.workspaces,
    rows: rows as RawPushRow[],
    now: ctx.now(),
    judge: { writer: { role: claims.role, subject: claims.subject }, allowance: ctx.timeAllowance ?? DEFAULT_TIME_ALLOWANCE },
    origin: clientIdOf(c),
  });
  const name = collection.name;
  ctx.metrics.pushes.inc({ collection: name });
  ctx.metrics.pushRows.inc({ collection: name, outcome: 'written' }, outcome.written);
  ctx.metrics.pushRows.inc({ collection: name, outcome: 'unchanged' }, outcome.unchanged);
  ctx.metrics.pushRows.inc({ collection: name, outcome: 'conflict' }, outcome.conflicts.length);
  ctx.metrics.pushRows.inc({ collection: name, outcome: 'rejected' }, outcome.rejected.length);
  ctx.metrics.conflicts.inc({ collection: name }, outcome.conflicts.length);
  for (const row of outcome.rejected) ctx.metrics.rejected.inc({ collection: name, code: row.code });
  if (outcome.writes.length > 0) {
    // The audit trail: who wrote what (one line per push, every accepted row in it).
    loggerOf(c, ctx.logger).info(
      { collection: name, subject: claims.subject, role: claims.role, writes: outcome.writes },
      'push rows written',
    );
  }
  if (outcome.rejected.length > 0) {
    loggerOf(c, ctx.logger).info(
      // Counts by code and the first few ids, not every id: a push of 1,000 refused rows with
      // long ids wrote 167 KB of log (issue 23).
      {
        collection: name,
        subject: claims.subject,
        role: claims.role,
        rejected: outcome.rejected.length,
        codes: countBy(outcome.rejected.map((row) => row.code)),
        firstIds: outcome.rejected.slice(0, LOGGED_IDS).map((row) => row.id.slice(0, 128)),
      },
      'push rows rejected',
    );
  }
  // Masters in the schema version the client reads (schema-versions.ts).
  const previous = isPreviousProtocol(c);
  const response: PushResponse = {
    conflicts: outcome.conflicts.map((doc) => forClient(collection, doc, previous)),
    rejected: outcome.rejected.map((row) => (row.master ? { ...row, master: forClient(collection, row.master, previous) } : row)),
  };
  return c.json(response);
}

/** How many ids of refused rows a log line names. */
const LOGGED_IDS = 5;

function countBy(codes: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const code of codes) counts[code] = (counts[code] ?? 0) + 1;
  return counts;
}
