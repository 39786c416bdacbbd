/**
 * Snooze (brainActions schema version 1): a pending action hidden from the queue until
 * `snoozed_until`, then shown again at that instant. It is not a status: the action stays
 * pending, so expiry, actioning and dismissing apply as before.
 *
 * - `snoozed_until`: epoch ms; 0 = never snoozed (required, so an index can hold it);
 * - `snoozed_at`: when the snooze was made (store clock, judged by the server like any
 *   transition time); absent while never snoozed;
 * - `snoozed_by`: who snoozed (a member's token subject; optional for a bot).
 */
export const SNOOZE_FIELDS = ['snoozed_until', 'snoozed_at', 'snoozed_by'] as const;

export interface SnoozeFields {
  readonly snoozed_until?: number | undefined;
  readonly snoozed_at?: number | undefined;
  readonly snoozed_by?: string | undefined;
}

/** The snooze part of a version, absent fields left out, keys always in one order (so its JSON compares). */
export function snoozeOf(doc: SnoozeFields): Record<string, unknown> {
  const part: Record<string, unknown> = {};
  for (const field of SNOOZE_FIELDS) if (doc[field] !== undefined) part[field] = doc[field];
  return part;
}

/**
 * Which of two versions holds the snooze that stands: the later `snoozed_at` (never snoozed
 * counts as earliest), ties by the canonical JSON that sorts first. A total order, so taking
 * its maximum is commutative, associative and idempotent: every replica keeps the same snooze.
 */
export function laterSnooze<Doc extends SnoozeFields>(a: Doc, b: Doc): Doc {
  const at = (doc: SnoozeFields) => doc.snoozed_at ?? -1;
  if (at(a) !== at(b)) return at(a) > at(b) ? a : b;
  return JSON.stringify(snoozeOf(a)) <= JSON.stringify(snoozeOf(b)) ? a : b;
}

/** `doc` with the snooze part of `from` (absent fields removed). */
export function withSnoozeOf<Doc extends SnoozeFields>(doc: Doc, from: SnoozeFields): Doc {
  const out = { ...doc } as Record<string, unknown>;
  for (const field of SNOOZE_FIELDS) delete out[field];
  return { ...out, ...snoozeOf(from) } as unknown as Doc;
}

export function sameSnooze(a: SnoozeFields, b: SnoozeFields): boolean {
  return JSON.stringify(snoozeOf(a)) === JSON.stringify(snoozeOf(b));
}
