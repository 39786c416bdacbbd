import * as z from 'zod/mini';
import { COLLECTIONS } from './all-collections.ts';
import type { CollectionName, DerivedJsonSchema } from './declare-collection.ts';

/**
 * The JSON schema of a zod declaration, as RxDB (ajv) and the server's SQL read it: draft-07,
 * the input side, without `$schema`. Run at build time only (json-schemas.generated.ts): the
 * generator is about a third of zod and the browser never needs it.
 */
export function deriveJsonSchema(document: z.ZodMiniType): DerivedJsonSchema {
  const { $schema: _ignored, ...json } = z.toJSONSchema(document, { target: 'draft-07', io: 'input' }) as Record<string, unknown>;
  return json;
}

/** Every collection's derived JSON schema, by name: what json-schemas.generated.ts must hold. */
export function deriveCollectionJsonSchemas(): Record<CollectionName, DerivedJsonSchema> {
  return {
    brainSummaries: deriveJsonSchema(COLLECTIONS.brainSummaries.document),
    brainInsights: deriveJsonSchema(COLLECTIONS.brainInsights.document),
    brainActions: deriveJsonSchema(COLLECTIONS.brainActions.document),
  };
}
