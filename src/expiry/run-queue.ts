/**
 * One serial queue for cleanup runs: runs never overlap, and requests that arrive while a
 * run is in progress collapse into a single follow-up run (ten triggers during a slow run
 * cause one more run, not ten). `run` handles its own errors.
 */
export interface RunQueue {
  /** Asks for a run: now if idle, else once after the current run. Ignored after stop(). */
  request(): void;
  /** Resolves when no run is in progress or queued. */
  idle(): Promise<void>;
  /** No further runs start; a run in progress finishes (storage writes cannot be aborted). */
  stop(): void;
}

export function createRunQueue(run: () => Promise<void>): RunQueue {
  let current: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  const loop = async () => {
    do {
      again = false;
      await run();
    } while (again && !stopped);
    current = undefined;
  };

  return {
    request() {
      if (stopped) return;
      if (current) again = true;
      else current = loop();
    },
    idle: async () => {
      while (current) await current;
    },
    stop() {
      stopped = true;
      again = false;
    },
  };
}
