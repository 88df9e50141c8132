// Our answer to a browser's new offer on an established WebRTC leg, for both media planes:
// the browser re-offers to hold and resume (JsSIP's hold), on the same ICE and DTLS
// transport, so the answer is the leg's first SDP again with the direction changed. Neither
// werift nor rtpengine is asked: the transport does not change, and the hold itself is the
// engine's (the B2BUA unbridges the caller, who hears the music).
import * as sdpTransform from 'sdp-transform';
import type { MediaDescription, SessionDescription } from 'sdp-transform';
import { answerDirection, MAX_SDP_BYTES, MediaError, type Direction } from './plane.ts';

/** The session version of an SDP's o= line (0 when unreadable). */
export function sdpVersion(sdp: string): number {
  return Number(/^o=\S+ \S+ (\d+)/m.exec(sdp)?.[1] ?? 0);
}

/**
 * Our answer to a browser's new offer on an established WebRTC leg (JsSIP's hold and resume
 * re-INVITEs): the same transport, so our first SDP again (same ICE credentials, candidates
 * and DTLS fingerprint) with a newer version, the DTLS role the first exchange settled
 * (the browser answered `active` or `passive`: we are the other), the offer's mid, and the
 * direction answering the offer's. An ICE restart (new credentials) or an offer without PCMU
 * is refused: it would need a new transport. @throws MediaError MEDIA_BAD_SDP, MEDIA_NO_CODEC
 */
export function webRtcReanswer(ours: string, theirAnswer: string, offer: string, version: number): string {
  if (Buffer.byteLength(offer) > MAX_SDP_BYTES) throw new MediaError('MEDIA_BAD_SDP', `The SDP is over ${MAX_SDP_BYTES} bytes.`);
  const o = sdpTransform.parse(offer);
  const first = sdpTransform.parse(theirAnswer);
  const mine = sdpTransform.parse(ours);
  const audio = o.media.find((m) => m.type === 'audio');
  const before = first.media.find((m) => m.type === 'audio');
  const out = mine.media.find((m) => m.type === 'audio');
  if (!audio || !before || !out) throw new MediaError('MEDIA_BAD_SDP', 'The new offer has no audio stream.');
  if (o.media.length !== 1) throw new MediaError('MEDIA_BAD_SDP', 'A new offer on a WebRTC leg may hold one audio stream only.');
  const ufrag = (m: MediaDescription, sd: SessionDescription) => m.iceUfrag ?? sd.iceUfrag;
  if (ufrag(audio, o) !== ufrag(before, first)) throw new MediaError('MEDIA_BAD_SDP', 'An ICE restart on a WebRTC leg is not supported: call again.');
  const offered = String(audio.payloads ?? '').split(' ');
  if (!offered.includes('0') || !audio.rtp.some((r) => r.payload === 0 && r.codec.toUpperCase() === 'PCMU')) throw new MediaError('MEDIA_NO_CODEC', 'The new offer drops PCMU, the only codec of this leg.');
  const role = before.setup ?? first.setup;
  const direction = answerDirection((audio.direction ?? o.direction ?? 'sendrecv') as Direction);
  const answer: SessionDescription = {
    ...mine,
    origin: { ...mine.origin!, sessionVersion: version },
    ...(o.groups ? { groups: o.groups } : {}),
    media: [
      {
        ...out,
        ...(audio.mid !== undefined ? { mid: audio.mid } : {}),
        setup: role === 'passive' ? 'active' : 'passive',
        direction,
      },
    ],
  };
  delete answer.direction;
  return sdpTransform.write(answer);
}
