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

function pushUnit(out: number[], unit: number): void {
  if (unit < 0x80) out.push(unit);
  else if (unit < 0x4000) out.push(0x80 | (unit >> 8), unit & 0xff);
  else out.push(0xc0, unit >> 8, unit & 0xff);
}

function pushToken(out: number[], token: number): void {
  out.push(SPACE, token >> 8, token & 0xff);
}

/** One padded string field (RxDB's form) in its compact, order-equivalent encoding. */
function pushStringPart(out: number[], part: string): void {
  let end = part.length;
  while (end > 0 && part.charCodeAt(end - 1) === SPACE) end--;
  let i = 0;
  while (i < end) {
    const unit = part.charCodeAt(i);
    if (unit !== SPACE) {
      pushUnit(out, unit);
      i++;
      continue;
    }
    let run = 0;
    while (part.charCodeAt(i) === SPACE) {
      run++;
      i++;
    }
    // Trailing spaces were cut, so a non-space character follows. Fewer spaces before a
    // character below the space sort first; fewer before one above it sort last.
    const length = Math.min(run, MAX_RUN);
    pushToken(out, part.charCodeAt(i) < SPACE ? length - 1 : END + 1 + (MAX_RUN - length));
  }
  pushToken(out, END);
}

function pushFixedPart(out: number[], part: string): void {
  for (let i = 0; i < part.length; i++) out.push(part.charCodeAt(i));
}

function pushPart(out: number[], kind: FieldKind, part: string): void {
  if (kind === 'string') pushStringPart(out, part);
  else pushFixedPart(out, part);
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
  const parts = meta.map((field) => field.getIndexStringPart);
  const bound = (fromRxDB: typeof getStartIndexStringFromLowerBound, bounds: readonly Bound[]) => {
    const out: number[] = [];
    fields.forEach((field, index) => {
      pushPart(out, kinds[index]!, fromRxDB(schema, [field], [bounds[index]]));
    });
    return Buffer.from(out);
  };
  return {
    fields,
    keyOf(doc) {
      const out: number[] = [];
      for (let index = 0; index < parts.length; index++) pushPart(out, kinds[index]!, parts[index]!(doc));
      return Buffer.from(out);
    },
    lowerBound: (bounds) => bound(getStartIndexStringFromLowerBound, bounds),
    upperBound: (bounds) => bound(getStartIndexStringFromUpperBound, bounds),
  };
}
