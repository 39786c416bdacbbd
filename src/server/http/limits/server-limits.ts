import { MAX_BODY_BYTES, MAX_PUSH_ROWS } from '../../../protocol/endpoints.ts';
import { openFileLimit } from './open-file-limit.ts';

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
  /**
   * Open connections of the process; one more is answered 503 with Retry-After and closed,
   * so the process never runs out of file descriptors (EMFILE). Default: the process's
   * open-file limit less 256 for the database and files, at least 64 (4,096 when unknown).
   */
  readonly maxConnections: number;
  /** Change streams open at once per token subject and per token (429 RATE_LIMITED beyond). Default 10. */
  readonly maxStreamsPerSubject: number;
  /**
   * Bytes a change stream may owe: written to it since its client's last pull of the
   * collection (that pull, with the stream's client id, acknowledges what came before).
   * Documents go while they fit under it less 4 KiB; past that the stream sends one poke and
   * then only heartbeats; a client that has not pulled two heartbeats after that poke, or a
   * stream that would owe more, is disconnected (its client reconnects and RESYNCs). What a
   * reader that stops reading costs the server and the kernel is bounded by it. Default 256 KiB.
   */
  readonly maxStreamOwedBytes: number;
  /** Sync requests being answered at once per subject (429 RATE_LIMITED beyond, retry in 1 s). Default 32. */
  readonly maxInFlightPerSubject: number;
  /** Time a connection has to send its request line and headers (then it is closed). Default 10 s. */
  readonly headersTimeoutMs: number;
  /**
   * Body progress: each `bodyIntervalMs` of an upload must bring at least `bodyMinBytes`
   * (else 400 BAD_REQUEST and the connection closed), so a trickled body cannot hold its
   * share of the body budget. Defaults 16 KiB per 10 s.
   */
  readonly bodyMinBytes: number;
  readonly bodyIntervalMs: number;
  /** Requests with a missing or refused token per client address and 10 s window (429 beyond). Default 100. */
  readonly maxUnauthenticatedPerAddress: number;
  /**
   * The cost budget per subject and `costWindowMs` (create-cost-budget.ts): rows its
   * requests made the server handle — pushed rows, refused ones included, pulled and
   * first-sync documents. Past it, 429 RATE_LIMITED with Retry-After until the window ends.
   * 0: no bound. Default 500,000: twice the 25k documents a second a first sync is to reach (issue 19), so it is never throttled; a bot pushes ~16k rows/s. A flood of refused rows is held by the bytes budget.
   */
  readonly maxRowsPerSubject: number;
  /** Bytes likewise: request bodies and pulled documents' JSON. 0: no bound. Default 128 MiB. */
  readonly maxBytesPerSubject: number;
  /** The window of the cost budget. Default 10 s. */
  readonly costWindowMs: number;
}

/** Descriptors kept for the database, PGlite's files and logs when the connection cap is derived. */
const RESERVED_FILES = 256;

export const DEFAULT_LIMITS: ServerLimits = {
  maxBodyBytes: MAX_BODY_BYTES,
  maxPushRows: MAX_PUSH_ROWS,
  maxPageBytes: 4 * 1024 * 1024,
  maxConnections: defaultMaxConnections(openFileLimit()),
  maxStreamsPerSubject: 10,
  maxStreamOwedBytes: 256 * 1024,
  maxInFlightPerSubject: 32,
  headersTimeoutMs: 10_000,
  bodyMinBytes: 16 * 1024,
  bodyIntervalMs: 10_000,
  maxUnauthenticatedPerAddress: 100,
  maxRowsPerSubject: 500_000,
  maxBytesPerSubject: 128 * 1024 * 1024,
  costWindowMs: 10_000,
};

/** The connection cap for an open-file limit (undefined: unknown). */
export function defaultMaxConnections(fileLimit: number | undefined): number {
  if (fileLimit === undefined) return 4_096;
  return Math.max(64, fileLimit - RESERVED_FILES);
}

/** Overrides of some limits; an undefined value keeps the one before it. */
export type LimitOverrides = { readonly [K in keyof ServerLimits]?: ServerLimits[K] | undefined };

/** The defaults with each set of overrides applied in turn (later ones win, undefined values skipped). */
export function resolveLimits(...overrides: readonly (LimitOverrides | undefined)[]): ServerLimits {
  const limits: Record<string, unknown> = { ...DEFAULT_LIMITS };
  for (const set of overrides) for (const [name, value] of Object.entries(set ?? {})) if (value !== undefined) limits[name] = value;
  return limits as unknown as ServerLimits;
}
