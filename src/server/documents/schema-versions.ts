import { COLLECTIONS } from '../../collections/all-collections.ts';
import type { PreviousSchemaVersion } from '../../collections/declare-collection.ts';
import type { WireDocument } from '../../protocol/messages.ts';
import type { RawPushRow } from './raw-push-row.ts';
import type { StoredDocument } from './document-store.ts';
import type { HostedCollection } from './hosted-collections.ts';
import { toWire } from './to-wire.ts';

/**
 * The server between two schema versions of a collection (docs/upgrades.md). Clients of the
 * previous protocol version read and write the previous schema version; the server stores
 * only the current one:
 * - what such a client pushes is upgraded before it is checked, and against the stored
 *   version before it is decided, so it keeps what it could not see (an action's snooze);
 * - what it reads (pull, conflicts, rejected rows' masters) is downgraded;
 * - a document of the previous version found in storage (written by an old server instance
 *   still running during a rollout) is read as the current version by everyone else.
 */

/** A stored document as the current schema version. */
export function currentStored<T extends Pick<StoredDocument, 'doc'>>(hosted: HostedCollection, stored: T): T {
  const previous = hosted.previousVersion;
  if (previous === null || !previous.isPrevious(stored.doc)) return stored;
  return { ...stored, doc: previous.upgrade(stored.doc) };
}

/** A document (wire form) for a client: downgraded for a client of the previous protocol. */
export function forClient(hosted: HostedCollection, wire: WireDocument, legacy: boolean): WireDocument {
  const previous = hosted.previousVersion;
  if (previous === null) return wire;
  const { _deleted, ...doc } = wire;
  const converted = legacy ? previous.downgrade(doc) : previous.isPrevious(doc) ? previous.upgrade(doc) : doc;
  return converted === doc ? wire : ({ ...converted, _deleted } as WireDocument);
}

/** Whether a pushed row is of the previous schema version (its new state decides). */
export function isPreviousRow(hosted: HostedCollection, row: RawPushRow): boolean {
  const previous = hosted.previousVersion;
  if (previous === null) return false;
  const { _deleted: _ignored, ...doc } = row.newDocumentState;
  return previous.isPrevious(doc);
}

/**
 * A row of the previous version, upgraded: against `current` (the stored version, when
 * known) so that the fields the client could not see are carried over, in its new state and
 * in the state it assumed alike.
 */
export function upgradeRow(hosted: HostedCollection, row: RawPushRow, current?: Record<string, unknown>): RawPushRow {
  const previous = hosted.previousVersion;
  if (previous === null) return row;
  const upgrade = (wire: Record<string, unknown> & { _deleted: boolean }) => {
    const { _deleted, ...doc } = wire;
    return { ...previous.upgrade(doc, current), _deleted };
  };
  const assumed = row.assumedMasterState;
  return {
    newDocumentState: upgrade(row.newDocumentState),
    ...(assumed ? { assumedMasterState: upgrade(assumed) } : assumed === null ? { assumedMasterState: null } : {}),
  };
}

/** An accepted row of the previous version, decided against the stored version: what it could not see is carried over. */
export function carryOver<
  Row extends { doc: Record<string, unknown>; wire: Record<string, unknown>; assumed: Record<string, unknown> | null },
>(hosted: HostedCollection, row: Row, current: Record<string, unknown>): Row {
  const previous = hosted.previousVersion;
  if (previous === null) return row;
  const doc = previous.upgrade(row.doc, current);
  const wire = { ...doc, _deleted: row.wire['_deleted'] };
  if (row.assumed === null) return { ...row, doc, wire };
  const { _deleted, ...assumedDoc } = row.assumed;
  return { ...row, doc, wire, assumed: { ...previous.upgrade(assumedDoc, current), _deleted } };
}

/**
 * A stored row as a current-version wire document, by collection name (the change feed knows
 * only the name): an old instance's version-0 action reaches a stream as version 1.
 */
export function currentWire(collection: string, row: Pick<StoredDocument, 'doc' | 'deleted'>): WireDocument {
  const previous = (COLLECTIONS as Readonly<Record<string, { previousVersion?: PreviousSchemaVersion }>>)[collection]?.previousVersion;
  return toWire(previous?.isPrevious(row.doc) ? { doc: previous.upgrade(row.doc), deleted: row.deleted } : row);
}
