// A far end of a leg, as a phone or a carrier would be: real UDP sockets on loopback, the
// SDP it offers or answers, the RTP it receives (kept, parsed), audio it sends paced at
// 20 ms, RFC 4733 DTMF it sends from sipp's captures. It may send from another port than
// the one its SDP gives (behind a NAT), to exercise latching.
import { createSocket, type Socket } from 'node:dgram';
import * as sdpTransform from 'sdp-transform';
import { readPcapUdp, sippDtmfPcap } from '../helpers/pcap.ts';
import { decodeG711, encodeAlaw, encodeUlaw } from './signals.ts';

export type Codec = 'PCMU' | 'PCMA';

export interface Received {
  pt: number;
  marker: boolean;
  seq: number;
  ts: number;
  ssrc: number;
  payload: Buffer;
  /** Which of the far end's sockets it reached. */
  at: 'sdp' | 'sender';
  /** Arrival, in ms (performance.now). */
  atMs: number;
}

const STATIC: Record<Codec, number> = { PCMU: 0, PCMA: 8 };

function bindSocket(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FarEnd {
  readonly received: Received[] = [];
  /** Where the plane wants our RTP (from its SDP). */
  target: { address: string; port: number } | undefined;
  private seq = Math.floor(Math.random() * 0x10000);
  private ts = Math.floor(Math.random() * 2 ** 31);
  readonly ssrc = Math.floor(Math.random() * 2 ** 31) + 1;
  /** The plane's payload types, from its SDP. */
  planeCodec: Codec | undefined;
  planeDtmfPt: number | undefined;

  private constructor(
    readonly rtp: Socket,
    readonly sender: Socket,
  ) {
    const keep = (at: Received['at']) => (msg: Buffer, from: { port: number }) => {
      if (msg.length < 12) return;
      // Once the plane's address is known, only its packets: an ephemeral port the OS hands
      // us may still be the target of another test's media (seen with rtpengine's far ends).
      if (this.target && from.port !== this.target.port) return;
      this.received.push({
        pt: msg[1]! & 0x7f,
        marker: (msg[1]! & 0x80) !== 0,
        seq: msg.readUInt16BE(2),
        ts: msg.readUInt32BE(4),
        ssrc: msg.readUInt32BE(8),
        payload: msg.subarray(12 + 4 * (msg[0]! & 0x0f)),
        at,
        atMs: performance.now(),
      });
    };
    rtp.on('message', keep('sdp'));
    if (sender !== rtp) sender.on('message', keep('sender'));
  }

  /** A far end; `behindNat`: it sends from another port than its SDP's. */
  static async open(opts: { behindNat?: boolean } = {}): Promise<FarEnd> {
    const rtp = await bindSocket();
    const sender = opts.behindNat ? await bindSocket() : rtp;
    return new FarEnd(rtp, sender);
  }

  get port(): number {
    return this.rtp.address().port;
  }

  /** Our offer: these codecs in this order, telephone-event as `dtmfPt` (none if undefined). */
  offer(codecs: Codec[], opts: { dtmfPt?: number | undefined; direction?: string; address?: string } = {}): string {
    const dtmfPt = 'dtmfPt' in opts ? opts.dtmfPt : 101;
    const pts = [...codecs.map((c) => STATIC[c]), ...(dtmfPt === undefined ? [] : [dtmfPt])];
    const lines = [
      'v=0',
      `o=far ${this.port} 1 IN IP4 127.0.0.1`,
      's=far',
      `c=IN IP4 ${opts.address ?? '127.0.0.1'}`,
      't=0 0',
      `m=audio ${this.port} RTP/AVP ${pts.join(' ')}`,
      ...codecs.map((c) => `a=rtpmap:${STATIC[c]} ${c}/8000`),
      ...(dtmfPt === undefined ? [] : [`a=rtpmap:${dtmfPt} telephone-event/8000`, `a=fmtp:${dtmfPt} 0-16`]),
      'a=ptime:20',
      `a=${opts.direction ?? 'sendrecv'}`,
    ];
    return lines.join('\r\n') + '\r\n';
  }

  /** Our answer to the plane's offer: `codec` and the plane's telephone-event. */
  answer(planeOffer: string, codec: Codec): string {
    const s = sdpTransform.parse(planeOffer);
    const te = s.media[0]!.rtp.find((r) => r.codec.toLowerCase() === 'telephone-event');
    return this.offer([codec], { dtmfPt: te?.payload });
  }

  /** Reads the plane's SDP: where to send, in which codec. */
  heard(planeSdp: string): void {
    const s = sdpTransform.parse(planeSdp);
    const m = s.media.find((x) => x.type === 'audio' && x.port > 0)!;
    this.target = { address: (m.connection ?? s.connection)!.ip, port: m.port };
    const first = Number(String(m.payloads).split(' ')[0]);
    this.planeCodec = first === 8 ? 'PCMA' : 'PCMU';
    const rtpmap = m.rtp.find((r) => r.payload === first);
    if (rtpmap) this.planeCodec = rtpmap.codec.toUpperCase() as Codec;
    this.planeDtmfPt = m.rtp.find((r) => r.codec.toLowerCase() === 'telephone-event')?.payload;
  }

  sendRaw(b: Uint8Array, to = this.target): void {
    this.sender.send(b, to!.port, to!.address);
  }

  private packet(pt: number, marker: boolean, seq: number, ts: number, payload: Uint8Array): Buffer {
    const b = Buffer.alloc(12 + payload.length);
    b[0] = 0x80;
    b[1] = (marker ? 0x80 : 0) | pt;
    b.writeUInt16BE(seq & 0xffff, 2);
    b.writeUInt32BE(ts >>> 0, 4);
    b.writeUInt32BE(this.ssrc, 8);
    b.set(payload, 12);
    return b;
  }

  /** Sends audio in 20 ms packets paced on the monotonic clock; returns the packets sent. */
  async sendAudio(codec: Codec, pcm: Int16Array): Promise<number> {
    const codes = codec === 'PCMU' ? encodeUlaw(pcm) : encodeAlaw(pcm);
    const t0 = performance.now();
    let n = 0;
    for (let o = 0; o < codes.length; o += 160, n++) {
      const wait = t0 + 20 * n - performance.now();
      if (wait > 0) await sleep(wait);
      this.sendRaw(this.packet(STATIC[codec], n === 0, this.seq++, this.ts, codes.subarray(o, o + 160)));
      this.ts += 160;
    }
    return n;
  }

  /** Sends DTMF keys as recorded in sipp's RFC 4733 captures, each a new event of our stream. */
  async sendDtmf(keys: string, pt = 101): Promise<number> {
    let sent = 0;
    for (const key of keys) {
      const pkts = readPcapUdp(sippDtmfPcap(key));
      const t0 = pkts[0]!.timeUs;
      const seq0 = pkts[0]!.data.readUInt16BE(2);
      const base = this.seq;
      const start = performance.now();
      for (const p of pkts) {
        const wait = start + Math.min(200, (p.timeUs - t0) / 1000) - performance.now();
        if (wait > 0) await sleep(wait);
        const d = p.data;
        // The capture's event payload and sequence steps (its end packet sent three times,
        // as captured), re-stamped into our stream: one timestamp per event.
        this.seq = base + ((d.readUInt16BE(2) - seq0) & 0xffff);
        this.sendRaw(this.packet(pt, (d[1]! & 0x80) !== 0, this.seq, this.ts, d.subarray(12)));
        sent++;
      }
      this.seq++;
      this.ts += 160 * 10;
      await sleep(40);
    }
    return sent;
  }

  /** The audio received in `codec` (in order of arrival, from the `from`-th packet), decoded. */
  audio(codec: Codec, from = 0): Int16Array {
    const pt = STATIC[codec];
    const pkts = this.received.slice(from).filter((r) => r.pt === pt);
    return decodeG711(codec, Buffer.concat(pkts.map((p) => p.payload)));
  }

  close(): void {
    this.rtp.close();
    if (this.sender !== this.rtp) this.sender.close();
  }
}
