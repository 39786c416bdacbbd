/** A NUL or a lone UTF-16 surrogate: PostgreSQL's JSONB refuses both, so such a row could never be stored. */
const UNSAFE = /[\u0000]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Deeper nesting than this is refused rather than walked (a hostile body could nest deeply). */
export const MAX_DEPTH = 64;

/**
 * Finds the first string (value or key) in a JSON value that PostgreSQL cannot store, or a
 * nesting deeper than MAX_DEPTH. Iterative, so hostile nesting cannot overflow the stack.
 * Returns the path and the reason, or null when the value is safe.
 */
export function findUnsafeText(value: unknown): { path: (string | number)[]; message: string } | null {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item.value === 'string') {
      if (UNSAFE.test(item.value)) return { path: item.path, message: 'must not contain a NUL character or a lone surrogate' };
      continue;
    }
    if (typeof item.value !== 'object' || item.value === null) continue;
    if (item.path.length >= MAX_DEPTH) return { path: item.path, message: `nested deeper than ${MAX_DEPTH} levels` };
    if (Array.isArray(item.value)) {
      item.value.forEach((inner: unknown, index) => stack.push({ value: inner, path: [...item.path, index] }));
      continue;
    }
    for (const [key, inner] of Object.entries(item.value)) {
      if (UNSAFE.test(key)) return { path: [...item.path, key], message: 'a key must not contain a NUL character or a lone surrogate' };
      stack.push({ value: inner, path: [...item.path, key] });
    }
  }
  return null;
}
