// RTP ports: UDP sockets bound on the even ports of the configured range (the odd one
// above each is left for RTCP, by convention). A freed port goes to the back of the queue,
// so late packets of an ended call do not reach the next one; a port someone else holds is
// passed over.
import { createSocket, type Socket, type SocketOptions } from 'node:dgram';
import { MediaError } from '../plane.ts';

/**
 * Each socket's receive buffer: about 5 s of one leg's 20 ms packets (a loopback datagram
 * takes ~1 KiB of it), so that a media worker that loses its core for a moment (a busy
 * machine) finds them late rather than never. The kernel caps it at net.core.rmem_max.
 */
export const RECV_BUFFER_BYTES = 256 * 1024;

/**
 * Where a send goes, without dgram's default dns.lookup, which answers even an IP literal
 * on the next tick: one more closure and tick per relayed packet. Legs only ever send to
 * IPv4 literals (an SDP's c= line checked by isIPv4, or a packet's source).
 */
const literal = ((address: string, _family: unknown, callback: (err: null, address: string, family: number) => void) => callback(null, address, 4)) as unknown as SocketOptions['lookup'];

export class PortPool {
  private readonly free: number[] = [];
  readonly first: number;
  /** How many even ports the range has (the most legs at once). */
  readonly size: number;

  constructor(
    private readonly address: string,
    range: { min: number; max: number },
  ) {
    const min = Math.max(2, Math.ceil(range.min / 2) * 2);
    const max = Math.min(65534, range.max);
    this.first = min;
    for (let p = min; p <= max; p += 2) this.free.push(p);
    this.size = this.free.length;
  }

  /** The index of a port of the range (0 for the first even port). */
  slot(port: number): number {
    return (port - this.first) / 2;
  }

  /** A socket bound on a free even port. @throws MediaError MEDIA_NO_PORT */
  async bind(): Promise<{ socket: Socket; port: number }> {
    for (let tries = this.free.length; tries > 0; tries--) {
      const port = this.free.shift()!;
      const socket = createSocket({ type: 'udp4', lookup: literal, recvBufferSize: RECV_BUFFER_BYTES });
      const ok = await new Promise<boolean>((resolve) => {
        socket.once('error', () => resolve(false));
        socket.bind(port, this.address, () => resolve(true));
      });
      if (ok) {
        socket.removeAllListeners('error');
        return { socket, port };
      }
      try {
        socket.close();
      } catch {
        // Never bound.
      }
      this.free.push(port);
    }
    throw new MediaError('MEDIA_NO_PORT', 'No RTP port is free.');
  }

  /** Closes the socket and gives its port back. */
  release(socket: Socket, port: number): void {
    try {
      socket.close();
    } catch {
      // Already closed.
    }
    this.free.push(port);
  }
}
