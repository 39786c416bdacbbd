/**
 * The timers `until` waits on, taken when this module loads: a test that fakes `Date` or the
 * global timers afterwards (vi.useFakeTimers, `fakeClock`) does not stop the wait or its
 * deadline, and the wait never moves a fake clock.
 */
const realSetTimeout = globalThis.setTimeout;
const realSetImmediate = globalThis.setImmediate;
const realNow = performance.now.bind(performance);

/** For its first `POLL_MS` a wait checks once per real macrotask, then once every `POLL_MS`. */
const POLL_MS = 50;

export interface UntilOptions {
  /** Real milliseconds before the wait fails; default 20 s. */
  readonly timeoutMs?: number;
}

/**
 * The one "wait until a condition holds" of the tests and benchmarks: checks `condition` now,
 * then after each real macrotask for the first 50 ms (so in-process storage work is seen as
 * soon as it lands), then every 50 ms of real time (so a wait on a process, a socket or a
 * server does not spin a core or flood it). A condition that throws ends the wait with its error.
 *
 * Fails after `timeoutMs` of real time with `timed out after … ms waiting for <what>`;
 * `what` names what was awaited and, as a function, is read at that moment, so it can say how
 * far things got (`() => \`3 runs (have ${reports.length})\``).
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string | (() => string),
  options: UntilOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const start = realNow();
  for (;;) {
    if (await condition()) return;
    const elapsed = realNow() - start;
    if (elapsed > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    }
    await new Promise((resolve) => (elapsed < POLL_MS ? realSetImmediate(resolve) : realSetTimeout(resolve, POLL_MS)));
  }
}
