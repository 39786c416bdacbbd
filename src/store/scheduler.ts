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

export { timerDelay, whenClockReaches } from '../queries/clock-waits.ts';
