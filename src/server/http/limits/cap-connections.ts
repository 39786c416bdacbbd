import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Caps the open connections of a Node HTTP server (issue 23). One past the cap gets a
 * complete `503 Service Unavailable` with `Retry-After` and is closed at once, before the
 * HTTP parser sees it: its descriptor is held for a moment only, so the process never
 * reaches its file limit (where every accept, /healthz and the database's own sockets
 * included, failed with EMFILE). Returns the live count, for metrics and tests.
 *
 * @example
 * const open = capConnections(http, { max: 10_000, retryAfterSeconds: 5 });
 */
export function capConnections(server: Server, options: { readonly max: number; readonly retryAfterSeconds: number }): () => number {
  let open = 0;
  const body = JSON.stringify({
    error: {
      code: 'RATE_LIMITED',
      message: `RATE_LIMITED: the server holds its maximum of open connections; retry in ${options.retryAfterSeconds} s`,
    },
  });
  const refusal =
    `HTTP/1.1 503 Service Unavailable\r\nRetry-After: ${options.retryAfterSeconds}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
  // Refused sockets never reach the HTTP server's own 'connection' listener (no parser, no
  // request): the one place to stop them is the event's emission.
  const emit = server.emit.bind(server) as (event: string | symbol, ...args: unknown[]) => boolean;
  server.emit = ((event: string | symbol, ...args: unknown[]) => {
    if (event !== 'connection') return emit(event, ...args);
    const socket = args[0] as Socket;
    if (open >= options.max) {
      socket.on('error', () => undefined);
      socket.end(refusal);
      // A client that never reads its refusal must not hold the descriptor either.
      setTimeout(() => socket.destroy(), 1_000).unref();
      return true;
    }
    open += 1;
    socket.once('close', () => (open -= 1));
    return emit(event, ...args);
  }) as Server['emit'];
  return () => open;
}
