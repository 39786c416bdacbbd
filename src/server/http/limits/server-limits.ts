import { MAX_BODY_BYTES, MAX_PUSH_ROWS } from '../../../protocol/endpoints.ts';

/**
 * Every bound the server puts on one token, client, connection or document, in one place
 * with its default (issue 23). Each one names what a client sees past it; RELIABILITY.md
 * ("Limits") and docs/limits.md carry the same table for operators.
 */
export interface ServerLimits {
  /** Largest request body in bytes (413 TOO_LARGE beyond); announced on every answer (MAX_BODY_HEADER). Default 8 MiB. */
  readonly maxBodyBytes: number;
  /** Rows per push (413 TOO_LARGE beyond). Default 1,000. */
  readonly maxPushRows: number;
  /**
   * Bytes of documents per pull page, whatever its batchSize: the page stops once this is
   * reached (a document larger than the budget still goes, alone) and says `more: true`.
   * Default 4 MiB.
   */
  readonly maxPageBytes: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxBodyBytes: MAX_BODY_BYTES,
  maxPushRows: MAX_PUSH_ROWS,
  maxPageBytes: 4 * 1024 * 1024,
};

/** Overrides of some limits; an undefined value keeps the one before it. */
export type LimitOverrides = { readonly [K in keyof ServerLimits]?: ServerLimits[K] | undefined };

/** The defaults with each set of overrides applied in turn (later ones win, undefined values skipped). */
export function resolveLimits(...overrides: readonly (LimitOverrides | undefined)[]): ServerLimits {
  const limits: Record<string, unknown> = { ...DEFAULT_LIMITS };
  for (const set of overrides) for (const [name, value] of Object.entries(set ?? {})) if (value !== undefined) limits[name] = value;
  return limits as unknown as ServerLimits;
}
