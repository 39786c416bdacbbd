import { addRxPlugin, type InternalStoreCollectionDocType, type RxDatabase, type RxDocumentData } from 'rxdb';
import { BrainStoreError } from '../errors/brain-store-error.ts';

/** What the stored-version checks read of each collection declaration. */
export type StoredVersionDeclarations = Readonly<
  Record<string, { readonly name: string; readonly jsonSchema: { readonly version: number } }>
>;

/**
 * Refuses data written by a newer brain-store: a collection stored at a schema version
 * above the one declared here. RxDB would otherwise open the declared (older) version as
 * a new, empty collection beside the newer data — the user would see an empty store, and
 * the older code would write beside the data it cannot read. Runs before addCollections,
 * so nothing is written. `stored`: the database's collection documents (getAllCollectionDocuments).
 */
export function refuseNewerSchemas(
  database: Pick<RxDatabase, 'name'>,
  stored: readonly RxDocumentData<InternalStoreCollectionDocType>[],
  declarations: StoredVersionDeclarations,
  path: string | undefined,
): void {
  for (const declaration of Object.values(declarations)) {
    const newer = stored
      .filter((doc) => doc.data.name === declaration.name && doc.data.version > declaration.jsonSchema.version)
      .map((doc) => doc.data.version);
    if (newer.length === 0) continue;
    const version = Math.max(...newer);
    const where = path ?? database.name;
    throw new BrainStoreError('STORAGE_FILE', {
      parameters: { path: where, reason: 'newer-version', collection: declaration.name, version },
      message: `${where} holds ${declaration.name} at schema version ${version}, newer than this brain-store's ${declaration.jsonSchema.version}: upgrade brain-store, or open another \`path\`/name.`,
    });
  }
}

/**
 * Loads RxDB's schema-migration plugin when, and only when, a collection is stored at an
 * older schema version than declared (a store written by an earlier brain-store): RxDB then
 * migrates it as addCollections opens it. Every other open leaves the plugin — and the
 * replication protocol it runs on — out of a browser's first-visit JavaScript (issue 16.7).
 * Without the plugin RxDB would open the declared version as a new, empty collection beside
 * the older data, so this must run before addCollections.
 */
export async function loadMigrationWhenNeeded(
  stored: readonly RxDocumentData<InternalStoreCollectionDocType>[],
  declarations: StoredVersionDeclarations,
): Promise<boolean> {
  const older = Object.values(declarations).some((declaration) =>
    stored.some((doc) => doc.data.name === declaration.name && doc.data.version < declaration.jsonSchema.version),
  );
  if (!older) return false;
  const { RxDBMigrationSchemaPlugin } = await import('rxdb/plugins/migration-schema');
  addRxPlugin(RxDBMigrationSchemaPlugin);
  return true;
}
