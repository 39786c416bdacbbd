import { BehaviorSubject, Subject, type Observable } from 'rxjs';
import { BrainStoreError } from '../errors/brain-store-error.ts';
import { defaultScheduler, timerDelay, type ExpiryScheduler } from '../store/scheduler.ts';
import { cappedBackoff } from './capped-backoff.ts';

/** Why the token in use cannot sync: `expired` (its `exp` has passed) or `refused` (forged, another server's, revoked). */
export type TokenProblem = 'expired' | 'refused';

/**
 * Why getToken is asked: before a request (nothing set), after the server refused a token
 * (`refused`: drop a cached copy of it), or shortly before a token's `exp` (`expiring`).
 */
export interface TokenRequest {
  readonly refused?: string;
  readonly expiring?: string;
}

export type GetToken = (request: TokenRequest) => string | Promise<string>;

export interface AccessTokenSourceOptions {
  /** Asked before every request, again after a 401, and shortly before the token's `exp`. */
  readonly getToken: GetToken;
  /** The clock `exp` is compared with (the store's, corrected to the server's). */
  readonly now: () => number;
  /** Timers for the renewal before expiry and the re-asking while refused (tests inject a fake one). */
  readonly scheduler?: ExpiryScheduler;
  /** Whether asking getToken again can ever give another token (false for a fixed `token`: only setToken can). */
  readonly renewable?: boolean;
  /** First wait before getToken is asked again while its token is refused (doubling, with jitter, to 60 s). */
  readonly retryMs?: number;
  /** Randomness of those waits (default Math.random). */
  readonly random?: () => number;
  /** Every token about to be sent. */
  readonly onToken?: (token: string) => void;
}

/** Most time before `exp` a renewal is asked for; a tenth of the lifetime for shorter tokens. */
const RENEW_BEFORE_MS = 60_000;

/**
 * The replication's access token. A request takes the current one; a 401 hands it back with
 * `refused()`, which asks getToken again and resolves with a token to resend with — at once
 * when getToken has a new one, else once one arrives (getToken asked again on a jittered
 * backoff, or `set()` by the app, e.g. from a new link). Meanwhile `problem$` says why, and
 * the refused request simply waits: nothing is dropped, nothing floods the server with 401s.
 * Before a JWT's `exp` the source asks getToken again and tells `renewed$`, so open streams
 * can reconnect with the new token before the server closes them.
 */
export class AccessTokenSource {
  readonly #options: AccessTokenSourceOptions;
  readonly #scheduler: ExpiryScheduler;
  /** A token set by the app: used instead of getToken until refused (instead of a fixed token, for good). */
  #override: string | undefined;
  /** The token the server refused last, while no other one is known. */
  #refused: string | undefined;
  /** Token whose renewal is scheduled, the timer, and the waiters for a usable token. */
  #scheduledFor: string | undefined;
  #renewTimer: unknown;
  #retryTimer: unknown;
  #retryAttempt = 0;
  readonly #waiters = new Set<() => void>();
  readonly #problem$ = new BehaviorSubject<{ problem: TokenProblem; error: BrainStoreError } | null>(null);
  readonly #renewed$ = new Subject<string>();
  #stopped = false;

  readonly problem$: Observable<{ problem: TokenProblem; error: BrainStoreError } | null> = this.#problem$.asObservable();
  /** Each token got by a renewal before expiry (a stream connected with an older token reconnects). */
  readonly renewed$: Observable<string> = this.#renewed$.asObservable();

  constructor(options: AccessTokenSourceOptions) {
    this.#options = options;
    this.#scheduler = options.scheduler ?? defaultScheduler;
  }

  /** The token for the next request; waits (until `signal` aborts) while the known one is refused. */
  async get(signal?: AbortSignal): Promise<string> {
    for (;;) {
      this.#check(signal);
      const token = await this.#ask(this.#refused === undefined ? {} : { refused: this.#refused });
      this.#check(signal);
      if (token !== this.#refused) {
        this.#usable(token);
        return token;
      }
      await this.#waitForNew(signal);
    }
  }

  /**
   * The server answered 401 to `token`: resolves with the token to resend with — another one
   * from getToken at once, or (the same one again) whenever a new one becomes available.
   */
  async refused(token: string, error: BrainStoreError, signal?: AbortSignal): Promise<string> {
    this.#check(signal);
    const next = await this.#ask({ refused: token });
    if (next !== token && next !== this.#refused) {
      this.#usable(next);
      return next;
    }
    // A replacement for getToken's tokens goes back to getToken once refused; a replacement for a
    // fixed token replaced it for good (falling back would send as whoever the old token named).
    if (this.#override === token && this.#options.renewable !== false) this.#override = undefined;
    // Concurrent requests refused with the same token make one problem and one retry schedule.
    if (this.#refused !== token) this.#refuse(token, error);
    return this.get(signal);
  }

  #refuse(token: string, error: BrainStoreError): void {
    this.#refused = token;
    const expiresAt = expiryOf(token);
    const problem: TokenProblem = expiresAt !== undefined && expiresAt <= this.#options.now() ? 'expired' : 'refused';
    this.#problem$.next({
      problem,
      error: new BrainStoreError('UNAUTHORIZED', {
        message:
          problem === 'expired'
            ? 'the access token has expired; open a new link or return a new token from getToken'
            : 'the server refused the access token (signed by another secret, or revoked); open a new link or return a new token from getToken',
        parameters: { ...error.parameters, problem },
        cause: error,
      }),
    });
    this.#scheduleRetry();
  }

  /** Uses `token` from now on (e.g. the app got a new link); waiting requests go on with it. */
  set(token: string): void {
    if (this.#stopped) return;
    this.#override = token;
    if (token !== this.#refused) this.#release();
  }

  /** Rejects every waiting request and stops the timers. */
  stop(): void {
    this.#stopped = true;
    this.#scheduler.clearTimeout(this.#renewTimer);
    this.#scheduler.clearTimeout(this.#retryTimer);
    for (const wake of [...this.#waiters]) wake();
    this.#problem$.complete();
    this.#renewed$.complete();
  }

  async #ask(request: TokenRequest): Promise<string> {
    const token = this.#override ?? (await this.#options.getToken(request));
    this.#options.onToken?.(token);
    return token;
  }

  #check(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw signal.reason;
    if (this.#stopped) throw new BrainStoreError('CLOSED', { message: 'the replication was cancelled' });
  }

  /** A token not refused is in use: clear the problem, schedule its renewal. */
  #usable(token: string): void {
    if (this.#refused !== undefined) {
      this.#refused = undefined;
      this.#retryAttempt = 0;
      this.#scheduler.clearTimeout(this.#retryTimer);
      this.#problem$.next(null);
      this.#release();
    }
    this.#scheduleRenewal(token);
  }

  #release(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  #waitForNew(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        this.#waiters.delete(wake);
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      this.#waiters.add(wake);
      signal?.addEventListener('abort', wake, { once: true });
    });
  }

  /** While refused, getToken is asked again on a jittered backoff (never for a fixed token). */
  #scheduleRetry(): void {
    if (this.#options.renewable === false || this.#stopped) return;
    this.#scheduler.clearTimeout(this.#retryTimer);
    const base = this.#options.retryMs ?? 5_000;
    const delay = cappedBackoff({ baseMs: base, maxMs: Math.max(base, 60_000), random: this.#options.random ?? Math.random })(
      ++this.#retryAttempt,
    );
    this.#retryTimer = this.#scheduler.setTimeout(() => {
      void this.#ask(this.#refused === undefined ? {} : { refused: this.#refused }).then(
        (token) => (token === this.#refused ? this.#scheduleRetry() : this.#release()),
        () => this.#scheduleRetry(),
      );
    }, delay);
  }

  /** Shortly before `exp`: ask getToken again; a new token is announced on renewed$. */
  #scheduleRenewal(token: string): void {
    if (this.#scheduledFor === token || this.#options.renewable === false) return;
    const expiresAt = expiryOf(token);
    const issuedAt = issuedAtOf(token);
    this.#scheduler.clearTimeout(this.#renewTimer);
    this.#scheduledFor = token;
    if (expiresAt === undefined) return;
    const lifetime = issuedAt === undefined ? Number.POSITIVE_INFINITY : expiresAt - issuedAt;
    const at = expiresAt - Math.min(RENEW_BEFORE_MS, lifetime / 10);
    this.#renewTimer = this.#scheduler.setTimeout(
      () => {
        void this.#ask({ expiring: token }).then(
          (next) => {
            if (next === token || this.#stopped) return;
            this.#scheduleRenewal(next);
            this.#renewed$.next(next);
          },
          () => undefined,
        );
      },
      timerDelay(at - this.#options.now()),
    );
  }
}

/** A JWT's payload, read without verifying it (only the server decides what it grants). */
function payloadOf(token: string): Record<string, unknown> | undefined {
  try {
    const part = token.split('.')[1];
    if (part === undefined) return undefined;
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const payload: unknown = JSON.parse(json);
    return typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `exp` in epoch ms, when the token is a JWT that has one. */
export function expiryOf(token: string): number | undefined {
  const exp = payloadOf(token)?.['exp'];
  return typeof exp === 'number' ? exp * 1000 : undefined;
}

function issuedAtOf(token: string): number | undefined {
  const iat = payloadOf(token)?.['iat'];
  return typeof iat === 'number' ? iat * 1000 : undefined;
}
