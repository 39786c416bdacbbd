import type { Timers } from '../queries/query-context.ts';

/**
 * The timers of the store's time-driven parts (the live queries' re-arming at an expiry or
 * snooze instant — createBrainStore's `scheduler` —, the expiry cleanup, the access token's
 * renewal, the bot's status line), injectable so a host (or a test) can drive them. It lives in
 * the store so that replication and expiry, which both use it, stay peers; its shape is the
 * queries' `Timers`, which the live queries arm. The type keeps its first user's name,
 * ExpiryScheduler, which the package exports.
 * The default resolves `globalThis.setTimeout` at call time, so fake timers installed after
 * this module was loaded are honoured.
 */
export type ExpiryScheduler = Timers;

/** The host's own timers (global setTimeout and clearTimeout). */
export const defaultScheduler: ExpiryScheduler = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** setTimeout cannot wait longer than this (2^31 - 1 ms); longer waits fire early and re-arm. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * A delay setTimeout accepts: whole, between 0 and MAX_TIMER_MS. An app arming a timer for a
 * store instant (an action's expires_at may be a month out) passes its wait through this and
 * re-arms when the timer fires before the instant.
 */
export function timerDelay(ms: number): number {
  return Math.min(Math.max(Math.ceil(ms), 0), MAX_TIMER_MS);
}
