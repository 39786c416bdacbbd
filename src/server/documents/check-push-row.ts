import type { RejectedRow } from '../../protocol/messages.ts';
import type { DocumentKey } from './document-store.ts';
import { findUnsafeText } from './find-unsafe-text.ts';
import type { HostedCollection } from './hosted-collections.ts';
import type { RawPushRow } from './raw-push-row.ts';
import { isPreviousRow, upgradeRow } from './schema-versions.ts';

/** A row that may be written: its key, the document to store and the state the client assumed. */
export interface AcceptedRow extends DocumentKey {
  readonly index: number;
  /** The document without `_deleted`, exactly as sent otherwise. */
  readonly doc: Record<string, unknown>;
  readonly deleted: boolean;
  /** The wire form as sent (with `_deleted`), compared against the stored wire form. */
  readonly wire: Record<string, unknown>;
  readonly assumed: Record<string, unknown> | null;
  /** Sent in the collection's previous schema version (an old client): upgraded, and carried over the stored version once read. */
  readonly previousVersion?: boolean;
}

/** A row refused before any write; `masterKey` names the server version the caller may see. */
export interface RefusedRow {
  readonly index: number;
  readonly rejected: Omit<RejectedRow, 'master'>;
  readonly masterKey: DocumentKey | null;
}

/**
 * Decides whether a row may be written at all: workspace granted, workspace unchanged,
 * storable text, valid against the collection's schema. Nothing here touches the database.
 */
export function checkPushRow(
  collection: HostedCollection,
  workspaces: ReadonlySet<string>,
  sent: RawPushRow,
  index: number,
): AcceptedRow | RefusedRow {
  // An old client's document is checked as the current version it becomes.
  const previousVersion = isPreviousRow(collection, sent);
  const row = previousVersion ? upgradeRow(collection, sent) : sent;
  const wire = row.newDocumentState;
  const id = wire[collection.primaryKey] as string;
  const refuse = (
    code: RejectedRow['code'],
    message: string,
    masterKey: DocumentKey | null,
    issues?: RejectedRow['issues'],
  ): RefusedRow => ({
    index,
    rejected: issues ? { id, code, message, issues } : { id, code, message },
    masterKey,
  });

  const ws = workspaceOf(collection, wire);
  if (ws === null) {
    const path = [collection.workspaceField ?? 'workspace_id'];
    return refuse('VALIDATION', 'the workspace field must be a string', null, [
      { path, message: 'must be a string', code: 'invalid_type' },
    ]);
  }
  const assumed = row.assumedMasterState ?? null;
  if (assumed !== null) {
    const assumedWs = workspaceOf(collection, assumed);
    if (assumedWs !== ws) {
      // Moving a document between workspaces would orphan it on every client of the old one.
      return assumedWs !== null && workspaces.has(assumedWs)
        ? refuse('IMMUTABLE_FIELD', `${collection.workspaceField ?? 'workspace'} cannot change`, { ws: assumedWs, id })
        : refuse('FORBIDDEN_WORKSPACE', 'the token does not grant this workspace', null);
    }
  }
  // Nothing about a workspace outside the token is revealed: no master, no hint it exists.
  if (!workspaces.has(ws)) return refuse('FORBIDDEN_WORKSPACE', 'the token does not grant this workspace', null);

  const { _deleted: deleted, ...doc } = wire;
  const unsafe = findUnsafeText(doc);
  if (unsafe) {
    return refuse('VALIDATION', unsafe.message, { ws, id }, [{ path: unsafe.path, message: unsafe.message, code: 'invalid_string' }]);
  }
  const issues = collection.validate(doc);
  if (issues.length > 0) {
    return refuse(
      'VALIDATION',
      'the document does not match the schema',
      { ws, id },
      issues.map((issue) => ({
        path: [...issue.path],
        message: issue.message,
        code: issue.code,
      })),
    );
  }
  return previousVersion ? { index, ws, id, doc, deleted, wire, assumed, previousVersion } : { index, ws, id, doc, deleted, wire, assumed };
}

function workspaceOf(collection: HostedCollection, doc: Record<string, unknown>): string | null {
  if (collection.workspaceField === null) return collection.fixedWorkspace;
  const value = doc[collection.workspaceField];
  return typeof value === 'string' ? value : null;
}

export function isRefused(row: AcceptedRow | RefusedRow): row is RefusedRow {
  return 'rejected' in row;
}
