// The media plane on rtpengine (Debian's rtpengine-daemon 10.5), driven over its NG protocol.
//
// How our legs map onto NG (rtpengine 10.5 has no `connect`; `publish`/`subscribe` give
// one-way media only, so two-way legs are plain offer/answer monologues):
//
// - One NG call per `call` (call-id = `call`); one monologue per leg (tag = leg name).
// - A leg that is not bridged is paired (offer/answer) with a placeholder monologue, its
//   "hole" (tag `<leg>~<n>`), whose SDP has the zero address (c=0.0.0.0): rtpengine sends
//   nothing to a zero address, so nothing the leg's far end says is relayed anywhere, with
//   no `block media` to send and undo (flags `original sendrecv` and replace `zero address`
//   keep the SDP rtpengine hands the far end two-way, with its real address). This is what
//   lets the caller's leg be answered, hear prompts (`play media` with from-tag = the leg
//   plays TO that leg) and give DTMF (logged from what rtpengine receives) before any
//   operator leg exists.
//     answer(): `offer` from the leg with the caller's SDP, then `answer` from its hole
//               (only the chosen G.711 codec): rtpengine's answer SDP is our answer.
//     offer():  `offer` from a hole (PCMU, PCMA, telephone-event): rtpengine's SDP is our offer;
//     answered(): `answer` from the hole with the far end's SDP.
// - bridge(a, b): a re-offer inside the call from a with to-tag b (rtpengine re-associates the
//   two monologues, dropping both holes' pairings), carrying a's far-end SDP reduced to its
//   negotiated codec (+ `codec: {transcode: [b's codec]}` when they differ), then an answer
//   from b with b's far-end SDP; the two holes are then deleted (together: they hold ports).
//   With the `port latching` flag rtpengine keeps the ports it already gave each far end, so
//   no re-INVITE is needed. What plays on either leg is stopped first, only if something does.
// - unbridge(leg): each of the two legs is re-offered to a fresh hole.
// - reoffer() (hold): offer from the leg to its current peer (hole or bridged leg), answer from
//   that peer with the opposite direction; rtpengine's answer SDP is our answer.
// - close(): once every leg of a call is closing (a hangup closes them all at once) the NG
//   call is deleted, one request; a leg closed while others stay is deleted alone (its
//   monologue, and its hole with it), after its bridged peer is re-paired with a fresh hole
//   (rtpengine ends a call left with fewer than two tags).
// - Recording: `start recording`/`stop recording` (pcap, `--recording-method=pcap`), the pcap
//   converted here to a WAV (see recording.ts): needs `recordingDir` readable from here.
// - Listening (a supervisor on a call): none. rtpengine 10.5's `subscribe request` forks a
//   participant's media one way to a new participant (one m= section per source, never
//   mixed: the `audio player` that mixes came in mr11.3, the `connect` message in mr13.2),
//   so a listener on one phone line would hear one side only, and whisper and barge, which
//   mix a third voice into a leg, have nothing to stand on: `listenModes` is empty and
//   `listen` refuses with MEDIA_UNSUPPORTED.
// - DTMF: rtpengine's `--dtmf-log-dest` JSON (callid, source_tag, event) → `dtmf(leg, digit)`.
//
// NG requests of a call answered, bridged to an operator and hung up: answer 2, offer 1,
// answered 1, bridge 4 (2 + the holes' deletes, side by side), hangup 1: 9, one call's in
// order, many calls' side by side over the pipelined client (ng.ts). Both legs of a bridge
// must belong to the same `call`. A sound is played from a copy in the leg's codec (sounds.ts):
// rtpengine must be able to read `soundsDir`.

import dgram from 'node:dgram';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  answerDirection,
  MediaError,
  type Direction,
  type LegStats,
  type ListenMode,
  type MediaEvents,
  type MediaPlane,
  type MediaPlaneOptions,
  type RecordingResult,
} from '../plane.ts';
import { NgClient, type NgMessage } from './ng.ts';
import { pcapToWav } from './recording.ts';
import { G711Sounds } from './sounds.ts';
import { audioPort, farEndSdp, holeSdp, readFarEnd, type FarEnd } from './sdp.ts';
import { sdpVersion, webRtcReanswer } from '../webrtc-sdp.ts';

export interface RtpenginePlaneOptions extends MediaPlaneOptions {
  /** rtpengine's NG control address, "host:port" (`--listen-ng`). */
  ng: string;
  /** A bound UDP socket rtpengine's `--dtmf-log-dest` points at (see `bindDtmfLog`). */
  dtmfLog?: dgram.Socket;
  /** rtpengine's `--recording-dir`, readable from this process. Without it, no recording. */
  recordingDir?: string;
  /** Timeout of one NG request, queueing included. @default 5_000 */
  ngTimeoutMs?: number;
  /** NG requests on the wire at once, across calls (see ng.ts). @default 64 */
  ngMaxInFlight?: number;
  /**
   * Where the sounds played are written in G.711 (rtpengine must read it: see sounds.ts).
   * @default a temporary directory, removed at stop()
   */
  soundsDir?: string;
}

/** Binds the UDP socket rtpengine sends DTMF reports to; `port` 0 lets the OS choose. */
export async function bindDtmfLog(address = '127.0.0.1', port = 0): Promise<dgram.Socket> {
  const sock = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((ok, fail) => {
    sock.once('error', fail);
    sock.bind(port, address, () => {
      sock.off('error', fail);
      ok();
    });
  });
  return sock;
}

/** RFC 4733 event codes → keys. */
const DIGITS = '0123456789*#ABCD';
const LOOP_TIMES = 1_000_000;
const MAX_DTMF_REPORT = 4096;

interface Leg {
  name: string;
  call: string;
  /** The far end as negotiated; undefined while our offer is unanswered. */
  far?: FarEnd;
  /** rtpengine's port facing the far end. */
  localPort: number;
  hole?: string;
  peer?: string;
  holes: number;
  /** Something plays to the leg (as far as we know: a sound without loop ends by itself). */
  playing: boolean;
  playTimer?: NodeJS.Timeout;
  /** close() was called: the leg is gone for the caller of the interface. */
  closing: boolean;
  stats: LegStats;
  statsPending: boolean;
  /** A browser's leg (WebRTC): its own answer, re-used when rtpengine re-negotiates it (bridge). */
  /** A browser's leg: our offer to it, its answer, the version of our last SDP to it. */
  webrtc?: { offer?: string; answer?: string; version?: number };
}

interface CallState {
  legs: Set<string>;
  /** Serialises the NG exchanges of one call (a bridge is several). */
  chain: Promise<unknown>;
  recording?: { file: string; ports: number[]; prefix: string };
}

export class RtpenginePlane implements MediaPlane {
  readonly #ng: NgClient;
  readonly #events: MediaEvents;
  readonly #address: string;
  readonly #recordingDir: string | undefined;
  readonly #dtmfLog: dgram.Socket | undefined;
  readonly #legs = new Map<string, Leg>();
  readonly #calls = new Map<string, CallState>();
  readonly #sounds: G711Sounds;

  constructor(opts: RtpenginePlaneOptions) {
    this.#sounds = new G711Sounds(opts.soundsDir);
    this.#ng = new NgClient(opts.ng, {
      ...(opts.ngTimeoutMs !== undefined ? { timeoutMs: opts.ngTimeoutMs } : {}),
      ...(opts.ngMaxInFlight !== undefined ? { maxInFlight: opts.ngMaxInFlight } : {}),
    });
    this.#events = opts.events;
    this.#address = opts.address ?? '127.0.0.1';
    this.#recordingDir = opts.recordingDir;
    this.#dtmfLog = opts.dtmfLog;
    this.#dtmfLog?.on('message', (msg) => this.#onDtmfReport(msg));
  }

  /** None in rtpengine 10.5 (see the header). */
  readonly listenModes: readonly ListenMode[] = [];

  async listen(_listener: string, _leg: string, mode: ListenMode): Promise<void> {
    throw new MediaError('MEDIA_UNSUPPORTED', `rtpengine 10.5 cannot ${mode === 'listen' ? 'mix both sides of a call for a listener' : `${mode}: it mixes no third voice into a call`} (its subscribe request forks one side at a time, unmixed); use --media node.`);
  }

  async unlisten(_listener: string): Promise<void> {}

  /** NG requests sent so far, per command (tests and the bench count them). */
  ngCounts(): Record<string, number> {
    return Object.fromEntries(this.#ng.counts);
  }

  answer(call: string, leg: string, offer: string): Promise<string> {
    return this.#serial(call, async () => {
      if (this.#legs.has(leg)) throw new MediaError('MEDIA_BAD_SDP', `leg ${leg} exists`);
      const far = readFarEnd(offer);
      await this.#send('offer', { 'call-id': call, 'from-tag': leg, sdp: offer, ...COMMON });
      const state = this.#callState(call);
      const l = newLeg(leg, call, far);
      this.#legs.set(leg, l);
      state.legs.add(leg);
      const hole = this.#nextHole(l);
      const res = await this.#send('answer', {
        'call-id': call,
        'from-tag': leg,
        'to-tag': hole,
        sdp: holeSdp(this.#address, [far.codec], far.dtmfPt, answerDirection(far.direction)),
        ...HOLE,
      });
      const sdp = sdpOf(res);
      l.localPort = audioPort(sdp);
      l.hole = hole;
      if (l.webrtc) l.webrtc.offer = sdp;
      return sdp;
    });
  }

  offer(call: string, leg: string, opts?: { webrtc?: boolean }): Promise<string> {
    return this.#serial(call, async () => {
      if (this.#legs.has(leg)) throw new MediaError('MEDIA_BAD_SDP', `leg ${leg} exists`);
      const l = newLeg(leg, call);
      if (opts?.webrtc) l.webrtc = {};
      const hole = this.#nextHole(l);
      const res = await this.#send('offer', {
        'call-id': call,
        'from-tag': hole,
        // A browser softphone: PCMU only (no transcoding), rtpengine's own WebRTC side.
        sdp: opts?.webrtc ? holeSdp(this.#address, ['PCMU'], undefined, 'sendrecv') : holeSdp(this.#address, ['PCMU', 'PCMA'], 101, 'sendrecv'),
        ...HOLE,
        ...(opts?.webrtc ? WEBRTC : {}),
      });
      const sdp = sdpOf(res);
      l.localPort = audioPort(sdp);
      l.hole = hole;
      if (l.webrtc) l.webrtc.offer = sdp;
      this.#legs.set(leg, l);
      this.#callState(call).legs.add(leg);
      return sdp;
    });
  }

  async answered(leg: string, answer: string): Promise<void> {
    const l = this.#leg(leg);
    return this.#serial(l.call, async () => {
      const far = readFarEnd(answer);
      await this.#send('answer', { 'call-id': l.call, 'from-tag': l.hole!, 'to-tag': leg, sdp: answer, ...COMMON });
      if (l.webrtc) l.webrtc.answer = answer;
      l.far = far;
    });
  }

  async reoffer(leg: string, offer: string): Promise<string> {
    const l = this.#leg(leg);
    // A browser's hold or resume: the same transport, answered without rtpengine (webrtc-sdp.ts).
    if (l.webrtc) {
      const { offer: ours, answer: theirs } = l.webrtc;
      if (ours === undefined || theirs === undefined) throw new MediaError('MEDIA_UNKNOWN_LEG', `leg ${leg} is not established`);
      return webRtcReanswer(ours, theirs, offer, (l.webrtc.version = (l.webrtc.version ?? sdpVersion(ours)) + 1));
    }
    return this.#serial(l.call, async () => {
      const far = readFarEnd(offer, l.far?.codec);
      const peer = l.peer !== undefined ? this.#legs.get(l.peer) : undefined;
      const to = peer?.name ?? l.hole;
      if (to === undefined || !l.far) throw new MediaError('MEDIA_UNKNOWN_LEG', `leg ${leg} is not established`);
      const transcode = peer?.far && peer.far.codec !== far.codec ? { codec: { transcode: [peer.far.codec] } } : {};
      await this.#send('offer', { 'call-id': l.call, 'from-tag': leg, 'to-tag': to, sdp: offer, ...COMMON, ...transcode });
      const back: Direction = answerDirection(far.direction);
      const res = await this.#send('answer', {
        'call-id': l.call,
        'from-tag': leg,
        'to-tag': to,
        ...(peer?.far ? { sdp: farEndSdp(peer.far, back), ...COMMON } : { sdp: holeSdp(this.#address, [far.codec], far.dtmfPt, back), ...HOLE }),
      });
      l.far = far;
      return sdpOf(res);
    });
  }

  async play(leg: string, file: string, opts: { loop: boolean }): Promise<void> {
    const l = this.#leg(leg);
    return this.#serial(l.call, async () => {
      clearTimeout(l.playTimer);
      l.playTimer = undefined;
      const g711 = await this.#sounds.path(resolve(file), l.far?.codec ?? 'PCMU');
      const res = await this.#send('play media', {
        'call-id': l.call,
        'from-tag': leg,
        file: g711,
        'repeat-times': opts.loop ? LOOP_TIMES : 1,
      });
      l.playing = true;
      // rtpengine 10.5 does not report the end of a playback: it is computed from its length
      if (!opts.loop && typeof res.duration === 'number') {
        l.playTimer = setTimeout(() => {
          l.playTimer = undefined;
          l.playing = false;
          this.#events.played?.(leg);
        }, res.duration);
      }
    });
  }

  async stopPlay(leg: string): Promise<void> {
    const l = this.#leg(leg);
    return this.#serial(l.call, () => this.#stopPlay(l));
  }

  async bridge(a: string, b: string): Promise<void> {
    const la = this.#leg(a);
    const lb = this.#leg(b);
    if (la.call !== lb.call) throw new MediaError('MEDIA_UNKNOWN_LEG', `legs ${a} and ${b} are not in one call`);
    if (a === b) throw new MediaError('MEDIA_UNKNOWN_LEG', 'a leg cannot be bridged to itself');
    return this.#serial(la.call, async () => {
      if (!la.far || !lb.far) throw new MediaError('MEDIA_UNKNOWN_LEG', 'both legs must be answered before a bridge');
      if (la.peer === b) return;
      for (const l of [la, lb]) {
        if (l.peer !== undefined) await this.#unbridge(l);
        await this.#stopPlay(l);
      }
      const transcode = la.far.codec !== lb.far.codec ? { codec: { transcode: [lb.far.codec] } } : {};
      // A browser's side keeps its WebRTC answer (ICE, DTLS) and flags.
      const sdpOfLeg = (l: Leg) => l.webrtc?.answer ?? farEndSdp(l.far!);
      await this.#send('offer', { 'call-id': la.call, 'from-tag': a, 'to-tag': b, sdp: sdpOfLeg(la), ...COMMON, ...transcode, ...(lb.webrtc ? WEBRTC : {}) });
      await this.#send('answer', { 'call-id': la.call, 'from-tag': a, 'to-tag': b, sdp: sdpOfLeg(lb), ...COMMON });
      la.peer = b;
      lb.peer = a;
      // the holes, paired with nothing now, hold ports: deleted together
      const holes = [la, lb].flatMap((l) => {
        const hole = l.hole;
        l.hole = undefined;
        return hole !== undefined ? [hole] : [];
      });
      await Promise.all(holes.map((hole) => this.#deleteTag(la.call, hole)));
    });
  }

  async unbridge(leg: string): Promise<void> {
    const l = this.#leg(leg);
    return this.#serial(l.call, () => this.#unbridge(l));
  }

  async startRecording(call: string, legs: readonly string[], file: string): Promise<void> {
    const state = this.#calls.get(call);
    if (!state) throw new MediaError('MEDIA_UNKNOWN_LEG', `no call ${call}`);
    if (this.#recordingDir === undefined) throw new MediaError('MEDIA_UNAVAILABLE', 'rtpengine recording needs recordingDir');
    const ports = legs.map((leg) => this.#leg(leg).localPort);
    if (ports.length < 1 || ports.length > 2) throw new MediaError('MEDIA_UNKNOWN_LEG', 'record one or two legs');
    return this.#serial(call, async () => {
      if (state.recording) return;
      const prefix = `${ngEscape(call)}-`;
      await this.#send('start recording', { 'call-id': call });
      state.recording = { file, ports, prefix };
    });
  }

  async stopRecording(call: string): Promise<RecordingResult | undefined> {
    const state = this.#calls.get(call);
    const rec = state?.recording;
    if (!state || !rec) return undefined;
    state.recording = undefined;
    if (state.legs.size > 0) await this.#serial(call, () => this.#send('stop recording', { 'call-id': call }));
    else this.#calls.delete(call);
    return this.#convert(rec);
  }

  async close(leg: string): Promise<void> {
    const l = this.#legs.get(leg);
    if (!l) return;
    // Marked now: the legs of a call closed together (a hangup) are deleted with one request.
    l.closing = true;
    return this.#serial(l.call, async () => {
      if (!this.#legs.has(leg)) return;
      clearTimeout(l.playTimer);
      const state = this.#calls.get(l.call)!;
      // A close never fails (callers do not wait for it): with rtpengine unreachable or late
      // (an NG timeout under load), the leg is forgotten here all the same.
      if ([...state.legs].every((name) => this.#legs.get(name)?.closing !== false)) {
        for (const name of state.legs) {
          clearTimeout(this.#legs.get(name)?.playTimer);
          this.#legs.delete(name);
        }
        state.legs.clear();
        // deleting the NG call also closes a running recording's pcap: stopRecording converts it
        await this.#send('delete', { 'call-id': l.call, 'delete-delay': 0 }).catch(() => undefined);
        if (!state.recording) this.#calls.delete(l.call);
        return;
      }
      this.#legs.delete(leg);
      state.legs.delete(leg);
      const peer = l.peer !== undefined ? this.#legs.get(l.peer) : undefined;
      if (peer) {
        peer.peer = undefined;
        await this.#rehole(peer).catch(() => undefined);
      }
      // Deleting a tag deletes the monologues paired with it alone: the leg's hole, or (an
      // offer never answered) the untagged monologue of the leg's far end.
      await this.#deleteTag(l.call, l.far ? leg : l.hole!);
    });
  }

  stats(leg: string): LegStats | undefined {
    const l = this.#legs.get(leg);
    if (!l) return undefined;
    // NG answers asynchronously: this returns the last figures and asks for fresh ones
    if (!l.statsPending) {
      l.statsPending = true;
      this.#refreshStats(l).finally(() => {
        l.statsPending = false;
      });
    }
    return { ...l.stats };
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.#calls].map(async ([call, state]) => {
        for (const leg of state.legs) clearTimeout(this.#legs.get(leg)?.playTimer);
        await state.chain.catch(() => undefined);
        await this.#send('delete', { 'call-id': call, 'delete-delay': 0 }).catch(() => undefined);
      }),
    );
    this.#calls.clear();
    this.#legs.clear();
    this.#ng.close();
    this.#sounds.close();
  }

  // --- internals ---

  async #unbridge(l: Leg): Promise<void> {
    const peer = l.peer !== undefined ? this.#legs.get(l.peer) : undefined;
    l.peer = undefined;
    await this.#rehole(l);
    if (peer) {
      peer.peer = undefined;
      await this.#rehole(peer);
    }
  }

  /** Pairs `l` with a fresh hole (its far end keeps its port): nothing is relayed to or from it. */
  async #rehole(l: Leg): Promise<void> {
    const far = l.far!;
    const hole = this.#nextHole(l);
    // A browser's leg keeps its WebRTC answer (ICE, DTLS): a plain SDP would turn its side to RTP/AVP.
    await this.#send('offer', { 'call-id': l.call, 'from-tag': l.name, 'to-tag': hole, sdp: l.webrtc?.answer ?? farEndSdp(far), ...COMMON });
    await this.#send('answer', {
      'call-id': l.call,
      'from-tag': l.name,
      'to-tag': hole,
      sdp: holeSdp(this.#address, [far.codec], far.dtmfPt, answerDirection(far.direction)),
      ...HOLE,
    });
    l.hole = hole;
  }

  async #stopPlay(l: Leg): Promise<void> {
    clearTimeout(l.playTimer);
    l.playTimer = undefined;
    if (!l.playing) return;
    l.playing = false;
    // "Not currently playing media" is the answer when it ended by itself
    await this.#send('stop media', { 'call-id': l.call, 'from-tag': l.name }).catch(() => undefined);
  }

  async #deleteTag(call: string, tag: string): Promise<void> {
    await this.#send('delete', { 'call-id': call, 'from-tag': tag, 'delete-delay': 0 }).catch(() => undefined);
  }

  async #convert(rec: { file: string; ports: number[]; prefix: string }): Promise<RecordingResult> {
    const dir = this.#recordingDir!;
    const pcaps = join(dir, 'pcaps');
    const found = readdirSync(pcaps)
      .filter((f) => f.startsWith(rec.prefix) && f.endsWith('.pcap'))
      .map((f) => join(pcaps, f))
      .sort((x, y) => statSync(y).mtimeMs - statSync(x).mtimeMs)[0];
    if (!found) throw new MediaError('MEDIA_UNAVAILABLE', `no pcap for ${rec.prefix} in ${pcaps}`);
    const result = pcapToWav(found, rec.file, rec.ports);
    rmSync(found, { force: true });
    const meta = join(dir, 'metadata');
    for (const f of safeList(meta)) if (f.startsWith(rec.prefix)) rmSync(join(meta, f), { force: true });
    return { file: rec.file, ...result };
  }

  async #refreshStats(l: Leg): Promise<void> {
    const res = await this.#send('query', { 'call-id': l.call }).catch(() => undefined);
    const rx = res && streamStats(res, l.name);
    if (!rx) return;
    const tx = l.peer !== undefined ? streamStats(res, l.peer) : undefined;
    l.stats = { rxPackets: rx.packets, rxBytes: rx.bytes, txPackets: tx?.packets ?? 0, txBytes: tx?.bytes ?? 0 };
  }

  #onDtmfReport(msg: Buffer): void {
    if (msg.length > MAX_DTMF_REPORT) return;
    let report: unknown;
    try {
      report = JSON.parse(msg.toString('utf8'));
    } catch {
      return;
    }
    if (!report || typeof report !== 'object') return;
    const { callid, source_tag: tag, event } = report as Record<string, unknown>;
    if (typeof tag !== 'string' || typeof event !== 'number' || !Number.isInteger(event)) return;
    const l = this.#legs.get(tag);
    const digit = DIGITS[event];
    if (!l || l.call !== callid || digit === undefined) return;
    this.#events.dtmf(tag, digit);
  }

  #nextHole(l: Leg): string {
    l.holes += 1;
    return `${l.name}~${l.holes}`;
  }

  #leg(leg: string): Leg {
    const l = this.#legs.get(leg);
    if (!l) throw new MediaError('MEDIA_UNKNOWN_LEG', `unknown leg ${leg}`);
    return l;
  }

  #callState(call: string): CallState {
    let s = this.#calls.get(call);
    if (!s) {
      s = { legs: new Set(), chain: Promise.resolve() };
      this.#calls.set(call, s);
    }
    return s;
  }

  #serial<T>(call: string, fn: () => Promise<T>): Promise<T> {
    const state = this.#callState(call);
    const run = state.chain.then(fn, fn);
    state.chain = run.catch(() => undefined);
    return run;
  }

  async #send(command: Parameters<NgClient['send']>[0], params: NgMessage): Promise<NgMessage> {
    return this.#ng.send(command, params);
  }
}

/** Flags on every offer/answer: rtpengine's own o=/c=, and keep the ports a far end knows. */
const COMMON: NgMessage = { replace: ['origin', 'session-connection'], flags: ['port latching'] };
/**
 * Flags on an offer/answer carrying a hole's SDP (zero address): the SDP rtpengine makes of it
 * for the far end has rtpengine's real address and the direction we wrote (not `sendonly`).
 */
const HOLE: NgMessage = { replace: ['origin', 'session-connection', 'zero-address'], flags: ['port latching', 'original-sendrecv'] };

function newLeg(name: string, call: string, far?: FarEnd): Leg {
  return { name, call, ...(far ? { far } : {}), localPort: 0, holes: 0, playing: false, closing: false, stats: zeroStats(), statsPending: false };
}

/** The offer to a browser (WebRTC): ICE host candidates, DTLS-SRTP, rtcp-mux, SAVPF. */
const WEBRTC: NgMessage = { ICE: 'force', DTLS: 'passive', SDES: ['off'], 'rtcp-mux': ['offer', 'require'], 'transport-protocol': 'UDP/TLS/RTP/SAVPF' };

function sdpOf(res: NgMessage): string {
  if (typeof res.sdp !== 'string') throw new MediaError('MEDIA_UNAVAILABLE', 'rtpengine returned no SDP');
  return res.sdp;
}

function zeroStats(): LegStats {
  return { rxPackets: 0, txPackets: 0, rxBytes: 0, txBytes: 0 };
}

/** Packets/bytes rtpengine received from a tag's far end, from a `query` answer. */
function streamStats(res: NgMessage, tag: string): { packets: number; bytes: number } | undefined {
  const tags = res.tags as Record<string, NgMessage> | undefined;
  const medias = tags?.[tag]?.medias as NgMessage[] | undefined;
  const streams = medias?.[0]?.streams as NgMessage[] | undefined;
  const st = streams?.[0]?.stats as NgMessage | undefined;
  if (!st || typeof st.packets !== 'number' || typeof st.bytes !== 'number') return undefined;
  return { packets: st.packets, bytes: st.bytes };
}

/** rtpengine names a recording after the call-id escaped like g_uri_escape_string. */
function ngEscape(s: string): string {
  return Array.from(new TextEncoder().encode(s), (b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

