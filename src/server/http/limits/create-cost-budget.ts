import { requestError } from '../wire-error-response.ts';

/** Rows and bytes one subject may make the server handle per window (issue 23); 0: no bound. */
export interface CostBudgetOptions {
  readonly rows: number;
  readonly bytes: number;
  readonly windowMs: number;
}

/** What a request made the server handle. */
export interface Cost {
  readonly rows?: number;
  readonly bytes?: number;
}

export interface CostBudget {
  /**
   * Admits a request of `key` (the token's subject, else the token) if the key has budget
   * left in this window, else throws RATE_LIMITED (429) with the seconds to the window's end.
   * Charges `cost` (its body) and remembers the key for the handler's `charge`.
   */
  admit(request: Request, key: string, cost: Cost): void;
  /** Adds what the handler went on to handle (pushed rows, refused ones too; pulled rows and bytes). */
  charge(request: Request, cost: Cost): void;
}

/**
 * A fixed-window account per subject of the rows and bytes its requests made the server
 * handle. The request rate limit does not see cost: two 8 MB pushes of refused rows used 82 %
 * of a core. A request is admitted while the subject is under both budgets, and charged in
 * full, so one request may overshoot by its own size (at most a body and a page); the next
 * waits for the window's end. The map is dropped each window, so it cannot grow for long.
 *
 * @example
 * const budget = createCostBudget({ rows: 500_000, bytes: 128 * 2 ** 20, windowMs: 10_000 }, Date.now);
 * budget.admit(c.req.raw, subject, { bytes: body.length }); … budget.charge(c.req.raw, { rows: rows.length });
 */
export function createCostBudget(options: CostBudgetOptions, now: () => number): CostBudget {
  if (options.rows === 0 && options.bytes === 0) return { admit: () => undefined, charge: () => undefined };
  const over = (account: { rows: number; bytes: number }): boolean =>
    (options.rows > 0 && account.rows >= options.rows) || (options.bytes > 0 && account.bytes >= options.bytes);
  let windowStart = now();
  let spent = new Map<string, { rows: number; bytes: number }>();
  const keys = new WeakMap<Request, string>();
  const roll = (): number => {
    const time = now();
    if (time - windowStart >= options.windowMs || time < windowStart) {
      windowStart = time;
      spent = new Map();
    }
    return time;
  };
  const add = (key: string, cost: Cost): void => {
    const account = spent.get(key) ?? { rows: 0, bytes: 0 };
    account.rows += cost.rows ?? 0;
    account.bytes += cost.bytes ?? 0;
    spent.set(key, account);
  };
  return {
    admit(request, key, cost) {
      const time = roll();
      const account = spent.get(key);
      if (account && over(account)) {
        const wait = Math.max(1, Math.ceil((windowStart + options.windowMs - time) / 1000));
        throw requestError(
          'RATE_LIMITED',
          `this subject used its budget of ${options.rows} rows and ${options.bytes} bytes per ${options.windowMs / 1000} s; retry in ${wait} s`,
          { retryAfterSeconds: wait },
        );
      }
      keys.set(request, key);
      add(key, cost);
    },
    charge(request, cost) {
      const key = keys.get(request);
      if (key === undefined) return;
      roll();
      add(key, cost);
    },
  };
}
