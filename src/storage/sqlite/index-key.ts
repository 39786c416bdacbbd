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

/** Writes `value` as exactly `width` decimal digits; false when it does not fit (the caller falls back to RxDB's string). */
function pushDigits(value: number, width: number): boolean {
  if (!Number.isSafeInteger(value) || value < 0) return false;
  reserve(width);
  let rest = value;
  for (let i = width - 1; i >= 0; i--) {
    scratch[position + i] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  if (rest !== 0) return false;
  position += width;
  return true;
}

type IndexMeta<Doc> = ReturnType<typeof getIndexMeta<Doc>>[number];
/** Appends one field of a document to the key being built. */
type PushField<Doc> = (doc: RxDocumentData<Doc>) => void;

/** A reader of one field: a plain property read for a top-level field, RxDB's path reader for a nested one. */
function valueReader<Doc>(field: IndexMeta<Doc>): (doc: RxDocumentData<Doc>) => unknown {
  const name = field.fieldName;
  if (name.includes('.')) return field.getValue as (doc: RxDocumentData<Doc>) => unknown;
  return (doc) => (doc as Record<string, unknown>)[name];
}

/**
 * The writer of one field of a document's key, compiled once per index: the bytes are
 * exactly those of RxDB's index string part transcoded (`pushPart(kind, getIndexStringPart(doc))`),
 * without the intermediate padded strings. A number is written digit by digit with RxDB's
 * clamping and rounding; anything that is not a finite number in range (invalid input that
 * validation normally stops) goes through RxDB's own part, so the result never differs.
 */
function fieldWriter<Doc>(field: IndexMeta<Doc>): PushField<Doc> {
  const read = valueReader<Doc>(field);
  const type = field.schemaPart.type;
  if (type === 'string') return (doc) => pushStringPart((read(doc) as string | undefined) || '');
  if (type === 'boolean') {
    return (doc) => {
      reserve(1);
      scratch[position++] = read(doc) ? 0x31 : 0x30;
    };
  }
  const { minimum, maximum, roundedMinimum, nonDecimals, decimals, multiplier } = field.parsedLengths!;
  const viaRxDB = (doc: RxDocumentData<Doc>) => pushFixedPart(field.getIndexStringPart(doc));
  return (doc) => {
    const stored = read(doc);
    if (typeof stored !== 'number' || !Number.isFinite(stored)) return viaRxDB(doc);
    let value = stored;
    if (value < minimum) value = minimum;
    if (value > maximum) value = maximum;
    const floored = Math.floor(value);
    const start = position;
    const fits =
      pushDigits(floored - roundedMinimum, nonDecimals) &&
      (decimals === 0 || pushDigits(Math.min(Math.round((value - floored) * multiplier), multiplier - 1), decimals));
    if (fits) return;
    position = start;
    viaRxDB(doc);
  };
}

export function indexKeyEncoder<Doc>(schema: RxJsonSchema<RxDocumentData<Doc>>, fields: readonly string[]): IndexKeyEncoder<Doc> {
  const meta = getIndexMeta(schema, [...fields]);
  const kinds: FieldKind[] = meta.map((field) => (field.schemaPart.type === 'string' ? 'string' : 'fixed'));
  const writers = meta.map((field) => fieldWriter<Doc>(field));
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
      for (let index = 0; index < writers.length; index++) writers[index]!(doc);
      return takeKey();
    },
    lowerBound: (bounds) => bound(getStartIndexStringFromLowerBound, bounds),
    upperBound: (bounds) => bound(getStartIndexStringFromUpperBound, bounds),
  };
}

/** All of a document's index keys at once, in the order of the indexes given to `documentKeys`. */
export type DocumentKeys<Doc> = (doc: RxDocumentData<Doc>) => Buffer[];

/**
 * The keys of a document in every index, each field encoded once: the indexes of a schema
 * share most fields (the id ends every one, `_deleted` starts most, the workspace and status
 * follow), and a key is its fields' encodings one after the other. So each distinct field is
 * written once into the scratch buffer and every key copies its fields' bytes: the same bytes
 * as `indexKeyEncoder(schema, index).keyOf(doc)`, per index, for less than half the encoding.
 */
export function documentKeys<Doc>(schema: RxJsonSchema<RxDocumentData<Doc>>, indexes: readonly (readonly string[])[]): DocumentKeys<Doc> {
  const fields = [...new Set(indexes.flat())];
  const writers = getIndexMeta(schema, fields).map((field) => fieldWriter<Doc>(field));
  const plans = indexes.map((index) => index.map((field) => fields.indexOf(field)));
  const starts = new Int32Array(fields.length);
  const ends = new Int32Array(fields.length);
  return (doc) => {
    position = 0;
    for (let field = 0; field < writers.length; field++) {
      starts[field] = position;
      writers[field]!(doc);
      ends[field] = position;
    }
    const keys = new Array<Buffer>(plans.length);
    for (let index = 0; index < plans.length; index++) {
      const plan = plans[index]!;
      let length = 0;
      for (const field of plan) length += ends[field]! - starts[field]!;
      const key = Buffer.allocUnsafe(length);
      let at = 0;
      for (const field of plan) {
        for (let byte = starts[field]!; byte < ends[field]!; byte++) key[at++] = scratch[byte]!;
      }
      keys[index] = key;
    }
    position = 0;
    return keys;
  };
}
