import * as z from 'zod/mini';

/**
 * Field builders shared by the three collection declarations. Each one is written so that
 * `z.toJSONSchema` yields exactly the constraint the zod check enforces, which keeps the
 * zod schema and the derived RxDB JSON schema (validated by ajv) in agreement.
 *
 * They use zod's mini build (functions instead of methods): the browser then ships only the
 * checks in use, not classic zod with its JSON-schema generator (issue 16, the bundle diet).
 */

/** No NUL character and no lone UTF-16 surrogate (the `u` flag reads surrogate pairs as one code point). */
export const SAFE_TEXT_PATTERN = /^[^\u0000\uD800-\uDFFF]*$/u;

/** Latest timestamp accepted (ms since epoch, year 2286); bounds the indexed number fields. */
export const MAX_TIME = 10_000_000_000_000;

export const DAY_MS = 86_400_000;

/**
 * A string of at most `max` code points. ajv counts code points (its `unicode` option),
 * zod's `.max()` counts UTF-16 units, so the length check is a refinement and the JSON
 * schema gets `maxLength` through metadata.
 */
export function text(max: number, min = 0) {
  return z.string().check(
    z.regex(SAFE_TEXT_PATTERN, { error: 'must not contain a NUL character or a lone surrogate' }),
    z.refine((value: string) => withinCodePoints(value, min, max), {
      error: min > 0 ? `must be ${min} to ${max} characters` : `must be at most ${max} characters`,
    }),
    z.meta(min > 0 ? { maxLength: max, minLength: min } : { maxLength: max }),
  );
}

/**
 * A string has at most as many code points as UTF-16 units (and at least half as many), so
 * most strings are decided by `.length` alone; only the rest are walked.
 */
function withinCodePoints(value: string, min: number, max: number): boolean {
  const units = value.length;
  if (units <= max && units >= 2 * min) return true;
  if (units < min || units > 2 * max) return false;
  const points = codePointLength(value);
  return points <= max && points >= min;
}

function codePointLength(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/** The client-made primary key (UUIDv7 by default) and other identifiers used in indexes. */
export const identifier = () => text(128, 1);

/** Epoch milliseconds; indexed, so bounded and whole. */
export const timestamp = () => z.number().check(z.int(), z.minimum(0), z.maximum(MAX_TIME), z.meta({ multipleOf: 1 }));

/** A whole count (frequency, lead counts, tokens). */
export const count = () => z.number().check(z.int(), z.minimum(0), z.maximum(1_000_000_000));

/** A finite non-negative number. */
export const nonNegative = (max = 1_000_000_000) => z.number().check(z.minimum(0), z.maximum(max));

/** The newest-first sort key: RxDB's planner serves only ascending index order. */
export function descendingTime(time: number): number {
  return MAX_TIME - time;
}

/** An enum of strings; indexed fields need a maxLength, so it carries one. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values).check(z.meta({ maxLength: Math.max(...values.map((value) => value.length)) }));
}
