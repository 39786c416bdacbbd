import { BrainStoreError, type BrainStoreErrorCode } from '../../errors/brain-store-error.ts';
import type { WireError } from '../../protocol/messages.ts';

/** HTTP status for each error code a request can end with; anything else is a 500. */
const STATUS: Partial<Record<BrainStoreErrorCode, 400 | 401 | 403 | 404 | 413 | 429>> = {
  BAD_REQUEST: 400,
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN_ROLE: 403,
  NOT_FOUND: 404,
  TOO_LARGE: 413,
  RATE_LIMITED: 429,
};

/**
 * Turns any thrown value into a status and a WireError body. Unknown errors become a bare
 * 500 STORAGE: their message, stack and cause stay in the server log, never in the response.
 */
export function wireErrorResponse(error: unknown): {
  status: 400 | 401 | 403 | 404 | 413 | 429 | 500;
  body: WireError;
  retryAfterSeconds?: number;
} {
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

/** Shorthand for the whole-request errors the handlers throw. */
export function requestError(code: BrainStoreErrorCode, message: string, parameters: Record<string, unknown> = {}): BrainStoreError {
  return new BrainStoreError(code, { message, parameters });
}
