import { startFaultProxy } from './fault-proxy.ts';

/**
 * The fault proxy seen as a network that is up or down: going offline cuts every open
 * connection (live streams included) and refuses new ones until it comes back.
 */
export interface OutageProxy {
  readonly url: string;
  online: boolean;
  close(): Promise<void>;
}

export async function startOutageProxy(target: string): Promise<OutageProxy> {
  const proxy = await startFaultProxy(target);
  return {
    url: proxy.url,
    get online() {
      return proxy.mode !== 'offline';
    },
    set online(value) {
      proxy.mode = value ? 'pass' : 'offline';
    },
    close: () => proxy.close(),
  };
}
