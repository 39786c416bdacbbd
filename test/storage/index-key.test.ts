import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  fillWithDefaultSettings,
  getIndexableStringMonad,
  getStartIndexStringFromLowerBound,
  getStartIndexStringFromUpperBound,
  INDEX_MAX,
  INDEX_MIN,
  type RxDocumentData,
} from 'rxdb';
import { documentKeys, indexKeyEncoder } from '../../src/storage/sqlite/index-key.ts';

interface Row {
  id: string;
  s: string;
  n: number;
  b: boolean;
}

const schema = fillWithDefaultSettings<Row>({
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 6 },
    s: { type: 'string', maxLength: 6 },
    n: { type: 'number', minimum: -50, maximum: 50, multipleOf: 0.5 },
    b: { type: 'boolean' },
  },
  required: ['id', 's', 'n', 'b'],
});
const fields = ['s', 'b', 'n', 'id'];

/** Characters around every boundary of the encoding: controls, space, ASCII, 2- and 3-byte units, surrogates, U+FFFF. */
const unit = fc.constantFrom(
  ' ',
  ' ',
  '\t',
  '\u0001',
  '!',
  'a',
  'z',
  '~',
  '\u007f',
  'é',
  '\u3fff',
  '\u4000',
  '中',
  '\ud83d\ude00',
  '\uffff',
);
const text = fc
  .array(unit, { maxLength: 4 })
  .map((units) => units.join(''))
  .filter((value) => value.length <= 6);
const row = fc.record({
  id: text.filter((value) => value.trim() === value && value.length > 0),
  s: text,
  n: fc.integer({ min: -100, max: 100 }).map((x) => x / 2),
  b: fc.boolean(),
});
const asDoc = (value: Row) => ({ ...value, _deleted: false, _attachments: {}, _rev: '1-a', _meta: { lwt: 1 } }) as RxDocumentData<Row>;
const sign = (value: number) => Math.sign(value);
const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe('SQLite index keys', () => {
  const encoder = indexKeyEncoder(schema, fields);
  const rxdbString = getIndexableStringMonad(schema, fields);

  it('order documents exactly as RxDB’s padded index strings do (property)', () => {
    fc.assert(
      fc.property(row, row, (a, b) => {
        const expected = compareStrings(rxdbString(asDoc(a)), rxdbString(asDoc(b)));
        expect(sign(Buffer.compare(encoder.keyOf(asDoc(a)), encoder.keyOf(asDoc(b))))).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('place query bounds where RxDB’s bound strings fall (property)', () => {
    const bound = fc.oneof(text, fc.constant(INDEX_MIN), fc.constant(INDEX_MAX));
    fc.assert(
      fc.property(
        row,
        bound,
        fc.boolean(),
        fc.oneof(
          fc.integer({ min: -200, max: 200 }).map((x) => x / 2),
          fc.constant(INDEX_MIN),
        ),
        (a, s, b, n) => {
          const bounds = [s, b, n, INDEX_MIN];
          const doc = asDoc(a);
          const lower = getStartIndexStringFromLowerBound(schema, fields, bounds);
          const upper = getStartIndexStringFromUpperBound(schema, fields, [s, b, n, INDEX_MAX]);
          expect(sign(Buffer.compare(encoder.keyOf(doc), encoder.lowerBound(bounds)))).toBe(compareStrings(rxdbString(doc), lower));
          expect(sign(Buffer.compare(encoder.keyOf(doc), encoder.upperBound([s, b, n, INDEX_MAX])))).toBe(
            compareStrings(rxdbString(doc), upper),
          );
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('key a document with exactly the bytes of the bound of its own values, whatever the numbers (property)', () => {
    // A document's key is written field by field without RxDB's strings; an equality query's
    // bounds go through RxDB's strings. They must agree to the byte, or `$eq` would miss rows.
    // Doubles off the multipleOf grid, out of [min, max], -0 and non-finite values included.
    const number = fc.oneof(
      fc.double({ min: -80, max: 80, noNaN: true }),
      fc.constantFrom(-0, 0.25, 0.75, 49.999, -50.001, 1e300, -1e300, Number.MAX_SAFE_INTEGER),
    );
    fc.assert(
      // (a string of just U+FFFF is RxDB's INDEX_MAX, which as a bound means "above everything")
      fc.property(
        row.filter((a) => a.s !== INDEX_MAX && a.id !== INDEX_MAX),
        number,
        (a, n) => {
          const doc = asDoc({ ...a, n });
          const key = encoder.keyOf(doc);
          expect(key.equals(encoder.lowerBound([a.s, a.b, n, a.id]))).toBe(true);
          expect(key.equals(encoder.upperBound([a.s, a.b, n, a.id]))).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('key nested fields (_meta.lwt, two decimals) as RxDB’s bound strings do', () => {
    const lwtEncoder = indexKeyEncoder(schema, ['_meta.lwt', 'id']);
    fc.assert(
      fc.property(fc.oneof(fc.double({ min: 0, max: 2e15, noNaN: true }), fc.integer({ min: 1, max: 1e15 })), (lwt) => {
        const doc = { ...asDoc({ id: 'a', s: '', n: 0, b: false }), _meta: { lwt } };
        expect(lwtEncoder.keyOf(doc).equals(lwtEncoder.lowerBound([lwt, 'a']))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('key a document in every index at once with the bytes of each index’s own key (property)', () => {
    // Fields shared between indexes are encoded once and copied: the keys must not change.
    const indexes = [fields, ['b', 'id'], ['n', 's', 'id'], ['_deleted', 's', 'n', 'id'], ['_meta.lwt', 'id']];
    const encoders = indexes.map((index) => indexKeyEncoder(schema, index));
    const keysOf = documentKeys(schema, indexes);
    fc.assert(
      fc.property(row, fc.double({ min: -80, max: 80, noNaN: true }), fc.boolean(), (a, n, deleted) => {
        const doc = { ...asDoc({ ...a, n }), _deleted: deleted };
        const keys = keysOf(doc);
        expect(keys.map((key) => key.toString('hex'))).toEqual(encoders.map((encoder) => encoder.keyOf(doc).toString('hex')));
      }),
      { numRuns: 2000 },
    );
  });

  it('is far shorter than the padded string for short values', () => {
    const idEncoder = indexKeyEncoder(
      fillWithDefaultSettings<{ id: string; w: string }>({
        version: 0,
        primaryKey: 'id',
        type: 'object',
        properties: { id: { type: 'string', maxLength: 128 }, w: { type: 'string', maxLength: 128 } },
        required: ['id', 'w'],
      }),
      ['w', 'id'],
    );
    const key = idEncoder.keyOf({ id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', w: 'workspace-1' } as never);
    expect(key.length).toBeLessThan(60); // RxDB's string: 256 characters
  });
});
