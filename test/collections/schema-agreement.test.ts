import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fillWithDefaultSettings, type RxJsonSchema } from 'rxdb';
import { getValidator } from 'rxdb/plugins/validate-ajv';
import { COLLECTIONS } from '../../src/collections/all-collections.ts';
import { mutatedDocument, validDocument } from './arbitraries.ts';

/**
 * STYLE.md §2: the zod declaration and the derived JSON schema accept and reject the same
 * documents. ajv is used exactly as RxDB's validate-ajv storage wrapper uses it: compiled
 * from the schema RxDB fills with _deleted/_rev/_meta/_attachments, fed the stored row.
 */
const RX_BOOKKEEPING = { _deleted: false, _rev: '1-abcdef', _meta: { lwt: 1_700_000_000_000 }, _attachments: {} };

function validators(name: keyof typeof COLLECTIONS) {
  const declaration = COLLECTIONS[name];
  const filled = fillWithDefaultSettings(declaration.jsonSchema as RxJsonSchema<any>);
  const ajv = getValidator(filled);
  return {
    schema: declaration.jsonSchema as never,
    zodAccepts: (doc: unknown) => declaration.document.safeParse(doc).success,
    ajvAccepts: (doc: unknown) => {
      // A non-object root cannot carry RxDB's fields; ajv sees it as it is.
      const row = doc && typeof doc === 'object' && !Array.isArray(doc) ? { ...RX_BOOKKEEPING, ...doc } : doc;
      return ajv(row).length === 0;
    },
  };
}

describe.each(Object.keys(COLLECTIONS) as (keyof typeof COLLECTIONS)[])('%s: zod and ajv agree', (name) => {
  const { schema, zodAccepts, ajvAccepts } = validators(name);

  it('both accept every generated valid document', () => {
    fc.assert(
      fc.property(validDocument(schema), (doc) => {
        expect(zodAccepts(doc)).toBe(true);
        expect(ajvAccepts(doc)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('both give the same verdict on every mutated document', () => {
    fc.assert(
      fc.property(mutatedDocument(schema), ({ doc }) => {
        expect(ajvAccepts(doc)).toBe(zodAccepts(doc));
      }),
      { numRuns: 2_000 },
    );
  });

  it('both reject the classic hostile values', () => {
    const sample = fc.sample(validDocument(schema), { numRuns: 1, seed: 7 })[0]!;
    const stringField = Object.entries((schema as { properties: Record<string, { type?: string; enum?: unknown }> }).properties).find(
      ([, part]) => part.type === 'string' && !part.enum,
    )![0];
    const hostile: unknown[] = [
      { ...sample, [stringField]: 'a\u0000b' },
      { ...sample, [stringField]: 'a\uD800' },
      { ...sample, [stringField]: '\uDFFFa' },
      { ...sample, created_at: Number.NaN },
      { ...sample, created_at: Number.POSITIVE_INFINITY },
      { ...sample, created_at: 1.5 },
      { ...sample, unknown_field: 'x' },
      JSON.parse(JSON.stringify(sample).replace(/^\{/, '{"__proto__":{"x":1},')),
      null,
      [],
      'doc',
    ];
    for (const doc of hostile) {
      expect(zodAccepts(doc), JSON.stringify(doc)?.slice(0, 80)).toBe(false);
      expect(ajvAccepts(doc), JSON.stringify(doc)?.slice(0, 80)).toBe(false);
    }
  });
});
