import { getAllCollectionDocuments, type RxDatabase } from 'rxdb';
import { BrainStoreError } from '../errors/brain-store-error.ts';

/**
 * Refuses data written by a newer brain-store: a collection stored at a schema version
 * above the one declared here. RxDB would otherwise open the declared (older) version as
 * a new, empty collection beside the newer data — the user would see an empty store, and
 * the older code would write beside the data it cannot read. Runs before addCollections,
 * so nothing is written.
 */
export async function refuseNewerSchemas(
  database: Pick<RxDatabase, 'internalStore' | 'name'>,
  declarations: Readonly<Record<string, { readonly name: string; readonly jsonSchema: { readonly version: number } }>>,
  path: string | undefined,
): Promise<void> {
  const stored = await getAllCollectionDocuments(database.internalStore);
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
