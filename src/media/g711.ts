// G.711 (ITU-T G.711, 1988) µ-law and A-law, from our own tables built at load from the
// standard's definitions, scaled to 16-bit linear PCM: µ-law works on 14-bit magnitudes
// (×4 here), A-law on 13-bit ones (×8). Each code stands for an interval of linear values
// and decodes to the interval's middle; encoding finds the interval a sample falls in, so
// decode(encode(x)) is within half an interval of x (the table is 64 KiB per law, one
// lookup per sample).
import type { Codec } from './plane.ts';

/** The code a silent frame is made of (µ-law +0, A-law's smallest positive level). */
export const SILENCE: Readonly<Record<Codec, number>> = { PCMU: 0xff, PCMA: 0xd5 };

/** The static RTP payload types of RFC 3551. */
export const STATIC_PT: Readonly<Record<Codec, number>> = { PCMU: 0, PCMA: 8 };

/** µ-law: segment e (0–7), step m (0–15) → the interval [lo, hi) of 16-bit magnitudes and its middle. */
function ulawInterval(e: number, m: number): [lo: number, hi: number, mid: number] {
  // G.711 table 2a: biased 14-bit magnitude (|x| + 33) in [(32 + 2m)·2^e, (34 + 2m)·2^e).
  return [4 * ((32 + 2 * m) * 2 ** e - 33), 4 * ((34 + 2 * m) * 2 ** e - 33), 4 * ((33 + 2 * m) * 2 ** e - 33)];
}

/** A-law: segment e (0–7), step m (0–15) → the interval [lo, hi) of 16-bit magnitudes and its middle. */
function alawInterval(e: number, m: number): [lo: number, hi: number, mid: number] {
  // G.711 table 1a: 13-bit magnitude in [2m, 2m + 2) for e = 0, else [(32 + 2m)·2^(e-1), (34 + 2m)·2^(e-1)).
  if (e === 0) return [16 * m, 16 * m + 16, 16 * m + 8];
  const k = 2 ** (e - 1);
  return [8 * (32 + 2 * m) * k, 8 * (34 + 2 * m) * k, 8 * (33 + 2 * m) * k];
}

function ulawCode(negative: boolean, e: number, m: number): number {
  return ~((negative ? 0x80 : 0) | (e << 4) | m) & 0xff;
}

function alawCode(negative: boolean, e: number, m: number): number {
  // Even bits inverted (0x55); the sign bit is 1 for positive values.
  return ((negative ? 0 : 0x80) | (e << 4) | m) ^ 0x55;
}

interface Law {
  decode: Int16Array;
  /** Indexed by the 16-bit sample as unsigned (x & 0xffff). */
  encode: Uint8Array;
}

function build(interval: typeof ulawInterval, code: typeof ulawCode): Law {
  const decode = new Int16Array(256);
  const encode = new Uint8Array(65536);
  for (const negative of [false, true]) {
    for (let e = 0; e < 8; e++) {
      for (let m = 0; m < 16; m++) {
        const [lo, hi, mid] = interval(e, m);
        const c = code(negative, e, m);
        decode[c] = negative ? -mid : mid;
        // Magnitudes beyond the last interval are clipped to it (µ-law above 32,635; A-law -32,768).
        const top = e === 7 && m === 15 ? 32768 : hi - 1;
        for (let mag = Math.max(0, lo); mag <= top; mag++) {
          const x = negative ? -mag : mag;
          // Zero belongs to the positive side (µ-law's −0 code is never produced).
          if (negative && mag === 0) continue;
          if (x >= -32768 && x <= 32767) encode[x & 0xffff] = c;
        }
      }
    }
  }
  return { decode, encode };
}

const ULAW = build(ulawInterval, ulawCode);
const ALAW = build(alawInterval, alawCode);
const LAWS: Readonly<Record<Codec, Law>> = { PCMU: ULAW, PCMA: ALAW };

/** One 16-bit sample to its G.711 code. */
export function encodeSample(codec: Codec, x: number): number {
  return LAWS[codec].encode[x & 0xffff]!;
}

/** One G.711 code to its 16-bit sample. */
export function decodeSample(codec: Codec, code: number): number {
  return LAWS[codec].decode[code & 0xff]!;
}

/** Encodes `pcm` into `out` (same length; allocated if not given). */
export function encode(codec: Codec, pcm: Int16Array, out: Uint8Array = new Uint8Array(pcm.length)): Uint8Array {
  const t = LAWS[codec].encode;
  for (let i = 0; i < pcm.length; i++) out[i] = t[pcm[i]! & 0xffff]!;
  return out;
}

/** Decodes `codes` into `out` (same length; allocated if not given). */
export function decode(codec: Codec, codes: Uint8Array, out: Int16Array = new Int16Array(codes.length)): Int16Array {
  const t = LAWS[codec].decode;
  for (let i = 0; i < codes.length; i++) out[i] = t[codes[i]!]!;
  return out;
}

/** Code-to-code conversion tables (µ-law ↔ A-law through the linear value). */
const TRANSCODE = {
  PCMU: { PCMA: new Uint8Array(256) },
  PCMA: { PCMU: new Uint8Array(256) },
};
for (let c = 0; c < 256; c++) {
  TRANSCODE.PCMU.PCMA[c] = ALAW.encode[ULAW.decode[c]! & 0xffff]!;
  TRANSCODE.PCMA.PCMU[c] = ULAW.encode[ALAW.decode[c]! & 0xffff]!;
}

/** Converts a G.711 payload from one law to the other into `out` (a copy when they are the same). */
export function transcode(from: Codec, to: Codec, codes: Uint8Array, out: Uint8Array = new Uint8Array(codes.length)): Uint8Array {
  if (from === to) {
    out.set(codes);
    return out;
  }
  const t = from === 'PCMU' ? TRANSCODE.PCMU.PCMA : TRANSCODE.PCMA.PCMU;
  for (let i = 0; i < codes.length; i++) out[i] = t[codes[i]!]!;
  return out;
}

/**
 * The segment (0–7) of a code: the quantisation interval of its samples is 2^(e+3) wide
 * in 16-bit units (A-law segments 0 and 1 share the width 16).
 */
export function segment(codec: Codec, code: number): number {
  const c = codec === 'PCMU' ? ~code & 0xff : (code ^ 0x55) & 0xff;
  return (c >> 4) & 7;
}
