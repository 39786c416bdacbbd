import type * as z from 'zod/mini';
import { BrainStoreError, type BrainStoreErrorCode } from '../errors/brain-store-error.ts';
import { CLIENT_HEADER, PROTOCOL_HEADER, PROTOCOL_VERSION } from '../protocol/protocol-version.ts';
import { wireErrorSchema } from '../protocol/messages.ts';
import { isKnownErrorCode, readMessage } from '../protocol/read-message.ts';
import { readServerTime } from '../protocol/server-time.ts';
import type { ClockSample } from './clock-offset.ts';
import { MAX_BODY_BYTES, MAX_BODY_HEADER } from '../protocol/endpoints.ts';
import { AccessTokenSource, type GetToken } from './access-token-source.ts';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface SyncHttpClientOptions {
  readonly url: string;
  /** The access token: a source (replicateBrainStore's, with renewal and a refused state) … */
  readonly tokens?: AccessTokenSource;
  /** … or a function asked before each request. */
  readonly getToken?: GetToken;
  readonly fetch?: FetchLike;
  /** Sent as the client header so the server skips poking this client about its own writes. */
  readonly clientId?: string;
  /** The device's (base) clock, for timing round trips. Default `Date.now`. */
  readonly clock?: () => number;
  /** Each response that carries the server's time (see SERVER_TIME_HEADER). */
  readonly onServerTime?: (sample: ClockSample) => void;
  /** The protocol version to speak (default PROTOCOL_VERSION; tests play older clients with it). */
  readonly protocolVersion?: number;
  /**
   * How long a request may wait for the server's answer to begin (its status and headers), in
   * ms; then it fails as NETWORK and is retried like any other. Default 30 000. A connection
   * that went dead without a reset (a network that dropped it silently, a stalled proxy)
   * would otherwise hold the request — and the sync behind it — forever.
   */
  readonly requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

const STATUS_CODES: Record<number, BrainStoreErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  404: 'BAD_REQUEST',
  413: 'TOO_LARGE',
  426: 'UPGRADE_REQUIRED',
  429: 'RATE_LIMITED',
};

/** Thin JSON-over-HTTP client for the sync endpoints; every failure is a BrainStoreError. */
export class SyncHttpClient {
  readonly #base: string;
  readonly #tokens: AccessTokenSource;
  /** With a source of its own (replicateBrainStore's), a 401 waits for a new token; else it throws. */
  readonly #waitOnRefusal: boolean;
  readonly #fetch: FetchLike;
  readonly #clientId: string | undefined;
  readonly #clock: () => number;
  readonly #onServerTime: ((sample: ClockSample) => void) | undefined;
  readonly #protocolVersion: string;
  readonly #requestTimeoutMs: number;
  #maxBodyBytes = MAX_BODY_BYTES;

  constructor(options: SyncHttpClientOptions) {
    this.#base = options.url.replace(/\/+$/, '');
    const getToken = options.getToken;
    if (!options.tokens && !getToken) throw new Error('SyncHttpClient needs tokens or getToken');
    this.#waitOnRefusal = options.tokens !== undefined;
    this.#tokens = options.tokens ?? new AccessTokenSource({ getToken: getToken!, now: () => Date.now(), renewable: false });
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#clientId = options.clientId;
    this.#clock = options.clock ?? (() => Date.now());
    this.#onServerTime = options.onServerTime;
    this.#protocolVersion = String(options.protocolVersion ?? PROTOCOL_VERSION);
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** The server's body limit as it last announced it (MAX_BODY_HEADER); the protocol's default until then. */
  get maxBodyBytes(): number {
    return this.#maxBodyBytes;
  }

  /** Identifies the server, so a store synced with another server starts from scratch. */
  get identity(): string {
    return this.#base;
  }

  /** The protocol headers of every request (the token is added by request(), per attempt). */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      [PROTOCOL_HEADER]: this.#protocolVersion,
      ...(this.#clientId ? { [CLIENT_HEADER]: this.#clientId } : {}),
      ...extra,
    };
  }

  /**
   * The headers of a request sent outside this client — a `keepalive` push from a leaving page,
   * the service worker's outbox — with the current token; waits (until `signal`) while it is refused.
   */
  async authorizedHeaders(extra: Record<string, string> = {}, signal?: AbortSignal): Promise<Record<string, string>> {
    return { ...this.headers(extra), authorization: `Bearer ${await this.#tokens.get(signal)}` };
  }

  /** POSTs `body` as JSON; the answer is checked against `schema` (a mismatch is a PROTOCOL error). */
  async postJson<T>(path: string, body: unknown, schema: z.ZodMiniType<T>, signal?: AbortSignal): Promise<T> {
    const response = await this.request(path, {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/json' }),
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
    return readJson(response, schema, path);
  }

  /**
   * One fetch, abandoned when its answer has not begun within the request timeout. The timer
   * stops at the headers: a change stream's body goes on for as long as it lasts.
   */
  async #fetchOnce(path: string, init: RequestInit): Promise<Response> {
    const late = new AbortController();
    const timer = setTimeout(
      () => late.abort(new DOMException(`no answer within ${this.#requestTimeoutMs} ms`, 'TimeoutError')),
      this.#requestTimeoutMs,
    );
    const signal = init.signal ? AbortSignal.any([init.signal, late.signal]) : late.signal;
    try {
      return await this.#fetch(this.#base + path, { ...init, signal });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends a request with the current token; a non-2xx answer becomes a BrainStoreError with
   * the server's code. A 401 is not an answer for the caller: the token goes back to the
   * source, and the request is sent again once a token the server has not refused is there
   * (at once when getToken has a fresh one; while none is, the source's problem$ says why).
   */
  async request(path: string, init: RequestInit): Promise<Response> {
    const signal = init.signal ?? undefined;
    let token = await this.#tokens.get(signal);
    for (;;) {
      const response = await this.#send(path, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` },
      });
      if (response.ok) return response;
      const error = await toError(response);
      if (response.status !== 401 || !this.#waitOnRefusal) throw error;
      token = await this.#tokens.refused(token, error, signal);
    }
  }

  async #send(path: string, init: RequestInit): Promise<Response> {
    let response: Response;
    const sentAt = this.#clock();
    try {
      response = await this.#fetchOnce(path, init).catch((cause: unknown) => {
        // A kept-alive connection the server has just closed: every sync request is
        // idempotent (pull reads, an identical push resend succeeds), so try once more.
        if (isConnectionReset(cause) && !init.signal?.aborted) return this.#fetchOnce(path, init);
        throw cause;
      });
    } catch (cause) {
      if (init.signal?.aborted) throw cause;
      throw new BrainStoreError('NETWORK', { cause, parameters: { url: this.#base + path } });
    }
    this.#sampleClock(response, sentAt);
    const announced = Number(response.headers.get(MAX_BODY_HEADER) ?? NaN);
    if (Number.isSafeInteger(announced) && announced > 0) this.#maxBodyBytes = announced;
    return response;
  }

  #sampleClock(response: Response, sentAt: number): void {
    const serverTime = readServerTime(response.headers);
    if (serverTime !== undefined) this.#onServerTime?.({ sentAt, receivedAt: this.#clock(), serverTime });
  }
}

function isConnectionReset(error: unknown): boolean {
  const code = (error as { cause?: { code?: string } } | undefined)?.cause?.code;
  return code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE';
}

/** The body of a 2xx answer, checked against `schema`; a body that is not JSON is a PROTOCOL error too. */
export async function readJson<T>(response: Response, schema: z.ZodMiniType<T>, path: string): Promise<T> {
  let body: unknown;
  try {
    body = await response.json();
  } catch (cause) {
    throw new BrainStoreError('PROTOCOL', { cause, parameters: { path }, message: `the answer to ${path} is not JSON` });
  }
  return readMessage(schema, body, path);
}

/**
 * The error a non-2xx answer stands for. The server's code when it is one of ours; a code
 * this client does not know (a newer server) or a body that is not a wire error (a proxy's
 * HTML page, an empty body) falls back to what the status says, the server's code kept in
 * `parameters.serverCode`.
 */
async function toError(response: Response): Promise<BrainStoreError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    // A proxy's HTML page or an empty body: the status says enough.
  }
  const parsed = wireErrorSchema.safeParse(body);
  const wire = parsed.success ? parsed.data.error : undefined;
  const fallback = STATUS_CODES[response.status] ?? (response.status >= 500 ? 'NETWORK' : 'BAD_REQUEST');
  const code = wire && isKnownErrorCode(wire.code) ? wire.code : fallback;
  const retryAfter = response.headers.get('retry-after');
  return new BrainStoreError(code, {
    message: wire?.message ?? `HTTP ${response.status}`,
    issues: wire?.issues ?? [],
    parameters: {
      status: response.status,
      ...(wire && wire.code !== code ? { serverCode: wire.code } : {}),
      ...(retryAfter ? { retryAfterSeconds: Number(retryAfter) } : {}),
    },
  });
}

/**
 * How long, in ms, a refusal's `Retry-After` asked to wait (`parameters.retryAfterSeconds` of
 * the error above, also as the plain JSON RxDB wraps request errors in); undefined when it
 * asked for none.
 */
export function retryAfterMsOf(error: unknown): number | undefined {
  const seconds = (error as { parameters?: { retryAfterSeconds?: unknown } } | null | undefined)?.parameters?.retryAfterSeconds;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds * 1_000 : undefined;
}
