// RTP ports: UDP sockets bound on the even ports of the configured range (the odd one
// above each is left for RTCP, by convention). A freed port goes to the back of the queue,
// so late packets of an ended call do not reach the next one; a port someone else holds is
// passed over.
import { createSocket, type Socket } from 'node:dgram';
import { MediaError } from '../plane.ts';

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
      const socket = createSocket({ type: 'udp4' });
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
