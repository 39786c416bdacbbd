import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of a server, for network faults on real sockets:
 * - `pass`: bytes flow both ways;
 * - `dropResponses`: requests reach the server, but the connection is cut the moment the
 *   server's answer starts (the server has done the work; the client never learns of it);
 * - `offline`: an outage — every open connection (live streams included) is cut and new ones
 *   are refused until the mode changes. The proxy's URL survives a restart of the target on
 *   the same port.
 */
export interface FaultProxy {
  readonly url: string;
  mode: 'pass' | 'dropResponses' | 'offline';
  /** Connections cut so far in `dropResponses` mode. */
  readonly cut: number;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const state = { mode: 'pass' as FaultProxy['mode'], cut: 0 };
  const server: Server = createServer((downstream) => {
    if (state.mode === 'offline') {
      downstream.destroy();
      return;
    }
    const upstream = connect({ host: hostname, port: Number(port) });
    for (const socket of [downstream, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    downstream.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (state.mode === 'dropResponses') {
        state.cut++;
        downstream.destroy();
        upstream.destroy();
        return;
      }
      downstream.write(chunk);
    });
    downstream.on('close', () => upstream.destroy());
    upstream.on('close', () => downstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    get mode() {
      return state.mode;
    },
    set mode(mode) {
      state.mode = mode;
      if (mode === 'offline') for (const socket of sockets) socket.destroy();
    },
    get cut() {
      return state.cut;
    },
    close() {
      state.mode = 'offline';
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
