/**
 * Response header carrying the server's clock (epoch ms) when the response left, on every
 * response of the sync server. Clients estimate their offset to the server's clock from it
 * (see src/replication/clock-offset.ts); older clients ignore it, so the protocol version
 * does not change.
 */
export const SERVER_TIME_HEADER = 'brain-store-server-time';

/** The server's time from a response, or undefined when absent or not a finite number. */
export function readServerTime(headers: { get(name: string): string | null }): number | undefined {
  const raw = headers.get(SERVER_TIME_HEADER);
  if (raw === null || !/^\d{1,16}$/.test(raw)) return undefined;
  const value = Number(raw);
  return Number.isSafeInteger(value) ? value : undefined;
}
