// The media plane: RTP endpoints for the SIP legs of calls, prompts and hold music played
// into them, DTMF heard from them, two legs relayed to each other, conversations recorded.
// Two implementations behind this one interface: the embedded one (RTP in Node, default,
// src/media/node/) and rtpengine driven over its NG protocol (src/media/rtpengine/).
// The SIP side (src/telephony/) only ever speaks to this interface and passes SDP through.
//
// Legs are named by the caller of the interface: `leg` is unique for the plane's life
// (e.g. "c42.a" for call 42's caller leg, "c42.op7" for the leg to operator 7); `call`
// groups the legs of one call (rtpengine keeps one NG call per `call`).

/** Sounds are stored as WAV, PCM signed 16-bit little-endian, mono, 16,000 Hz (src/sounds/). */
export const SOUND_RATE = 16_000;

export type Codec = 'PCMU' | 'PCMA';

/**
 * How a listener (a supervisor's phone) joins a conversation of two legs: `listen` it hears
 * both, mixed, and nobody hears it; `whisper` the leg it listens to (the operator's) hears it
 * too, the other party does not; `barge` everyone hears everyone.
 */
export type ListenMode = 'listen' | 'whisper' | 'barge';
export const LISTEN_MODES: readonly ListenMode[] = ['listen', 'whisper', 'barge'];

/**
 * A refusal the SIP side turns into a status: no common codec → 488, no port left → 503.
 * MEDIA_BAD_SOUND: a sound file that is missing or not SOUND_RATE mono 16-bit PCM WAV.
 * MEDIA_UNSUPPORTED: what this implementation cannot do (a listen mode, see `listenModes`).
 */
export class MediaError extends Error {
  constructor(
    readonly code: 'MEDIA_NO_CODEC' | 'MEDIA_NO_PORT' | 'MEDIA_BAD_SDP' | 'MEDIA_UNKNOWN_LEG' | 'MEDIA_UNAVAILABLE' | 'MEDIA_BAD_SOUND' | 'MEDIA_UNSUPPORTED',
    message: string,
  ) {
    super(message);
    this.name = 'MediaError';
  }
}

/** Longer SDP is refused unread (both planes, and the WebRTC re-answer). */
export const MAX_SDP_BYTES = 16 * 1024;

/** An audio stream's direction in SDP. */
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** The direction an answer gives to an offer's `d` (RFC 3264 §6.1). */
export function answerDirection(d: Direction): Direction {
  return d === 'sendonly' ? 'recvonly' : d === 'recvonly' ? 'sendonly' : d;
}

/**
 * Whether an offer wants no audio sent to its author, i.e. puts the session on hold
 * (RFC 3264 §8.4: its audio stream, or else the session, is `sendonly` or `inactive`; or
 * RFC 2543's zero connection address). No audio stream, or unreadable SDP: false.
 */
export function offersNoAudio(sdp: string): boolean {
  const lines = sdp.split(/\r?\n/).map((l) => l.trim());
  const m = lines.findIndex((l) => l.startsWith('m=audio '));
  if (m < 0) return false;
  const end = lines.findIndex((l, i) => i > m && l.startsWith('m='));
  const section = lines.slice(m + 1, end < 0 ? undefined : end);
  const session = lines.slice(0, m);
  const direction = (ls: string[]) => ls.map((l) => /^a=(sendrecv|sendonly|recvonly|inactive)$/.exec(l)?.[1]).find((d) => d !== undefined);
  const d = direction(section) ?? direction(session);
  const c = section.find((l) => l.startsWith('c=')) ?? session.find((l) => l.startsWith('c='));
  return d === 'sendonly' || d === 'inactive' || (c !== undefined && /^c=IN IP[46] (0\.0\.0\.0|::)$/.test(c));
}

export interface LegStats {
  /** RTP packets received from the leg's far end / sent to it. */
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
}

export interface RecordingResult {
  /** The WAV written (the path given to `startRecording`). */
  file: string;
  /** Length of the recorded conversation. */
  durationMs: number;
  bytes: number;
}

export interface MediaEvents {
  /** A DTMF key heard on a leg (RFC 4733 telephone-event; one report per key press). */
  dtmf(leg: string, digit: string): void;
  /** A sound played without `loop` reached its end. */
  played?(leg: string): void;
}

export interface MediaPlane {
  /** The leg answers a remote offer (inbound INVITE): returns our SDP answer. @throws MediaError */
  answer(call: string, leg: string, offer: string): Promise<string>;
  /**
   * The leg makes an offer (outbound INVITE): returns our SDP offer. `webrtc`: the far end is
   * a browser softphone (SIP over WebSocket): ICE, DTLS-SRTP, rtcp-mux, PCMU. @throws MediaError
   */
  offer(call: string, leg: string, opts?: { webrtc?: boolean }): Promise<string>;
  /** The far end's answer to our offer. @throws MediaError */
  answered(leg: string, answer: string): Promise<void>;
  /** A new offer on an established leg (re-INVITE: hold, resume, new address): our answer. */
  reoffer(leg: string, offer: string): Promise<string>;
  /** Plays a sound file (see SOUND_RATE) to the leg, replacing what plays; loops if asked. */
  play(leg: string, file: string, opts: { loop: boolean }): Promise<void>;
  /** Silence on the leg (what plays stops). */
  stopPlay(leg: string): Promise<void>;
  /** Relays both ways between two legs (what plays on either stops). */
  bridge(a: string, b: string): Promise<void>;
  /** Ends the relay of a leg (its peer hears silence). */
  unbridge(leg: string): Promise<void>;
  /** Records both directions of a bridge, or what one leg hears and says, into a WAV file. */
  startRecording(call: string, legs: readonly string[], file: string): Promise<void>;
  /** Stops and finalises the recording of `call`; undefined if none was running. */
  stopRecording(call: string): Promise<RecordingResult | undefined>;
  /** The listen modes this plane can do; `listen` refuses the others (MEDIA_UNSUPPORTED). */
  readonly listenModes: readonly ListenMode[];
  /**
   * `listener` (an answered leg: a supervisor's phone) joins the conversation of `leg` and
   * whoever `leg` is bridged to (now or later), in `mode` (see ListenMode); called again,
   * the mode changes. @throws MediaError MEDIA_UNSUPPORTED, MEDIA_UNKNOWN_LEG
   */
  listen(listener: string, leg: string, mode: ListenMode): Promise<void>;
  /** The listener leaves (it hears silence, nobody hears it); closing any of the legs does too. */
  unlisten(listener: string): Promise<void>;
  /** Frees a leg's endpoint (its ports). Unknown legs are ignored. */
  close(leg: string): Promise<void>;
  stats(leg: string): LegStats | undefined;
  /** Frees everything. */
  stop(): Promise<void>;
}

/** What every implementation is built with. */
export interface MediaPlaneOptions {
  events: MediaEvents;
  /** Address put in SDP and bound for RTP. @default 127.0.0.1 */
  address?: string;
  /**
   * Where WebRTC legs (browsers) do ICE, when not `address`: a browser gathers no loopback
   * candidate, so a demo whose plain RTP stays on 127.0.0.1 gives browsers on the same
   * machine a LAN address (embedded plane only). @default address
   */
  webrtcAddress?: string;
  /** RTP port range (even ports used for RTP). @default 20000-29999 */
  ports?: { min: number; max: number };
}
