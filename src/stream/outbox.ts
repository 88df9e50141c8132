// What the server holds for one socket that the client has not taken yet, measured at the
// Engine.IO layer for every transport: packets queued in the socket's write buffer (a
// stalled websocket, or a long-polling client that stops polling) plus what was handed to
// the transport and is not yet written out (the ws / net buffers of a client that stopped
// reading). The gateway uses it to pace `since` replays (wait until the client drained)
// and to cut a socket past its cap, so no client makes the server hold more than a
// bounded amount for it.
import type { Socket as EngineSocket } from 'engine.io';

type Transport = EngineSocket['transport'];
interface EnginePacket {
  data?: unknown;
}

function sizeOf(p: EnginePacket): number {
  const d = p.data;
  // Characters for text frames (what Socket.IO sends; ASCII for the catalogue's fields).
  if (typeof d === 'string') return d.length + 1;
  if (d instanceof ArrayBuffer || ArrayBuffer.isView(d)) return d.byteLength + 1;
  return 1;
}

export class Outbox {
  /** Bytes queued in the Engine.IO write buffer (not yet handed to the transport). */
  private queued = 0;
  /** Bytes handed to the transport and not yet written out to the network. */
  private handed = 0;
  private overflowed = false;
  private closed = false;
  private waiters: { below: number; resolve: () => void }[] = [];
  private transport: Transport;
  private readonly onTransportDrain = () => {
    // The transport calls back once everything handed to it is written (websocket: the
    // last frame's write callback; polling: the response was ended).
    this.handed = 0;
    this.wake();
  };

  constructor(
    private readonly conn: EngineSocket,
    private readonly maxBytes: number,
    private readonly onOverflow: (bytes: number) => void,
  ) {
    this.transport = conn.transport;
    this.transport.on('drain', this.onTransportDrain);
    conn.on('packetCreate', (p: EnginePacket) => {
      this.queued += sizeOf(p);
      if (this.queued + this.handed > this.maxBytes && !this.overflowed) {
        this.overflowed = true;
        // Not from inside Engine.IO's sendPacket: it pushes this packet right after.
        process.nextTick(() => this.onOverflow(this.queued + this.handed));
      }
    });
    // Engine.IO hands its whole write buffer to the transport at each flush.
    conn.on('flush', () => {
      this.handed += this.queued;
      this.queued = 0;
    });
    conn.on('upgrade', (t: Transport) => {
      this.transport.off('drain', this.onTransportDrain);
      this.transport = t;
      t.on('drain', this.onTransportDrain);
      this.handed = 0;
      this.wake();
    });
    conn.once('close', () => {
      this.closed = true;
      this.transport.off('drain', this.onTransportDrain);
      this.wake();
    });
  }

  /** Bytes the server holds for this socket right now. */
  get bytes(): number {
    return this.queued + this.handed;
  }

  /** Resolves once at most `below` bytes are buffered, or the connection closed. */
  drained(below: number): Promise<void> {
    if (this.closed || this.bytes <= below) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ below, resolve }));
  }

  /**
   * Drops what is still queued in Engine.IO (it never reached the client, which resumes
   * with `since`), so a socket being cut holds at most what its transport already has.
   */
  discardQueued(): void {
    (this.conn as unknown as { writeBuffer: unknown[] }).writeBuffer.length = 0;
    this.queued = 0;
  }

  /** Closes the connection now, whatever is buffered (a stalled client never drains). */
  terminate(): void {
    if (this.conn.readyState === 'closed') return;
    const ws = (this.conn.transport as unknown as { socket?: { terminate?: () => void } }).socket;
    if (this.conn.transport.name === 'websocket' && typeof ws?.terminate === 'function') ws.terminate();
    else this.conn.close(true);
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const bytes = this.bytes;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (this.closed || bytes <= w.below) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }
}
