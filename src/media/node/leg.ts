// One leg's RTP endpoint: its socket, the far end it sends to (the SDP address until the
// far end's first packet, then that packet's source: symmetric RTP through NAT), the codec
// and telephone-event payload type agreed, its outbound stream, its counters.
import type { Socket } from 'node:dgram';
import type { Codec } from '../plane.ts';
import { DtmfReceiver } from './dtmf.ts';
import type { Recorder } from './recorder.ts';
import type { SampleQueue } from './recorder.ts';
import { wantsAudio, type RemoteMedia } from './sdp.ts';
import { OutStream } from './stream.ts';
import type { Sound } from './sound.ts';
import type { WebRtcSide } from './webrtc.ts';

/** After this long without a packet from the latched source, another source may take over. */
export const RELATCH_MS = 1000;

/** Counter positions in a leg's stats slot. */
export const STAT = { rxPackets: 0, txPackets: 1, rxBytes: 2, txBytes: 3 } as const;
export const STAT_FIELDS = 4;

export interface Playing {
  sound: Sound;
  /** The next sample to send. */
  pos: number;
  loop: boolean;
  /** The next frame starts the sound (marker bit). */
  start: boolean;
}

export class Leg {
  remote: RemoteMedia | undefined;
  /** Where the far end's packets come from, once one came. */
  latched: { address: string; port: number } | undefined;
  lastRxMs = -Infinity;
  readonly out = new OutStream();
  readonly dtmf = new DtmfReceiver();
  peer: Leg | undefined;
  playing: Playing | undefined;
  /** Queues fed with what the far end says / what it is sent (recordings). */
  readonly saysTo = new Set<SampleQueue>();
  readonly hearsTo = new Set<SampleQueue>();
  readonly recorders = new Set<Recorder>();
  /** The listener's mix (monitor.ts) that feeds this leg instead of the relay (whisper, barge). */
  mixedBy: object | undefined;
  /** The o= version of the next SDP we write for this leg. */
  version = 1;
  readonly sessionId = Math.floor(Math.random() * 2 ** 31);
  closed = false;
  /** A WebRTC leg's far side (webrtc.ts): packets go to it instead of the socket. */
  webrtc: WebRtcSide | undefined;

  constructor(
    readonly id: string,
    readonly call: string,
    readonly socket: Socket,
    readonly port: number,
    /** This leg's counters (STAT_FIELDS of them). */
    readonly stats: Float64Array,
  ) {
    stats.fill(0);
  }

  get codec(): Codec | undefined {
    return this.remote?.codec;
  }

  /** Whether we send to the far end now (it answered and is not holding). */
  get sending(): boolean {
    return !this.closed && this.remote !== undefined && wantsAudio(this.remote);
  }

  /** Where packets go: the latched source, else the SDP address. */
  target(): { address: string; port: number } | undefined {
    return this.latched ?? (this.remote && { address: this.remote.address, port: this.remote.port });
  }

  /**
   * Whether a packet from this source is the far end's: the first source is latched, and
   * another one only replaces it after RELATCH_MS of silence (a NAT binding that changed).
   */
  accept(address: string, port: number, nowMs: number): boolean {
    const l = this.latched;
    if (!l || ((l.address !== address || l.port !== port) && nowMs - this.lastRxMs > RELATCH_MS)) {
      this.latched = { address, port };
    } else if (l.address !== address || l.port !== port) {
      return false;
    }
    this.lastRxMs = nowMs;
    return true;
  }

  /**
   * Sends to the far end. No callback: a send error (an unreachable far end) is not ours to
   * report, goes to the socket's 'error' listener, and the packet still counts as sent; a
   * callback would cost a tick per packet.
   */
  send(packet: Buffer): void {
    if (!this.sending) return;
    const l = this.latched;
    const port = l ? l.port : this.remote!.port;
    const address = l ? l.address : this.remote!.address;
    this.stats[STAT.txPackets]!++;
    this.stats[STAT.txBytes]! += packet.length;
    if (this.webrtc) this.webrtc.send(packet);
    else this.socket.send(packet, port, address);
  }
}
