import {
  getIndexMeta,
  getStartIndexStringFromLowerBound,
  getStartIndexStringFromUpperBound,
  type RxDocumentData,
  type RxJsonSchema,
} from 'rxdb';

/**
 * Index keys as SQLite compares them (memcmp over BLOBs), in exactly the order of RxDB's
 * index strings (what its memory storage sorts by), but without RxDB's padding.
 *
 * RxDB builds one string per index: each string field padded with spaces to its
 * `maxLength`, numbers as fixed-width digits, booleans as 0/1, compared in JavaScript
 * (UTF-16 code unit) order. Stored as is, a brainActions document would carry eight keys of
 * ~280 characters (two 128-character identifiers each): megabytes per thousand documents.
 * So each field part is transcoded, losslessly for the order:
 * - digits and 0/1 stay one byte each (fixed width, so field boundaries need no marker);
 * - a string field drops its trailing spaces and ends with a terminator that compares as
 *   "spaces to the end"; a run of inner spaces becomes one token that compares against
 *   other strings as those spaces would, given whether the next character sorts below or
 *   above a space; other UTF-16 units become 1–3 bytes whose memcmp order is their numeric
 *   order (so surrogate pairs sort as JavaScript sorts them, unlike UTF-8 text).
 * The parts themselves still come from RxDB's helpers (`getIndexMeta`, the bound
 * functions), so clamping, decimals and min/max bounds are RxDB's own.
 */

const SPACE = 0x20;
/** Longest space run the tokens tell apart; a longer run (beyond any maxLength here) counts as this long. */
const MAX_RUN = 0x7fff;
/** The terminator token: the rest of the field is spaces. */
const END = MAX_RUN;

type FieldKind = 'string' | 'fixed';

/**
 * Keys are built in one scratch buffer and copied out (hot path: eight keys per written
 * document). Grows when a key does not fit (3 bytes per UTF-16 unit at most, plus tokens).
 */
let scratch = Buffer.allocUnsafe(4096);
let position = 0;

function reserve(bytes: number): void {
  if (position + bytes <= scratch.length) return;
  const grown = Buffer.allocUnsafe(Math.max(scratch.length * 2, position + bytes));
  scratch.copy(grown, 0, 0, position);
  scratch = grown;
}

function pushUnit(unit: number): void {
  if (unit < 0x80) scratch[position++] = unit;
  else if (unit < 0x4000) {
    scratch[position++] = 0x80 | (unit >> 8);
    scratch[position++] = unit & 0xff;
  } else {
    scratch[position++] = 0xc0;
    scratch[position++] = unit >> 8;
    scratch[position++] = unit & 0xff;
  }
}

function pushToken(token: number): void {
  scratch[position++] = SPACE;
  scratch[position++] = token >> 8;
  scratch[position++] = token & 0xff;
}

/**
 * One string field in its compact, order-equivalent encoding. `value` is the field as
 * stored or RxDB's padded part: trailing spaces are padding either way.
 */
function pushStringPart(value: string): void {
  let end = value.length;
  while (end > 0 && value.charCodeAt(end - 1) === SPACE) end--;
  reserve(3 * end + 3);
  let i = 0;
  while (i < end) {
    const unit = value.charCodeAt(i);
    if (unit !== SPACE) {
      pushUnit(unit);
      i++;
      continue;
    }
    let run = 0;
    while (value.charCodeAt(i) === SPACE) {
      run++;
      i++;
    }
    // Trailing spaces were cut, so a non-space character follows. Fewer spaces before a
    // character below the space sort first; fewer before one above it sort last.
    const length = Math.min(run, MAX_RUN);
    pushToken(value.charCodeAt(i) < SPACE ? length - 1 : END + 1 + (MAX_RUN - length));
  }
  pushToken(END);
}

function pushFixedPart(part: string): void {
  reserve(part.length);
  for (let i = 0; i < part.length; i++) scratch[position++] = part.charCodeAt(i);
}

function pushPart(kind: FieldKind, part: string): void {
  if (kind === 'string') pushStringPart(part);
  else pushFixedPart(part);
}

function takeKey(): Buffer {
  const key = Buffer.allocUnsafe(position);
  scratch.copy(key, 0, 0, position);
  position = 0;
  return key;
}

export type Bound = string | number | boolean | null | undefined;

/** The encoder of one index: keys of documents and of query bounds. */
export interface IndexKeyEncoder<Doc> {
  readonly fields: readonly string[];
  keyOf(doc: RxDocumentData<Doc>): Buffer;
  lowerBound(bounds: readonly Bound[]): Buffer;
  upperBound(bounds: readonly Bound[]): Buffer;
}

export function indexKeyEncoder<Doc>(schema: RxJsonSchema<RxDocumentData<Doc>>, fields: readonly string[]): IndexKeyEncoder<Doc> {
  const meta = getIndexMeta(schema, [...fields]);
  const kinds: FieldKind[] = meta.map((field) => (field.schemaPart.type === 'string' ? 'string' : 'fixed'));
  // Strings straight from the document (RxDB's part is the same value padded to maxLength,
  // and padding is what the encoding drops); numbers and booleans through RxDB's part.
  const parts = meta.map((field, index): ((doc: RxDocumentData<Doc>) => string) =>
    kinds[index] === 'string' ? (doc) => (field.getValue(doc) as string | undefined) || '' : field.getIndexStringPart,
  );
  const bound = (fromRxDB: typeof getStartIndexStringFromLowerBound, bounds: readonly Bound[]) => {
    position = 0;
    fields.forEach((field, index) => {
      pushPart(kinds[index]!, fromRxDB(schema, [field], [bounds[index]]));
    });
    return takeKey();
  };
  return {
    fields,
    keyOf(doc) {
      position = 0;
      for (let index = 0; index < parts.length; index++) pushPart(kinds[index]!, parts[index]!(doc));
      return takeKey();
    },
    lowerBound: (bounds) => bound(getStartIndexStringFromLowerBound, bounds),
    upperBound: (bounds) => bound(getStartIndexStringFromUpperBound, bounds),
  };
}
