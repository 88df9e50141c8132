// A lean Socket.IO v4 client for load generation: Engine.IO 4 straight over websocket (the
// `ws` package, offering permessage-deflate as browsers do), `init` with an ack, pongs, and
// raw `update` frames handed over without JSON parsing, so one load-generator core can keep
// up with a server core. Resumes either with the protocol's `since` or with Socket.IO's
// connection state recovery (pid + offset).
import WebSocket from 'ws';
import type { Socket } from 'node:net';

export type ResumeMode = 'since' | 'csr';

export interface ClientSink {
  /** A raw `42["update",…]` frame arrived. */
  update(c: BenchClient, frame: Buffer): void;
}

const CONNECT_TIMEOUT_MS = 30_000;

export class BenchClient {
  private ws: WebSocket | undefined;
  /** Frames that arrive while the link is "cut" are lost, as on a real network. */
  private dropping = false;
  private sid = '';
  private pid = '';
  /** Connection state recovery: the offset of the last update processed. */
  private offset = '';
  ready = false;
  /** The cpt the stream was live from at the first init (ack). */
  initCpt = 0;
  /** The last cpt processed (resume scenario). */
  lastCpt = 0;
  /** Reconnections whose session was recovered (csr) or resumed (since). */
  resumed = 0;
  /** Reconnections that got a fresh session (csr: recovery refused). */
  freshSessions = 0;
  // Catch-up measurement (µs on the shared monotonic clock).
  reconnectStart = 0;
  catchingUp = false;
  lastBacklogAt = 0;
  /** Per-cpt delivery counts from initCpt + 1 (resume scenario). */
  seen: Uint8Array | undefined;

  constructor(
    private readonly url: string,
    private readonly initArgs: unknown[],
    private readonly resume: ResumeMode,
    private readonly sink: ClientSink,
  ) {}

  connect(): Promise<void> {
    return this.open(false);
  }

  /** Simulates a network cut: stops reading; everything in flight from now on is lost. */
  cut(): void {
    this.dropping = true;
    this.ready = false;
    ((this.ws as unknown as { _socket?: Socket })?._socket)?.pause();
  }

  /** Drops the dead connection and reconnects, resuming where the client was. */
  reconnect(): Promise<void> {
    if (this.disposed) return Promise.reject(new Error('disposed'));
    this.ws?.terminate();
    return this.open(true);
  }

  /** Closed for good: reconnect() refuses from now on. */
  disposed = false;
  dispose(): void {
    this.disposed = true;
    this.close();
  }

  close(): void {
    const ws = this.ws;
    this.ws = undefined;
    this.ready = false;
    ws?.terminate();
  }

  /** Records the offset of a csr frame: `…,"<offset>"]`. */
  noteOffset(frame: Buffer): void {
    const end = frame.length - 2;
    if (frame[end] !== 0x22) return;
    const start = frame.lastIndexOf(0x22, end - 1);
    if (start > 0) this.offset = frame.toString('latin1', start + 1, end);
  }

  private open(resuming: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`${this.url}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: true, skipUTF8Validation: true });
      this.ws = ws;
      this.dropping = false;
      let done = false;
      const finish = (e?: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (e) {
          if (this.ws === ws) this.close();
          reject(e);
        } else {
          this.ready = true;
          resolve();
        }
      };
      const timer = setTimeout(() => finish(new Error('connect timed out')), CONNECT_TIMEOUT_MS);
      ws.on('message', (d: Buffer) => {
        if (this.ws !== ws || this.dropping) return;
        const c0 = d[0];
        if (c0 === 0x34) {
          // Engine.IO message: a Socket.IO packet follows.
          const c1 = d[1];
          if (c1 === 0x32) {
            if (d[4] === 0x75) this.sink.update(this, d);
            else if (d[4] === 0x69) finish(new Error(`init_error ${d.toString('utf8', 0, 200)}`));
          } else if (c1 === 0x30) this.onConnectPacket(ws, d, resuming, finish);
          else if (c1 === 0x33) {
            const ack = (JSON.parse(d.toString('utf8', d.indexOf(0x5b))) as { ok: boolean; cpt?: number; message?: string }[])[0];
            if (!ack?.ok) return finish(new Error(`init refused: ${ack?.message}`));
            if (!resuming) this.initCpt = this.lastCpt = ack.cpt ?? 0;
            finish();
          } else if (c1 === 0x34) finish(new Error(`connect_error ${d.toString('utf8', 0, 200)}`));
        } else if (c0 === 0x32) ws.send('3');
        else if (c0 === 0x30) {
          ws.send(resuming && this.resume === 'csr' && this.pid ? `40${JSON.stringify({ pid: this.pid, offset: this.offset })}` : '40');
        }
      });
      ws.on('error', (e) => finish(e));
      ws.on('close', () => {
        if (this.ws === ws) this.ready = false;
        finish(new Error('closed before ready'));
      });
    });
  }

  private onConnectPacket(ws: WebSocket, d: Buffer, resuming: boolean, finish: (e?: Error) => void): void {
    const info = JSON.parse(d.toString('utf8', 2)) as { sid: string; pid?: string };
    if (resuming && this.resume === 'csr') {
      if (info.sid === this.sid) {
        // Recovered: rooms restored and missed packets already sent before this packet.
        this.resumed++;
        return finish();
      }
      this.freshSessions++;
    }
    this.sid = info.sid;
    if (info.pid) this.pid = info.pid;
    const args = resuming && this.resume === 'since' ? [...this.initArgs, { since: this.lastCpt }] : this.initArgs;
    if (resuming && this.resume === 'since') this.resumed++;
    ws.send(`420${JSON.stringify(['init', ...args])}`);
  }
}
