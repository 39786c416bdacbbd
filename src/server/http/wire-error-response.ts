import type * as z from 'zod/mini';
import { toIssues } from '../../collections/declare-collection.ts';
import { BrainStoreError, type BrainStoreErrorCode } from '../../errors/brain-store-error.ts';
import type { WireError } from '../../protocol/messages.ts';

/** HTTP status for each error code a request can end with; anything else is a 500. */
const STATUS: Partial<Record<BrainStoreErrorCode, 400 | 401 | 403 | 404 | 413 | 426 | 429>> = {
  BAD_REQUEST: 400,
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN_ROLE: 403,
  FORBIDDEN_WORKSPACE: 403,
  NOT_FOUND: 404,
  TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UPGRADE_REQUIRED: 426,
};

/**
 * Turns any thrown value into a status and a WireError body. Unknown errors become a bare
 * 500 STORAGE: their message, stack and cause stay in the server log, never in the response.
 */
export function wireErrorResponse(error: unknown): {
  status: 400 | 401 | 403 | 404 | 413 | 426 | 429 | 500 | 503 | 507;
  body: WireError;
  retryAfterSeconds?: number;
} {
  if (isDiskFull(error)) return DISK_FULL;
  if (isStatementTimeout(error)) return STATEMENT_TIMEOUT;
  if (error instanceof BrainStoreError) {
    const status = STATUS[error.code];
    if (status !== undefined) {
      const body: WireError = { error: { code: error.code, message: error.message } };
      if (error.issues.length > 0) body.error.issues = error.issues.map(({ path, message, code }) => ({ path: [...path], message, code }));
      const retry = error.parameters['retryAfterSeconds'];
      return typeof retry === 'number' ? { status, body, retryAfterSeconds: retry } : { status, body };
    }
  }
  return { status: 500, body: { error: { code: 'STORAGE', message: 'STORAGE: The server failed to handle the request.' } } };
}

/**
 * The server's disk is full (PostgreSQL's disk_full, 53100, or PGlite's guard): 507 with a
 * message a client can show, not the bare 500. The path and the figures stay in the log.
 */
const DISK_FULL = {
  status: 507,
  body: {
    error: {
      code: 'STORAGE',
      message: "STORAGE: The server's disk is full: nothing of this request was written. Retry later; reads still work.",
    },
  },
  retryAfterSeconds: 30,
} as const satisfies ReturnType<typeof wireErrorResponse>;

/**
 * A statement of the request ran past the server's statement timeout (PostgreSQL cancelled
 * it: 57014, "canceling statement due to statement timeout"): 503 with Retry-After, a
 * message that says so, and nothing written (its transaction rolled back).
 */
const STATEMENT_TIMEOUT = {
  status: 503,
  body: {
    error: {
      code: 'STORAGE',
      message: "STORAGE: The request took longer than the server's statement timeout and was cancelled; nothing was written. Retry later.",
    },
  },
  retryAfterSeconds: 5,
} as const satisfies ReturnType<typeof wireErrorResponse>;

export function isStatementTimeout(error: unknown): boolean {
  for (let current = error, depth = 0; current !== null && typeof current === 'object' && depth < 5; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (code === '57014' && typeof message === 'string' && message.includes('statement timeout')) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function isDiskFull(error: unknown): boolean {
  for (let current = error, depth = 0; current !== null && typeof current === 'object' && depth < 5; depth++) {
    if ((current as { code?: unknown }).code === '53100') return true;
    if (current instanceof BrainStoreError && current.parameters['reason'] === 'disk-full') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Shorthand for the whole-request errors the handlers throw. */
/** A request body its schema refused: BAD_REQUEST with `message` (the expected shape) and the first 20 zod issues. */
export function badBody(message: string, error: z.core.$ZodError): BrainStoreError {
  return new BrainStoreError('BAD_REQUEST', { message, issues: toIssues(error).slice(0, 20) });
}

export function requestError(code: BrainStoreErrorCode, message: string, parameters: Record<string, unknown> = {}): BrainStoreError {
  return new BrainStoreError(code, { message, parameters });
}
