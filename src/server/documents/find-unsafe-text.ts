/** Deeper nesting than this is refused rather than walked (a hostile body could nest deeply). */
export const MAX_DEPTH = 64;

type Unsafe = { path: (string | number)[]; message: string };

const TEXT = 'must not contain a NUL character or a lone surrogate';
const KEY = 'a key must not contain a NUL character or a lone surrogate';

/**
 * A NUL or a lone UTF-16 surrogate: PostgreSQL's JSONB refuses both, so such a row could
 * never be stored. `isWellFormed` (native, Node 20) finds lone surrogates; a surrogate pair
 * (an emoji) is well formed.
 */
function unsafeString(text: string): boolean {
  return text.includes('\u0000') || !(text as string & { isWellFormed(): boolean }).isWellFormed();
}

/**
 * Finds the first string (value or key) in a JSON value that PostgreSQL cannot store, or a
 * nesting deeper than MAX_DEPTH. Recursion stops at MAX_DEPTH, so hostile nesting cannot
 * overflow the stack; the path is built only for the value it finds (a push checks every
 * document, and nearly all are safe). Returns the path and the reason, or null when safe.
 */
export function findUnsafeText(value: unknown): Unsafe | null {
  return walk(value, 0);
}

function walk(value: unknown, depth: number): Unsafe | null {
  if (typeof value === 'string') return unsafeString(value) ? { path: [], message: TEXT } : null;
  if (typeof value !== 'object' || value === null) return null;
  if (depth >= MAX_DEPTH) return { path: [], message: `nested deeper than ${MAX_DEPTH} levels` };
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const inner: unknown = value[index];
      if (typeof inner !== 'object' && typeof inner !== 'string') continue;
      const found = walk(inner, depth + 1);
      if (found) return { path: [index, ...found.path], message: found.message };
    }
    return null;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (unsafeString(key)) return { path: [key], message: KEY };
    const inner: unknown = (value as Record<string, unknown>)[key];
    if (typeof inner !== 'object' && typeof inner !== 'string') continue;
    const found = walk(inner, depth + 1);
    if (found) return { path: [key, ...found.path], message: found.message };
  }
  return null;
}
