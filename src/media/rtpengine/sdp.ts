// The SDP the rtpengine plane reads and writes itself: the far end's audio description
// (address, port, G.711 codec, telephone-event, direction) and the SDP of the placeholder
// peer ("hole") a leg is paired with in rtpengine while it is not bridged.

import { parse } from 'sdp-transform';
import { MediaError, type Codec, type Direction } from '../plane.ts';


/** What rtpengine must know of one leg's far end to re-offer it. */
export interface FarEnd {
  ipVer: 4 | 6;
  address: string;
  port: number;
  codec: Codec;
  /** The far end's payload type for `codec` (0 or 8 normally). */
  pt: number;
  /** The far end's telephone-event payload type, if it offered/accepted one. */
  dtmfPt?: number;
  direction: Direction;
}

const STATIC: Record<number, Codec> = { 0: 'PCMU', 8: 'PCMA' };
const MAX_SDP = 16 * 1024;

/**
 * Reads the first audio section of `sdp`. `prefer` keeps the codec already in use if it is
 * still offered. @throws MediaError MEDIA_BAD_SDP, MEDIA_NO_CODEC
 */
export function readFarEnd(sdp: string, prefer?: Codec): FarEnd {
  if (typeof sdp !== 'string' || sdp.length === 0 || sdp.length > MAX_SDP) {
    throw new MediaError('MEDIA_BAD_SDP', 'SDP missing or too long');
  }
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(sdp);
  } catch {
    throw new MediaError('MEDIA_BAD_SDP', 'SDP does not parse');
  }
  const audio = (parsed.media ?? []).find((m) => m.type === 'audio' && m.port > 0);
  if (!audio) throw new MediaError('MEDIA_NO_CODEC', 'no audio in SDP');
  const conn = audio.connection ?? parsed.connection;
  if (!conn || typeof conn.ip !== 'string' || !Number.isInteger(audio.port) || audio.port > 65535) {
    throw new MediaError('MEDIA_BAD_SDP', 'no connection address for audio');
  }
  const pts = String(audio.payloads ?? '')
    .split(/\s+/)
    .filter((p) => /^\d{1,3}$/.test(p))
    .map(Number);
  const nameOf = (pt: number): string | undefined => {
    const r = audio.rtp.find((x) => x.payload === pt);
    return r ? `${r.codec.toUpperCase()}/${r.rate ?? 8000}` : STATIC[pt] ? `${STATIC[pt]}/8000` : undefined;
  };
  const g711 = pts.filter((pt) => nameOf(pt) === 'PCMU/8000' || nameOf(pt) === 'PCMA/8000');
  const chosen = g711.find((pt) => prefer !== undefined && nameOf(pt)?.startsWith(prefer)) ?? g711[0];
  if (chosen === undefined) throw new MediaError('MEDIA_NO_CODEC', 'neither PCMU nor PCMA offered');
  const dtmfPt = pts.find((pt) => nameOf(pt) === 'TELEPHONE-EVENT/8000');
  const dir = audio.direction ?? parsed.direction;
  // RFC 2543 hold: a zero address means "do not send to me"
  const held = conn.ip === '0.0.0.0' || conn.ip === '::';
  return {
    ipVer: conn.version === 6 ? 6 : 4,
    address: conn.ip,
    port: audio.port,
    codec: nameOf(chosen)!.startsWith('PCMU') ? 'PCMU' : 'PCMA',
    pt: chosen,
    ...(dtmfPt !== undefined ? { dtmfPt } : {}),
    direction: held ? (dir === 'recvonly' || dir === 'inactive' ? 'inactive' : 'sendonly') : dir ?? 'sendrecv',
  };
}


/** The port of the first audio section (rtpengine's port facing the far end, in its SDP). */
export function audioPort(sdp: string): number {
  const m = /^m=audio (\d+) /m.exec(sdp);
  if (!m) throw new MediaError('MEDIA_UNAVAILABLE', 'rtpengine returned no audio section');
  return Number(m[1]);
}

/** An SDP describing `end` with only its negotiated codec (what re-offers to rtpengine carry). */
export function farEndSdp(end: FarEnd, direction: Direction = end.direction): string {
  return sdpOf(end.ipVer, end.address, end.port, [{ pt: end.pt, codec: end.codec }], end.dtmfPt, direction);
}

/**
 * The placeholder peer of a leg that is not bridged: its zero address (RFC 2543 hold) makes
 * rtpengine relay nothing to it; `address` only picks the IP version.
 */
export function holeSdp(address: string, codecs: readonly Codec[], dtmfPt: number | undefined, direction: Direction): string {
  const ipVer = address.includes(':') ? 6 : 4;
  return sdpOf(ipVer, ipVer === 6 ? '::' : '0.0.0.0', 9, codecs.map((codec) => ({ codec, pt: codec === 'PCMU' ? 0 : 8 })), dtmfPt, direction);
}

function sdpOf(
  ipVer: 4 | 6,
  address: string,
  port: number,
  codecs: readonly { pt: number; codec: Codec }[],
  dtmfPt: number | undefined,
  direction: Direction,
): string {
  const pts = codecs.map((c) => c.pt);
  if (dtmfPt !== undefined) pts.push(dtmfPt);
  const lines = [
    'v=0',
    `o=- 1 1 IN IP${ipVer} ${address}`,
    's=-',
    `c=IN IP${ipVer} ${address}`,
    't=0 0',
    `m=audio ${port} RTP/AVP ${pts.join(' ')}`,
    ...codecs.map((c) => `a=rtpmap:${c.pt} ${c.codec}/8000`),
    ...(dtmfPt !== undefined ? [`a=rtpmap:${dtmfPt} telephone-event/8000`, `a=fmtp:${dtmfPt} 0-15`] : []),
    `a=${direction}`,
  ];
  return `${lines.join('\r\n')}\r\n`;
}
