import type { StreamEvent } from '../../protocol/messages.ts';

const encoder = new TextEncoder();

/**
 * One Server-Sent Events frame, encoded. The bytes are shared: the same frame is written to
 * every stream it goes to (nobody mutates them), so an event costs one JSON.stringify and one
 * encode per feed step, not one per stream.
 */
export function encodeFrame(event: StreamEvent): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(event)}\n\n`);
}

/** The data-free events, encoded once for the process. */
export const RESYNC_FRAME = encodeFrame({ type: 'RESYNC' });
export const CHANGE_FRAME = encodeFrame({ type: 'CHANGE' });
export const HEARTBEAT_FRAME = encodeFrame({ type: 'HEARTBEAT' });
