// G.711 µ-law and A-law (ITU-T G.711), sample by sample: decoding rtpengine's recorded RTP
// into PCM, encoding test tones. (The embedded plane has its own copy in src/media/node/.)

/** µ-law byte → linear 16-bit sample. */
export function ulawToLinear(u: number): number {
  const v = ~u & 0xff;
  const exponent = (v >> 4) & 0x07;
  const mantissa = v & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return v & 0x80 ? -magnitude : magnitude;
}

/** A-law byte → linear 16-bit sample. */
export function alawToLinear(a: number): number {
  const v = a ^ 0x55;
  const exponent = (v >> 4) & 0x07;
  const mantissa = v & 0x0f;
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return v & 0x80 ? magnitude : -magnitude;
}

/** Linear 16-bit sample → µ-law byte. */
export function linearToUlaw(sample: number): number {
  const BIAS = 0x84;
  const CLIP = 32635;
  let s = Math.max(-32768, Math.min(32767, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > CLIP) s = CLIP;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** Linear 16-bit sample → A-law byte. */
export function linearToAlaw(sample: number): number {
  let s = Math.max(-32768, Math.min(32767, Math.round(sample)));
  const sign = s >= 0 ? 0x80 : 0;
  if (s < 0) s = -s - 1;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = exponent === 0 ? (s >> 4) & 0x0f : (s >> (exponent + 3)) & 0x0f;
  return (sign | (exponent << 4) | mantissa) ^ 0x55;
}

const ULAW = Int16Array.from({ length: 256 }, (_, i) => ulawToLinear(i));
const ALAW = Int16Array.from({ length: 256 }, (_, i) => alawToLinear(i));

/** Decodes a G.711 payload (RTP payload type 0 = µ-law, 8 = A-law) into `out` from `at`. */
export function decodeG711(payloadType: 0 | 8, payload: Uint8Array, out: Int16Array, at = 0): void {
  const table = payloadType === 0 ? ULAW : ALAW;
  const n = Math.min(payload.length, out.length - at);
  for (let i = 0; i < n; i++) out[at + i] = table[payload[i]!]!;
}
