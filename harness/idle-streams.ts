import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { endpoints } from '../src/protocol/endpoints.ts';
import { CLIENT_HEADER, PROTOCOL_HEADER, PROTOCOL_VERSION } from '../src/protocol/protocol-version.ts';
import { until } from './until.ts';

/**
 * Change streams on raw sockets that stop reading when told (issue 23, slow readers): what
 * the server keeps queued for a reader that never reads, measured in the kernel.
 */
export interface IdleStream {
  readonly socket: Socket;
  /** What arrived while the socket was read (latin1), and whether the server closed it. */
  readonly state: { text: string; closed: boolean };
  /** Stops reading: the kernel's receive buffer fills, then the server's send buffer. */
  stopReading(): void;
}

/** Opens a change stream of `collection` with `clientId` on a raw socket and waits for its first event. */
export async function openIdleStream(url: string, token: string, clientId: string, collection = 'brainActions'): Promise<IdleStream> {
  const { hostname, port } = new URL(url);
  const socket = await new Promise<Socket>((resolve, reject) => {
    const opened = connect({ host: hostname, port: Number(port) }, () => resolve(opened));
    opened.once('error', reject);
  });
  const state = { text: '', closed: false };
  socket.on('data', (chunk: Buffer) => (state.text += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  socket.on('close', () => (state.closed = true));
  socket.write(
    `GET ${endpoints.stream(collection)} HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${token}\r\n` +
      `${CLIENT_HEADER}: ${clientId}\r\n${PROTOCOL_HEADER}: ${PROTOCOL_VERSION}\r\nAccept: text/event-stream\r\n\r\n`,
  );
  await until(
    () => {
      if (state.closed) throw new Error(`stream not opened: ${state.text.slice(0, 300)}`);
      return state.text.includes('RESYNC');
    },
    () => `the stream's first event (have ${JSON.stringify(state.text.slice(0, 300))})`,
    { timeoutMs: 30_000 },
  );
  return { socket, state, stopReading: () => void socket.pause() };
}

/** The host's TCP memory in bytes (`/proc/net/sockstat`, `TCP: … mem <pages>`; Linux only). */
export function kernelTcpBytes(): number {
  const line = readFileSync('/proc/net/sockstat', 'utf8')
    .split('\n')
    .find((candidate) => candidate.startsWith('TCP:'));
  const pages = Number(/\bmem (\d+)/.exec(line ?? '')?.[1] ?? NaN);
  return pages * 4096;
}

/** One established TCP socket as `ss -tmn` shows it. */
export interface SocketQueue {
  readonly local: string;
  readonly peer: string;
  /** Bytes not yet acknowledged by the peer (Send-Q) and not yet read by the process (Recv-Q). */
  readonly sendQueue: number;
  readonly receiveQueue: number;
  /** Memory the kernel holds for the socket's queues (skmem `w` + `r`: truesize, with overhead). */
  readonly kernelBytes: number;
}

/** The established TCP sockets whose local port is `port` (`ss`; Linux only). */
export function socketsOnPort(port: number): SocketQueue[] {
  const output = execFileSync('ss', ['-tmnH', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' });
  const lines = output.split('\n');
  const sockets: SocketQueue[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fields = lines[i]!.trim().split(/\s+/);
    if (fields.length < 4 || !/^\d+$/.test(fields[0]!)) continue;
    const memory = /skmem:\(r(\d+),rb\d+,t\d+,tb\d+,f\d+,w(\d+)/.exec(lines[i + 1] ?? lines[i]!);
    sockets.push({
      receiveQueue: Number(fields[0]),
      sendQueue: Number(fields[1]),
      local: fields[2]!,
      peer: fields[3]!,
      kernelBytes: memory ? Number(memory[1]) + Number(memory[2]) : 0,
    });
  }
  return sockets;
}
