/**
 * Who may write what, and which times a write may carry. Each collection declares its rules
 * beside its merge rule; the server judges every push row with them against the version it
 * stores, and a store that knows its role judges its own writes with the same function
 * before writing, so a dashboard never shows a write that will later bounce.
 *
 * | role       | may write                                                                   |
 * |------------|-----------------------------------------------------------------------------|
 * | `bot`      | creates in every collection, edits of pending actions, every transition, deletes |
 * | `member`   | pending → actioned (as itself), pending → dismissed, the expiry once due      |
 * | `operator` | nothing                                                                     |
 */
import { DAY_MS } from './fields.ts';

export const ROLES = ['bot', 'member', 'operator'] as const;
export type Role = (typeof ROLES)[number];

/** Who writes: the role and, for members, the subject their `actioned_by` must equal. */
export interface Writer {
  readonly role: Role;
  readonly subject?: string | undefined;
}

/**
 * How far a write's times may stray from the judge's clock. `skewMs` bounds how far in the
 * future a time may lie (and how early an expiry may be written); `maxPastMs` how old a
 * document may be when it is first created (a bot that was offline that long, or a clock
 * that far behind).
 */
export interface TimeAllowance {
  readonly skewMs: number;
  readonly maxPastMs: number;
}
export const DEFAULT_TIME_ALLOWANCE: TimeAllowance = { skewMs: 5 * 60_000, maxPastMs: 30 * DAY_MS };

/** One write as the rules see it. */
export interface ProposedWrite<Doc> {
  /** The live version it replaces; undefined for a create (no document, or a tombstone). */
  readonly previous: Doc | undefined;
  /** The new version (for a delete: the document as deleted). */
  readonly next: Doc;
  readonly deleted: boolean;
}

export interface WriteRefusal {
  readonly code: 'FORBIDDEN_ROLE' | 'CLOCK_SKEW';
  readonly message: string;
  readonly path: readonly string[];
}

export interface JudgeContext {
  readonly writer: Writer;
  /** The judge's clock: the server's, or the store's own. */
  readonly now: number;
  readonly allowance: TimeAllowance;
}

/** A collection's write rules (declared beside its merge rule). */
export interface WriteRules<Doc> {
  /** What bots and members may do (operators never write); null when allowed. */
  readonly mayWrite: (write: ProposedWrite<Doc>, context: JudgeContext) => WriteRefusal | null;
  /** Fields holding an instant: a changed one may not lie beyond now + skew. */
  readonly timeFields: readonly string[];
  /** A collection's own time rule (actions: no expiry before it is due). */
  readonly timeRule?: (write: ProposedWrite<Doc>, context: JudgeContext) => WriteRefusal | null;
}

/**
 * Judges one write: the role first, then its times. Null when it may be written.
 * Operators write nothing; times are judged for every role (a fast clock misdates a
 * document for everyone, whoever holds it).
 */
export function judgeWrite<Doc extends object>(
  rules: WriteRules<Doc>,
  write: ProposedWrite<Doc>,
  context: JudgeContext,
): WriteRefusal | null {
  if (context.writer.role === 'operator') return forbidden('an operator token writes no documents', []);
  return rules.mayWrite(write, context) ?? (write.deleted ? null : timeRefusal(rules, write, context));
}

function timeRefusal<Doc extends object>(rules: WriteRules<Doc>, write: ProposedWrite<Doc>, context: JudgeContext): WriteRefusal | null {
  const { now, allowance } = context;
  const next = write.next as Record<string, unknown>;
  const previous = write.previous as Record<string, unknown> | undefined;
  for (const field of rules.timeFields) {
    const value = next[field];
    // Only a time this write sets is judged: an unchanged one was judged when it was written.
    if (typeof value !== 'number' || (previous && previous[field] === value)) continue;
    if (value > now + allowance.skewMs) return skewed(`${field} lies in the future by the server's clock`, [field]);
  }
  const created = next['created_at'];
  if (previous === undefined && typeof created === 'number' && created < now - allowance.maxPastMs) {
    return skewed('created_at lies too far in the past for a new document', ['created_at']);
  }
  return rules.timeRule?.(write, context) ?? null;
}

export function forbidden(message: string, path: readonly string[]): WriteRefusal {
  return { code: 'FORBIDDEN_ROLE', message, path };
}

export function skewed(message: string, path: readonly string[]): WriteRefusal {
  return { code: 'CLOCK_SKEW', message, path };
}

/** The fields whose values differ between two versions (JSON values, key order ignored). */
export function changedFields(previous: object, next: object): string[] {
  const a = previous as Record<string, unknown>;
  const b = next as Record<string, unknown>;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((key) => !sameJson(a[key], b[key]));
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  return keys.length === Object.keys(right).length && keys.every((key) => Object.hasOwn(right, key) && sameJson(left[key], right[key]));
}

/**
 * The rules of an append-only collection (summaries, insights): only bots write, by
 * creating (and purging); nobody edits one; members write nothing.
 */
export function appendOnlyWriteRules<Doc extends object>(): WriteRules<Doc> {
  return {
    timeFields: ['created_at'],
    mayWrite: ({ previous, deleted }, { writer }) => {
      if (writer.role !== 'bot') return forbidden('only a bot writes summaries and insights', []);
      if (previous !== undefined && !deleted) return forbidden('summaries and insights are never edited', []);
      return null;
    },
  };
}
