import type { RxCollection } from 'rxdb';

/** Seeding chunk: one storage transaction per chunk keeps memory bounded. */
const CHUNK = 5_000;

/**
 * Inserts prepared documents through the RxDB collection (schema-validated by the store's
 * ajv wrapper), in chunks. For seeding only: the measured writes go through the store API.
 */
export async function seed<Doc>(collection: RxCollection<Doc>, docs: readonly Doc[], onProgress?: (done: number) => void): Promise<void> {
  for (let start = 0; start < docs.length; start += CHUNK) {
    const result = await collection.bulkInsert(docs.slice(start, start + CHUNK));
    if (result.error.length > 0) {
      throw new Error(
        `seeding ${collection.name} failed for ${result.error.length} documents: ${JSON.stringify(result.error[0]).slice(0, 500)}`,
      );
    }
    onProgress?.(Math.min(docs.length, start + CHUNK));
  }
}
