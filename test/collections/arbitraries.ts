import fc from 'fast-check';

/**
 * Document generators driven by a collection's derived JSON schema, so a field added to a
 * zod declaration is covered without touching the test. `validDocument` makes documents
 * both validators should accept; `mutatedDocument` breaks (or stretches to the edge) one
 * field at a time in the ways that historically split zod from ajv.
 */

interface JsonSchemaPart {
  readonly type?: string;
  readonly enum?: readonly string[];
  readonly properties?: Record<string, JsonSchemaPart>;
  readonly required?: readonly string[];
  readonly items?: JsonSchemaPart;
  readonly maxItems?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
}

/** Any code point but NUL, including astral ones (surrogate pairs). */
const safeChar = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => c !== '\u0000');

function stringArb(part: JsonSchemaPart): fc.Arbitrary<string> {
  const min = part.minLength ?? 0;
  const max = part.maxLength ?? 64;
  const short = fc.string({ unit: safeChar, minLength: min, maxLength: Math.min(max, 24) });
  // Exactly at the limit, counted in code points: astral characters are 2 UTF-16 units each.
  const atLimit = fc.constantFrom('😀', 'a', '\u{10FFFF}').map((c) => c.repeat(max));
  return fc.oneof({ arbitrary: short, weight: 9 }, { arbitrary: atLimit, weight: 1 });
}

function valueArb(part: JsonSchemaPart): fc.Arbitrary<unknown> {
  if (part.enum) return fc.constantFrom(...part.enum);
  switch (part.type) {
    case 'string':
      return stringArb(part);
    case 'integer':
      return fc.integer({ min: part.minimum ?? -1_000, max: part.maximum ?? 1_000 });
    case 'number':
      return fc.double({ min: part.minimum ?? -1_000, max: part.maximum ?? 1_000, noNaN: true, noDefaultInfinity: true });
    case 'array':
      return fc.array(valueArb(part.items ?? {}), { maxLength: Math.min(part.maxItems ?? 5, 3) });
    case 'object': {
      const properties = part.properties ?? {};
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, inner] of Object.entries(properties)) model[key] = valueArb(inner);
      return fc.record(model, { requiredKeys: [...(part.required ?? [])] as never[] });
    }
    default:
      throw new Error(`no generator for schema part ${JSON.stringify(part)}`);
  }
}

/** Documents that satisfy the JSON schema (cross-field invariants are not part of it). */
export const validDocument = (schema: JsonSchemaPart) => valueArb(schema) as fc.Arbitrary<Record<string, unknown>>;

type Path = readonly (string | number)[];

/** Every (path, schema part) of a document, the root included. */
function locations(doc: unknown, part: JsonSchemaPart, path: Path = []): { path: Path; part: JsonSchemaPart }[] {
  const here = [{ path, part }];
  if (part.type === 'object' && doc && typeof doc === 'object') {
    for (const [key, inner] of Object.entries(part.properties ?? {})) {
      const value = (doc as Record<string, unknown>)[key];
      here.push(...(value === undefined ? [{ path: [...path, key], part: inner }] : locations(value, inner, [...path, key])));
    }
  }
  if (part.type === 'array' && Array.isArray(doc))
    doc.forEach((value, i) => here.push(...locations(value, part.items ?? {}, [...path, i])));
  return here;
}

/** One edit of the value at a location; `undefined` means "delete the key". */
type Mutation = (value: unknown, part: JsonSchemaPart) => unknown;

const STRING_MUTATIONS: Record<string, Mutation> = {
  nul: (v) => `${String(v)}\u0000`,
  loneHigh: (v) => `${String(v)}\uD800`,
  loneLow: (v) => `\uDC00${String(v)}`,
  reversedPair: () => '\uDC00\uD83D',
  astralAtMax: (_v, p) => '😀'.repeat(p.maxLength ?? 10),
  astralOverMax: (_v, p) => '😀'.repeat((p.maxLength ?? 10) + 1),
  bmpOverMax: (_v, p) => 'x'.repeat((p.maxLength ?? 10) + 1),
  halfAstralUnits: (_v, p) => '😀'.repeat(Math.ceil((p.maxLength ?? 10) / 2) + 1),
  empty: () => '',
  wrongCase: (v) => String(v).toUpperCase(),
  padded: (v) => ` ${String(v)}`,
  number: () => 5,
};
const NUMBER_MUTATIONS: Record<string, Mutation> = {
  nan: () => Number.NaN,
  infinity: () => Number.POSITIVE_INFINITY,
  negativeInfinity: () => Number.NEGATIVE_INFINITY,
  aboveMax: (_v, p) => (p.maximum ?? 1e9) + 1,
  atMax: (_v, p) => p.maximum ?? 1e9,
  belowMin: (_v, p) => (p.minimum ?? 0) - 1,
  atMin: (_v, p) => p.minimum ?? 0,
  negativeZero: () => -0,
  fraction: (v) => Number(v) + 0.5,
  tinyFraction: (v) => Number(v) + 1e-9,
  unsafeInteger: () => 2 ** 53 + 2,
  numericString: (v) => String(v),
  boolean: () => true,
};
const ANY_MUTATIONS: Record<string, Mutation> = {
  delete: () => undefined,
  null: () => null,
  object: () => ({}),
  array: () => [],
};
const OBJECT_MUTATIONS: Record<string, Mutation> = {
  extraKey: (v) => ({ ...(v as object), extra_field: 1 }),
  protoKey: (v) => JSON.parse(JSON.stringify(v).replace(/^\{/, '{"__proto__":{"polluted":true},')) as unknown,
  protoKeyOnly: () => JSON.parse('{"__proto__":{}}') as unknown,
  constructorKey: (v) => ({ ...(v as object), constructor: 'x' }),
};
const ARRAY_MUTATIONS: Record<string, Mutation> = {
  tooMany: (v, p) => Array.from({ length: (p.maxItems ?? 10) + 1 }, () => (Array.isArray(v) ? (v[0] as unknown) : undefined) ?? 'x'),
  // A hole at index 0, like the literal `[, 'x']`.
  holey: () => {
    const holey = new Array<unknown>(2);
    holey[1] = 'x';
    return holey;
  },
  wrongItem: () => [42],
};

function mutationsFor(part: JsonSchemaPart): Record<string, Mutation> {
  const own =
    part.type === 'string'
      ? STRING_MUTATIONS
      : part.type === 'integer' || part.type === 'number'
        ? NUMBER_MUTATIONS
        : part.type === 'object'
          ? OBJECT_MUTATIONS
          : part.type === 'array'
            ? ARRAY_MUTATIONS
            : {};
  return { ...ANY_MUTATIONS, ...own };
}

function setAt(root: Record<string, unknown>, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let cursor = copy;
  for (const segment of path.slice(0, -1)) cursor = cursor[segment] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === undefined && !Array.isArray(cursor)) delete cursor[last];
  else cursor[last] = value;
  return copy;
}

export interface MutatedDocument {
  readonly doc: unknown;
  readonly path: Path;
  readonly mutation: string;
}

/** A valid document with one location edited; the edit may keep it valid (e.g. astralAtMax). */
export function mutatedDocument(schema: JsonSchemaPart): fc.Arbitrary<MutatedDocument> {
  return validDocument(schema).chain((doc) => {
    const choices = locations(doc, schema).flatMap(({ path, part }) =>
      Object.entries(mutationsFor(part)).map(([name, mutate]) => ({ path, part, name, mutate })),
    );
    return fc.constantFrom(...choices).map(({ path, part, name, mutate }) => {
      let current: unknown = doc;
      for (const segment of path) current = (current as Record<string | number, unknown>)[segment];
      return { doc: setAt(doc, path, mutate(current, part)), path, mutation: name };
    });
  });
}
