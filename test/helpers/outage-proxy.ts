import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of one server for network outages on real sockets. Going offline
 * cuts every open connection (live streams included) and refuses new ones until it comes
 * back; the target keeps its port across a server restart, so the proxy's URL never changes.
 */
export interface OutageProxy {
  readonly url: string;
  online: boolean;
  close(): Promise<void>;
}

export async function startOutageProxy(target: string): Promise<OutageProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let online = true;
  const server: Server = createServer((downstream) => {
    if (!online) {
      downstream.destroy();
      return;
    }
    const upstream = connect({ host: hostname, port: Number(port) });
    for (const socket of [downstream, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    downstream.pipe(upstream);
    upstream.pipe(downstream);
    downstream.on('close', () => upstream.destroy());
    upstream.on('close', () => downstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    get online() {
      return online;
    },
    set online(value) {
      online = value;
      if (!value) for (const socket of sockets) socket.destroy();
    },
    close() {
      online = false;
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
