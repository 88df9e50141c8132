// MP3 (MPEG-1/2 audio layers I–III) decoding in Node with mpg123 compiled to WebAssembly
// (npm mpg123-decoder): no system tool. The file is fed in pieces and each piece's PCM is
// averaged to mono and handed on at once, so memory follows the output, not the decoder.
import { MPEGDecoder } from 'mpg123-decoder';
import { vmError } from '../errors/registry.ts';

/** True for an ID3v2 tag or an MPEG audio frame sync at the start. */
export function isMp3(bytes: Uint8Array): boolean {
  if (bytes.length >= 3 && bytes[0] === 0x49 && bytes[1] === 0x44 && bytes[2] === 0x33) return true;
  return bytes.length >= 2 && bytes[0] === 0xff && (bytes[1]! & 0xe0) === 0xe0;
}

/**
 * Decodes an MP3, calling `sink(mono, sampleRate)` for each decoded piece. `sink` may throw
 * (a length bound) to stop. Throws INVALID_SOUND when nothing decodes or the rate changes.
 */
export async function decodeMp3(bytes: Uint8Array, source: string, sink: (mono: Float32Array, sampleRate: number) => void): Promise<number> {
  const decoder = new MPEGDecoder();
  await decoder.ready;
  let rate = 0;
  let frames = 0;
  try {
    const piece = 64 * 1024;
    for (let at = 0; at < bytes.length; at += piece) {
      const r = decoder.decode(bytes.subarray(at, at + piece));
      if (r.samplesDecoded === 0) continue;
      if (rate && r.sampleRate !== rate) throw vmError('INVALID_SOUND', `${source}: the MP3 changes sample rate (${rate} → ${r.sampleRate} Hz)`);
      rate = r.sampleRate;
      const chans = r.channelData;
      const mono = new Float32Array(r.samplesDecoded);
      for (let i = 0; i < mono.length; i++) {
        let s = 0;
        for (const c of chans) s += c[i]!;
        mono[i] = s / chans.length;
      }
      frames += mono.length;
      sink(mono, rate);
    }
  } finally {
    decoder.free();
  }
  if (frames === 0) throw vmError('INVALID_SOUND', `${source}: no MPEG audio frame could be decoded (not an MP3, or a damaged one)`);
  return rate;
}
