// The embedded media plane's machinery (it runs in the media worker, see worker.ts): legs
// and their sockets, the 20 ms clock that paces prompts and recordings, the relay between
// bridged legs (transcoding PCMU↔PCMA, telephone-events re-typed), DTMF detection.
import type { RemoteInfo } from 'node:dgram';
import { MediaError, type LegStats, type MediaEvents, type MediaPlane, type MediaPlaneOptions, type RecordingResult } from '../plane.ts';
import { FRAME_SAMPLES, MediaClock } from './clock.ts';
import { decode, SILENCE, STATIC_PT, transcode } from '../g711.ts';
import { Leg, STAT, STAT_FIELDS } from './leg.ts';
import { PortPool } from './ports.ts';
import { Recorder } from './recorder.ts';
import { buildRtp, parseRtp, type RtpPacket } from './rtp.ts';
import { answer, isWebRtcOffer, offer, readAnswer } from './sdp.ts';
import { SoundCache } from './sound.ts';
import { webRtcAnswer, webRtcOffer, type WebRtcSide } from './webrtc.ts';

/** Where a WebRTC leg's packets "come from" for latching: werift hands them over decrypted. */
const WEBRTC_SOURCE = { address: '0.0.0.0', port: 0, family: 'IPv4', size: 0 } as const;
/** What a WebRTC leg's far end is once answered: PCMU, no telephone-event (werift re-types payloads). */
const WEBRTC_REMOTE = { address: 'webrtc', port: 9, codec: 'PCMU', pt: 0, dtmfPt: undefined, direction: 'sendrecv' } as const;

export const DEFAULT_PORTS = { min: 20000, max: 29999 };
/** Finished recordings kept for a stopRecording that comes after their legs closed. */
const MAX_DONE_RECORDINGS = 1000;

export interface EngineOptions extends MediaPlaneOptions {
  /** Where the legs' counters live (STAT_FIELDS per port of the range); own memory if not given. */
  stats?: Float64Array;
}

/** The number of stats slots the port range needs. */
export function statsLength(ports = DEFAULT_PORTS): number {
  return new PortPool('127.0.0.1', ports).size * STAT_FIELDS;
}

export class MediaEngine implements MediaPlane {
  readonly address: string;
  /** Where WebRTC legs do ICE. */
  private readonly webrtcAddress: string;
  private readonly events: MediaEvents;
  private readonly pool: PortPool;
  private readonly statsMem: Float64Array;
  private readonly legs = new Map<string, Leg>();
  private readonly playing = new Set<Leg>();
  private readonly recordings = new Map<string, { rec: Recorder; legs: Leg[] }>();
  private readonly done = new Map<string, Promise<RecordingResult>>();
  private readonly sounds = new SoundCache();
  private readonly clock = new MediaClock((t) => this.tick(t));
  private readonly frame = new Uint8Array(FRAME_SAMPLES);
  private readonly pcm = new Int16Array(FRAME_SAMPLES * 25);

  constructor(opts: EngineOptions) {
    this.address = opts.address ?? '127.0.0.1';
    this.webrtcAddress = opts.webrtcAddress ?? this.address;
    this.events = opts.events;
    this.pool = new PortPool(this.address, opts.ports ?? DEFAULT_PORTS);
    this.statsMem = opts.stats ?? new Float64Array(this.pool.size * STAT_FIELDS);
  }

  /** The stats slot of a leg (its port's index in the range). */
  slotOf(leg: string): number | undefined {
    const l = this.legs.get(leg);
    return l && this.pool.slot(l.port);
  }

  private leg(id: string): Leg {
    const l = this.legs.get(id);
    if (!l) throw new MediaError('MEDIA_UNKNOWN_LEG', `No media leg ${id}.`);
    return l;
  }

  private async create(call: string, id: string): Promise<Leg> {
    if (this.legs.has(id)) throw new MediaError('MEDIA_UNKNOWN_LEG', `The media leg ${id} exists already.`);
    const { socket, port } = await this.pool.bind();
    const slot = this.pool.slot(port);
    const leg = new Leg(id, call, socket, port, this.statsMem.subarray(slot * STAT_FIELDS, (slot + 1) * STAT_FIELDS));
    socket.on('message', (msg, rinfo) => {
      try {
        this.receive(leg, msg, rinfo);
      } catch {
        // A datagram we failed on is dropped; the leg goes on.
      }
    });
    socket.on('error', () => undefined);
    this.legs.set(id, leg);
    return leg;
  }

  private local(leg: Leg) {
    return { address: this.address, port: leg.port, sessionId: leg.sessionId, version: leg.version++ };
  }

  async answer(call: string, id: string, offerSdp: string): Promise<string> {
    if (isWebRtcOffer(offerSdp)) {
      // A browser calling in: werift answers; the leg is WebRTC from the start.
      const leg = await this.create(call, id);
      return this.webrtc(leg, (onRtp) => webRtcAnswer(this.webrtcAddress, leg.port, offerSdp, onRtp), true);
    }
    // Refuse a bad offer before taking a port.
    answer(offerSdp, { address: this.address, port: 0, sessionId: 0, version: 0 });
    const leg = await this.create(call, id);
    const a = answer(offerSdp, this.local(leg));
    leg.remote = a.remote;
    return a.sdp;
  }

  async offer(call: string, id: string, opts?: { webrtc?: boolean }): Promise<string> {
    const leg = await this.create(call, id);
    if (!opts?.webrtc) return offer(this.local(leg));
    return this.webrtc(leg, (onRtp) => webRtcOffer(this.webrtcAddress, leg.port, onRtp), false);
  }

  /**
   * Makes `leg` a WebRTC leg (its even port is its stats slot; ICE takes the odd one above
   * it) and returns our SDP; `answering`: the browser offered, so the far end is known now.
   */
  private async webrtc(leg: Leg, start: (onRtp: (packet: Buffer) => void) => Promise<WebRtcSide>, answering: boolean): Promise<string> {
    try {
      const side = await start((packet) => {
        try {
          this.receive(leg, packet, WEBRTC_SOURCE);
        } catch {
          // A packet we failed on is dropped; the leg goes on.
        }
      });
      if (leg.closed) side.close();
      else {
        leg.webrtc = side;
        if (answering) leg.remote = { ...WEBRTC_REMOTE };
      }
      return side.sdp;
    } catch (e) {
      await this.close(leg.id);
      throw e;
    }
  }

  async answered(id: string, answerSdp: string): Promise<void> {
    const leg = this.leg(id);
    if (leg.webrtc) {
      await leg.webrtc.answered(answerSdp);
      leg.remote = { ...WEBRTC_REMOTE };
      return;
    }
    leg.remote = readAnswer(answerSdp);
  }

  async reoffer(id: string, offerSdp: string): Promise<string> {
    const leg = this.leg(id);
    if (leg.webrtc) return leg.webrtc.reanswer(offerSdp);
    const a = answer(offerSdp, this.local(leg));
    const before = leg.remote;
    leg.remote = a.remote;
    // A new address is a new far end: latch again.
    if (!before || before.address !== a.remote.address || before.port !== a.remote.port) leg.latched = undefined;
    return a.sdp;
  }

  /** Reads and encodes a sound now (at start), so that a first call playing it does not wait. @throws MediaError MEDIA_BAD_SOUND */
  async preload(file: string): Promise<void> {
    const sound = await this.sounds.get(file);
    sound.encoded('PCMU');
    sound.encoded('PCMA');
  }

  async play(id: string, file: string, opts: { loop: boolean }): Promise<void> {
    const leg = this.leg(id);
    const sound = await this.sounds.get(file);
    if (leg.closed) return;
    if (!leg.playing) {
      this.playing.add(leg);
      this.clock.hold();
    }
    leg.playing = { sound, pos: 0, loop: opts.loop, start: true };
  }

  async stopPlay(id: string): Promise<void> {
    this.endPlay(this.leg(id));
  }

  private endPlay(leg: Leg): void {
    if (!leg.playing) return;
    leg.playing = undefined;
    this.playing.delete(leg);
    this.clock.release();
  }

  async bridge(a: string, b: string): Promise<void> {
    const la = this.leg(a);
    const lb = this.leg(b);
    if (la === lb) throw new MediaError('MEDIA_UNKNOWN_LEG', `A leg cannot be bridged to itself (${a}).`);
    this.unlink(la);
    this.unlink(lb);
    this.endPlay(la);
    this.endPlay(lb);
    la.peer = lb;
    lb.peer = la;
  }

  async unbridge(id: string): Promise<void> {
    this.unlink(this.leg(id));
  }

  private unlink(leg: Leg): void {
    if (leg.peer) leg.peer.peer = undefined;
    leg.peer = undefined;
  }

  async startRecording(call: string, legIds: readonly string[], file: string): Promise<void> {
    const legs = legIds.map((id) => this.leg(id));
    if (legs.length < 1 || legs.length > 2) throw new MediaError('MEDIA_UNKNOWN_LEG', 'A recording is of one leg or two.');
    const rec = await Recorder.create(file);
    const previous = this.recordings.get(call);
    if (previous) await this.finish(call);
    const [first, second] = legs as [Leg, Leg | undefined];
    first.saysTo.add(rec.left);
    if (second) second.saysTo.add(rec.right);
    else first.hearsTo.add(rec.right);
    for (const l of legs) l.recorders.add(rec);
    this.recordings.set(call, { rec, legs });
    this.clock.hold();
  }

  async stopRecording(call: string): Promise<RecordingResult | undefined> {
    if (this.recordings.has(call)) return this.finish(call);
    const done = this.done.get(call);
    this.done.delete(call);
    return done;
  }

  private finish(call: string): Promise<RecordingResult> {
    const r = this.recordings.get(call)!;
    this.recordings.delete(call);
    this.clock.release();
    for (const l of r.legs) {
      l.saysTo.delete(r.rec.left);
      l.saysTo.delete(r.rec.right);
      l.hearsTo.delete(r.rec.right);
      l.recorders.delete(r.rec);
    }
    return r.rec.stop();
  }

  async close(id: string): Promise<void> {
    const leg = this.legs.get(id);
    if (!leg) return;
    this.endPlay(leg);
    this.unlink(leg);
    leg.closed = true;
    leg.webrtc?.close();
    this.legs.delete(id);
    this.pool.release(leg.socket, leg.port);
    // A recording whose legs have all gone is finished now, its result kept for stopRecording.
    for (const [call, r] of this.recordings) {
      if (r.legs.every((l) => l.closed)) {
        if (this.done.size >= MAX_DONE_RECORDINGS) this.done.delete(this.done.keys().next().value!);
        const result = this.finish(call);
        result.catch(() => undefined);
        this.done.set(call, result);
      }
    }
  }

  stats(id: string): LegStats | undefined {
    const s = this.legs.get(id)?.stats;
    return s && { rxPackets: s[STAT.rxPackets]!, txPackets: s[STAT.txPackets]!, rxBytes: s[STAT.rxBytes]!, txBytes: s[STAT.txBytes]! };
  }

  async stop(): Promise<void> {
    for (const id of [...this.legs.keys()]) await this.close(id);
    await Promise.all([...this.recordings.keys()].map((c) => this.finish(c)));
    await Promise.all(this.done.values());
  }

  /** One clock tick: a frame of each sound playing, a frame of each recording. */
  private tick(tick: number): void {
    for (const leg of this.playing) {
      const p = leg.playing!;
      const codec = leg.codec;
      const codes = codec && p.sound.encoded(codec);
      const n = p.sound.pcm.length;
      if (codes && leg.sending) {
        const frame = this.frame;
        const end = Math.min(p.pos + FRAME_SAMPLES, n);
        frame.set(codes.subarray(p.pos, end));
        frame.fill(SILENCE[codec], end - p.pos);
        const st = leg.out.paced(tick, p.start);
        leg.send(buildRtp(leg.remote!.pt, st.marker, st.seq, st.timestamp, leg.out.ssrc, frame));
        this.heard(leg, codec, frame);
      }
      p.start = false;
      p.pos += FRAME_SAMPLES;
      if (p.pos >= n) {
        if (p.loop && n > 0) p.pos = 0;
        else {
          this.endPlay(leg);
          this.events.played?.(leg.id);
        }
      }
    }
    for (const { rec } of this.recordings.values()) rec.tick();
  }

  /** What a leg is sent, to the recordings that want it. */
  private heard(leg: Leg, codec: 'PCMU' | 'PCMA', codes: Uint8Array): void {
    if (leg.hearsTo.size === 0) return;
    const pcm = decode(codec, codes, this.pcm.subarray(0, codes.length));
    for (const q of leg.hearsTo) q.push(pcm);
  }

  private receive(leg: Leg, msg: Buffer, rinfo: RemoteInfo): void {
    if (leg.closed) return;
    const p = parseRtp(msg);
    if (!p) return;
    if (!leg.accept(rinfo.address, rinfo.port, this.clock.now())) return;
    leg.stats[STAT.rxPackets]!++;
    leg.stats[STAT.rxBytes]! += msg.length;
    const remote = leg.remote;
    if (!remote) return;
    const codec = p.payloadType === remote.pt ? remote.codec : p.payloadType === STATIC_PT.PCMU ? 'PCMU' : p.payloadType === STATIC_PT.PCMA ? 'PCMA' : undefined;
    if (codec) {
      if (p.payload.length > this.pcm.length) return;
      if (leg.saysTo.size > 0) {
        const pcm = decode(codec, p.payload, this.pcm.subarray(0, p.payload.length));
        for (const q of leg.saysTo) q.push(pcm);
      }
      this.relayAudio(leg, p, codec);
    } else if (p.payloadType === remote.dtmfPt) {
      const digit = leg.dtmf.push(p.ssrc, p.timestamp, p.payload);
      if (digit) this.events.dtmf(leg.id, digit);
      this.relayEvent(leg, p);
    }
  }

  private relayAudio(from: Leg, p: RtpPacket, codec: 'PCMU' | 'PCMA'): void {
    const to = from.peer;
    const toCodec = to?.codec;
    if (!to || !toCodec || to.playing || !to.sending) return;
    const st = to.out.relayed(p.ssrc, p.seq, p.timestamp, p.marker, this.clock.now());
    const packet = buildRtp(to.remote!.pt, st.marker, st.seq, st.timestamp, to.out.ssrc, p.payload);
    if (codec !== toCodec) transcode(codec, toCodec, p.payload, packet.subarray(12));
    to.send(packet);
    if (to.hearsTo.size > 0) this.heard(to, toCodec, packet.subarray(12));
  }

  private relayEvent(from: Leg, p: RtpPacket): void {
    const to = from.peer;
    const pt = to?.remote?.dtmfPt;
    if (!to || pt === undefined || to.playing || !to.sending) return;
    const st = to.out.relayed(p.ssrc, p.seq, p.timestamp, p.marker, this.clock.now());
    to.send(buildRtp(pt, st.marker, st.seq, st.timestamp, to.out.ssrc, p.payload));
  }
}
