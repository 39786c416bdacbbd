import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { COLLECTIONS } from '../../src/collections/all-collections.ts';
import { brainSummaryDocumentSchema } from '../../src/collections/brain-summaries.ts';
import { deriveCollectionJsonSchemas, deriveJsonSchema } from '../../src/collections/derive-json-schema.ts';
import { GENERATED_JSON_SCHEMAS } from '../../src/collections/json-schemas.generated.ts';
import { generatedSchemasAreCurrent } from '../../packages/generate-json-schemas.ts';

/**
 * The RxDB JSON schemas come from a module generated at build time (the browser ships no
 * JSON-schema generator), yet the zod declaration stays the one source: the module must be
 * what the declarations derive today. When this fails, run `npm run generate:schemas`.
 */
describe('json-schemas.generated.ts', () => {
  it('holds what the zod declarations derive (else: npm run generate:schemas)', () => {
    expect(JSON.parse(JSON.stringify(GENERATED_JSON_SCHEMAS))).toEqual(deriveCollectionJsonSchemas());
    expect(generatedSchemasAreCurrent()).toBe(true);
  });

  it.each(Object.keys(COLLECTIONS) as (keyof typeof COLLECTIONS)[])(
    '%s: its RxDB schema is the derived one plus key, version and indexes',
    (name) => {
      const { jsonSchema, document } = COLLECTIONS[name];
      const { title: _title, version: _version, primaryKey, indexes, ...rest } = jsonSchema;
      expect(rest).toEqual(deriveJsonSchema(document));
      expect(primaryKey).toBe('id');
      expect(indexes?.length).toBeGreaterThan(0);
    },
  );

  it('goes stale when a declaration changes', () => {
    // A field added to a declaration changes its derived schema: the comparison above would see it.
    const changed = z.extend(brainSummaryDocumentSchema, { note: z.optional(z.string()) });
    expect(deriveJsonSchema(changed)).not.toEqual(GENERATED_JSON_SCHEMAS.brainSummaries);
  });
});
