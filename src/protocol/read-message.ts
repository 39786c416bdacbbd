import type * as z from 'zod/mini';
import { BrainStoreError, ERROR_CODES, type BrainStoreErrorCode } from '../errors/brain-store-error.ts';
import { installEnglishZodMessages } from '../collections/zod-messages.ts';

installEnglishZodMessages();

/**
 * Checks a message that arrived over the wire against its schema: the parsed value, or a
 * PROTOCOL error naming what did not match (at most 20 issues) and where it came from.
 *
 * @example
 * const page = readMessage(pullResponseSchema, await response.json(), '/sync/brainActions/pull');
 */
export function readMessage<T>(schema: z.ZodMiniType<T>, value: unknown, path: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new BrainStoreError('PROTOCOL', {
    parameters: { path },
    issues: result.error.issues.slice(0, 20).map((issue) => ({
      path: issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment)),
      message: issue.message,
      code: issue.code,
    })),
  });
}

/** Whether a code that came over the wire is one of ours (a newer server may send others). */
export function isKnownErrorCode(code: string): code is BrainStoreErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}
