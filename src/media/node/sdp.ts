// SDP offer/answer (RFC 3264) for one G.711 audio stream with telephone-events, through
// sdp-transform. We answer with the first of PCMU/PCMA in the offer's order, plus the
// offer's telephone-event payload type; we offer PCMU, PCMA and telephone-event/8000 (101).
// What we read of the far end: where to send, in which codec, and whether it wants our
// audio at all (hold: a=sendonly/inactive, or the old c=0.0.0.0).
import { isIPv4 } from 'node:net';
import * as sdpTransform from 'sdp-transform';
import type { MediaDescription, SessionDescription } from 'sdp-transform';
import { answerDirection, MAX_SDP_BYTES, MediaError, type Codec, type Direction } from '../plane.ts';
import { STATIC_PT } from '../g711.ts';


/** The telephone-event payload type we offer. */
export const OUR_DTMF_PT = 101;


/** What the far end's SDP says about its audio stream. */
export interface RemoteMedia {
  address: string;
  port: number;
  codec: Codec;
  /** The payload type of `codec` on this stream. */
  pt: number;
  /** The telephone-event payload type, if the stream has one. */
  dtmfPt: number | undefined;
  /** The far end's direction, as it wrote it. */
  direction: Direction;
}

/** Our side of the stream. */
export interface LocalMedia {
  address: string;
  port: number;
  /** o= session id and version (the version goes up with each SDP we send on a leg). */
  sessionId: number;
  version: number;
}

/** Whether the far end takes our audio (neither on hold nor inactive). */
export function wantsAudio(r: RemoteMedia): boolean {
  return (r.direction === 'sendrecv' || r.direction === 'recvonly') && r.address !== '0.0.0.0' && r.port !== 0;
}

function parse(text: string): SessionDescription {
  if (typeof text !== 'string' || Buffer.byteLength(text) > MAX_SDP_BYTES) throw new MediaError('MEDIA_BAD_SDP', 'The SDP is missing or too long.');
  let s: SessionDescription;
  try {
    s = sdpTransform.parse(text);
  } catch {
    throw new MediaError('MEDIA_BAD_SDP', 'The SDP could not be read.');
  }
  if (!Array.isArray(s.media) || s.media.length === 0) throw new MediaError('MEDIA_BAD_SDP', 'The SDP has no media stream.');
  return s;
}

function codecOf(m: MediaDescription, pt: number): Codec | 'telephone-event' | undefined {
  const map = (m.rtp ?? []).find((r) => r.payload === pt);
  if (!map) return pt === STATIC_PT.PCMU ? 'PCMU' : pt === STATIC_PT.PCMA ? 'PCMA' : undefined;
  const name = String(map.codec).toUpperCase();
  if (map.rate !== 8000) return undefined;
  if (name === 'PCMU' || name === 'PCMA') return name;
  if (name === 'TELEPHONE-EVENT') return 'telephone-event';
  return undefined;
}

/** An offer from a WebRTC endpoint (a browser): DTLS-SRTP audio, `UDP/TLS/RTP/SAVPF`. */
export function isWebRtcOffer(text: string): boolean {
  try {
    return parse(text).media.some((m) => m.type === 'audio' && /^UDP\/TLS\/RTP\/SAVPF$/i.test(String(m.protocol)) && m.port > 0);
  } catch {
    return false;
  }
}

function isRtpAudio(m: MediaDescription): boolean {
  return m.type === 'audio' && (m.protocol === 'RTP/AVP' || m.protocol === 'RTP/AVPF') && m.port > 0 && m.port < 65536;
}

/** Reads one m= section: undefined when it holds neither PCMU nor PCMA. */
function readMedia(s: SessionDescription, m: MediaDescription): RemoteMedia | undefined {
  const pts = sdpTransform.parsePayloads(String(m.payloads ?? ''));
  let chosen: { codec: Codec; pt: number } | undefined;
  let dtmfPt: number | undefined;
  for (const pt of pts) {
    if (!Number.isInteger(pt) || pt < 0 || pt > 127) continue;
    const c = codecOf(m, pt);
    if (c === 'telephone-event') dtmfPt ??= pt;
    else if (c && !chosen) chosen = { codec: c, pt };
  }
  if (!chosen) return undefined;
  const address = (m.connection ?? s.connection)?.ip ?? '';
  // IPv4 only for now: the RTP sockets are udp4.
  if (!isIPv4(address)) throw new MediaError('MEDIA_BAD_SDP', 'The SDP gives no IPv4 address for its audio.');
  const direction = m.direction ?? s.direction ?? 'sendrecv';
  return { address, port: m.port, codec: chosen.codec, pt: chosen.pt, dtmfPt, direction };
}


function session(local: LocalMedia, media: MediaDescription[]): SessionDescription {
  return {
    version: 0,
    origin: { username: '-', sessionId: local.sessionId, sessionVersion: local.version, netType: 'IN', ipVer: 4, address: local.address },
    name: '-',
    connection: { version: 4, ip: local.address },
    timing: { start: 0, stop: 0 },
    media,
  };
}

function audio(local: LocalMedia, codecs: { codec: Codec; pt: number }[], dtmfPt: number | undefined, direction: Direction): MediaDescription {
  const rtp: MediaDescription['rtp'] = codecs.map((c) => ({ payload: c.pt, codec: c.codec, rate: 8000 }));
  const fmtp: MediaDescription['fmtp'] = [];
  if (dtmfPt !== undefined) {
    rtp.push({ payload: dtmfPt, codec: 'telephone-event', rate: 8000 });
    fmtp.push({ payload: dtmfPt, config: '0-16' });
  }
  return {
    type: 'audio',
    port: local.port,
    protocol: 'RTP/AVP',
    payloads: [...codecs.map((c) => c.pt), ...(dtmfPt === undefined ? [] : [dtmfPt])].join(' '),
    rtp,
    fmtp,
    ptime: 20,
    direction,
  };
}

/**
 * Answers an offer: the first audio stream with PCMU or PCMA gets our port, every other
 * stream is refused (port 0), as RFC 3264 §6 wants one m= line per offered one.
 * @throws MediaError MEDIA_NO_CODEC when no stream has a codec we speak, MEDIA_BAD_SDP
 */
export function answer(offer: string, local: LocalMedia): { sdp: string; remote: RemoteMedia } {
  const s = parse(offer);
  let remote: RemoteMedia | undefined;
  const media = s.media.map((m): MediaDescription => {
    const r = !remote && isRtpAudio(m) ? readMedia(s, m) : undefined;
    if (r) {
      remote = r;
      return audio(local, [{ codec: r.codec, pt: r.pt }], r.dtmfPt, answerDirection(r.direction));
    }
    const first = String(m.payloads ?? '').split(' ')[0] || '0';
    return { type: String(m.type), port: 0, protocol: String(m.protocol), payloads: first, rtp: [], fmtp: [] };
  });
  if (!remote) throw new MediaError('MEDIA_NO_CODEC', 'The offer has no RTP audio stream in PCMU or PCMA.');
  return { sdp: sdpTransform.write(session(local, media)), remote };
}

/** Our offer: PCMU, PCMA, telephone-event 0–16, 20 ms, send and receive. */
export function offer(local: LocalMedia): string {
  const codecs = [
    { codec: 'PCMU' as const, pt: STATIC_PT.PCMU },
    { codec: 'PCMA' as const, pt: STATIC_PT.PCMA },
  ];
  return sdpTransform.write(session(local, [audio(local, codecs, OUR_DTMF_PT, 'sendrecv')]));
}

/**
 * Reads the answer to our offer: the first audio stream, in the answer's codec.
 * @throws MediaError MEDIA_NO_CODEC when it kept no codec of ours, MEDIA_BAD_SDP
 */
export function readAnswer(text: string): RemoteMedia {
  const s = parse(text);
  const m = s.media.find(isRtpAudio);
  const r = m && readMedia(s, m);
  if (!r) throw new MediaError('MEDIA_NO_CODEC', 'The answer has no RTP audio stream in PCMU or PCMA.');
  return r;
}

