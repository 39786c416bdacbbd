import { COLLECTIONS } from '../../collections/all-collections.ts';
import {
  checkDocument,
  type CollectionDeclaration,
  type MergeRule,
  type PreviousSchemaVersion,
} from '../../collections/declare-collection.ts';
import type { WriteRules } from '../../collections/write-rules.ts';
import type { FirstSyncPart } from '../../collections/first-sync-parts.ts';
import { BrainStoreError, type BrainStoreIssue } from '../../errors/brain-store-error.ts';

/** The workspace of every document of a collection that has no workspace field. */
export const FIXED_WORKSPACE = '_';

/**
 * An extra collection a server hosts beside the three of brain-store (e.g. the one RxDB's
 * replication test suite brings).
 *
 * @example
 * startSyncServer({ authSecret, collections: { humans: { primaryKey: 'passportId' } } });
 * // tokens need the workspace '_' to reach it: createAccessToken({ secret, workspaces: ['_'], ttlSeconds })
 */
export interface HostedCollectionOptions {
  /** Field holding the document id (default `id`). */
  readonly primaryKey?: string;
  /** Field naming the document's workspace. Without it every document lives in `fixedWorkspace`. */
  readonly workspaceField?: string;
  /** Workspace of every document when there is no `workspaceField` (default `'_'`); tokens must grant it. */
  readonly fixedWorkspace?: string;
  /** Validates a document (without `_deleted`); returns the issues, empty when valid. No validation without it. */
  readonly validate?: (doc: Record<string, unknown>) => readonly BrainStoreIssue[];
}

/** What the server knows about a collection it serves. */
export interface HostedCollection {
  readonly name: string;
  readonly primaryKey: string;
  readonly workspaceField: string | null;
  readonly fixedWorkspace: string;
  readonly validate: (doc: Record<string, unknown>) => readonly BrainStoreIssue[];
  /** The declared merge rule, for the server's own writes (expiry). */
  readonly merge: MergeRule<Record<string, unknown>> | null;
  /** The declared roles' and time rules; null for an extra collection (any role but operator writes). */
  readonly writeRules: WriteRules<Record<string, unknown>> | null;
  /** The parts a first sync reads before the rest (none for an extra collection). */
  readonly firstSync: readonly FirstSyncPart[];
  /**
   * The collection's previous schema version, which clients of the previous protocol still
   * speak (schema-versions.ts converts); null when it never changed.
   */
  readonly previousVersion: PreviousSchemaVersion | null;
}

function fromDeclaration<Doc extends { id: string; workspace_id: string }, Public>(
  declaration: CollectionDeclaration<Doc, Public>,
): HostedCollection {
  return {
    name: declaration.name,
    primaryKey: 'id',
    workspaceField: 'workspace_id',
    fixedWorkspace: FIXED_WORKSPACE,
    validate: (doc) => checkDocument(declaration, doc),
    merge: declaration.merge as unknown as MergeRule<Record<string, unknown>>,
    writeRules: declaration.writeRules as unknown as WriteRules<Record<string, unknown>>,
    firstSync: declaration.firstSync,
    previousVersion: declaration.previousVersion ?? null,
  };
}

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The three brain-store collections plus the caller's extra ones, by name. */
export function hostedCollections(extra: Readonly<Record<string, HostedCollectionOptions>> = {}): Map<string, HostedCollection> {
  const hosted = new Map<string, HostedCollection>(
    [
      fromDeclaration(COLLECTIONS.brainSummaries),
      fromDeclaration(COLLECTIONS.brainInsights),
      fromDeclaration(COLLECTIONS.brainActions),
    ].map((collection) => [collection.name, collection]),
  );
  for (const [name, options] of Object.entries(extra)) {
    if (hosted.has(name) || !FIELD_NAME.test(name)) {
      throw new BrainStoreError('CONFIG', { parameters: { collections: name }, message: `cannot host a collection named "${name}"` });
    }
    const primaryKey = options.primaryKey ?? 'id';
    for (const field of [primaryKey, options.workspaceField]) {
      if (field !== undefined && !FIELD_NAME.test(field)) {
        throw new BrainStoreError('CONFIG', { parameters: { collection: name, field }, message: `bad field name "${field}"` });
      }
    }
    hosted.set(name, {
      name,
      primaryKey,
      workspaceField: options.workspaceField ?? null,
      fixedWorkspace: options.fixedWorkspace ?? FIXED_WORKSPACE,
      validate: options.validate ?? (() => []),
      merge: null,
      writeRules: null,
      firstSync: [],
      previousVersion: null,
    });
  }
  return hosted;
}
