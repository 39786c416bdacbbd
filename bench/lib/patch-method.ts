/**
 * Replaces `target[key]` with `replacement` as an own property, so every caller that looks
 * the method up at call time goes through it. Returns the function that puts the original
 * back (the previous own property, or none, so the prototype's method shows through again).
 */
export function patchMethod<T extends object, K extends keyof T>(target: T, key: K, replacement: T[K]): () => void {
  const hadOwn = Object.hasOwn(target, key);
  const previous = target[key];
  target[key] = replacement;
  return () => {
    if (hadOwn) target[key] = previous;
    else delete target[key];
  };
}
