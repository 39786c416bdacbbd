/**
 * HTTP calls of the CLI's client commands (seed, status). Whatever goes wrong becomes one
 * line: an unreachable server, a refused token, an error answer with its wire code.
 */
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../src/protocol/protocol-version.ts';
import { CliFailure } from './cli-error.ts';

/** The server could not be reached or did not answer 2xx. */
export class ServerRequestError extends CliFailure {
  override readonly name: string = 'ServerRequestError';
}

export interface ServerRequest {
  readonly server: string;
  readonly path: string;
  readonly token?: string;
  readonly body?: unknown;
  /** Give up after this long (default 10 s). */
  readonly timeoutMs?: number;
}

/** Sends the request; throws ServerRequestError unless the server answers 2xx. */
export async function serverRequest({ server, path, token, body, timeoutMs = 10_000 }: ServerRequest): Promise<Response> {
  const headers: Record<string, string> = { [PROTOCOL_HEADER]: String(PROTOCOL_VERSION) };
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`${server}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new ServerRequestError(
      `cannot reach the sync server at ${server} (${reasonOf(error)}) — is it running? (brain-store serve / npm start)`,
    );
  }
  if (response.ok) return response;
  const text = await response.text().catch(() => '');
  let detail = text.slice(0, 200);
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } };
    if (parsed.error?.message) detail = parsed.error.message;
  } catch {
    // not JSON: keep the text
  }
  const hint = response.status === 401 || response.status === 403 ? " — check --token or AUTH_SECRET (the server's secret)" : '';
  throw new ServerRequestError(`${path} answered ${response.status}${detail ? `: ${detail}` : ''}${hint}`);
}

function reasonOf(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer in time';
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
