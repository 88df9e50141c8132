// Sounds as the media plane plays them: a WAV file of SOUND_RATE mono 16-bit PCM read once,
// low-pass filtered and decimated to the 8 kHz of G.711, then encoded per codec on demand;
// kept in a cache bounded in bytes, refreshed when the file changes.
import { open, stat } from 'node:fs/promises';
import { MediaError, SOUND_RATE, type Codec } from '../plane.ts';
import { encode } from '../g711.ts';

/** Larger sound files are refused (about 50 minutes at 16 kHz). */
export const MAX_SOUND_BYTES = 100 * 1024 * 1024;

function bad(file: string, why: string): MediaError {
  return new MediaError('MEDIA_BAD_SOUND', `The sound ${file} cannot be played: ${why}.`);
}

/**
 * Reads the samples of a WAV file that must be PCM signed 16-bit little-endian, mono, at
 * SOUND_RATE. @throws MediaError MEDIA_BAD_SOUND naming what is wrong
 */
export function readSoundWav(b: Uint8Array, file = 'file'): Int16Array {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const tag = (o: number) => String.fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!);
  if (b.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw bad(file, 'it is not a WAV file');
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  for (let o = 12; o + 8 <= b.length; ) {
    const id = tag(o);
    const size = v.getUint32(o + 4, true);
    const body = o + 8;
    if (id === 'fmt ' && size >= 16 && body + 16 <= b.length) {
      let format = v.getUint16(body, true);
      // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts with the format code.
      if (format === 0xfffe && size >= 40 && body + 26 <= b.length) format = v.getUint16(body + 24, true);
      fmt = { format, channels: v.getUint16(body + 2, true), rate: v.getUint32(body + 4, true), bits: v.getUint16(body + 14, true) };
    } else if (id === 'data') {
      if (!fmt) throw bad(file, 'its data comes before its format');
      if (fmt.format !== 1 || fmt.bits !== 16) throw bad(file, `it is not 16-bit PCM (format ${fmt.format}, ${fmt.bits} bits)`);
      if (fmt.channels !== 1) throw bad(file, `it has ${fmt.channels} channels, not 1`);
      if (fmt.rate !== SOUND_RATE) throw bad(file, `it is sampled at ${fmt.rate} Hz, not ${SOUND_RATE} Hz`);
      // A streamed WAV may say 0 or 0xffffffff: the data then runs to the end of the file.
      const len = Math.min(size === 0 ? b.length - body : size, b.length - body) & ~1;
      const pcm = new Int16Array(len / 2);
      for (let i = 0; i < pcm.length; i++) pcm[i] = v.getInt16(body + 2 * i, true);
      return pcm;
    }
    o = body + size + (size & 1);
  }
  throw bad(file, 'it has no audio data');
}

/** A 63-tap windowed-sinc (Blackman) low-pass at 3.7 kHz for 16 kHz, unit gain at DC. */
const TAPS = (() => {
  const n = 63;
  const fc = 3700 / SOUND_RATE;
  const h = new Float64Array(n);
  const mid = (n - 1) / 2;
  let sum = 0;
  for (let k = 0; k < n; k++) {
    const t = k - mid;
    const sinc = t === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * t) / (Math.PI * t);
    const w = 0.42 - 0.5 * Math.cos((2 * Math.PI * k) / (n - 1)) + 0.08 * Math.cos((4 * Math.PI * k) / (n - 1));
    h[k] = sinc * w;
    sum += h[k]!;
  }
  for (let k = 0; k < n; k++) h[k]! /= sum;
  return h;
})();

/**
 * Halves the sample rate (16 → 8 kHz): low-pass, then every other sample. The filter is
 * centred on each kept sample, so the output is not delayed against the input.
 */
export function downsample2(x: Int16Array): Int16Array {
  const n = TAPS.length;
  const mid = (n - 1) / 2;
  const out = new Int16Array(Math.ceil(x.length / 2));
  for (let i = 0; i < out.length; i++) {
    const c = 2 * i;
    let acc = 0;
    for (let k = 0; k < n; k++) {
      const j = c + mid - k;
      if (j >= 0 && j < x.length) acc += TAPS[k]! * x[j]!;
    }
    out[i] = Math.max(-32768, Math.min(32767, Math.round(acc)));
  }
  return out;
}

/** A sound ready to send: its 8 kHz samples and their G.711 codes, per codec once asked. */
export class Sound {
  private readonly codes: Partial<Record<Codec, Uint8Array>> = {};
  constructor(readonly pcm: Int16Array) {}

  encoded(codec: Codec): Uint8Array {
    return (this.codes[codec] ??= encode(codec, this.pcm));
  }

  /** What it holds in memory, once encoded in both codecs. */
  get bytes(): number {
    return this.pcm.byteLength + 2 * this.pcm.length;
  }
}

interface Entry {
  key: string;
  sound: Promise<Sound>;
  bytes: number;
}

/** Sounds by file, least recently used first out once they hold more than `maxBytes`. */
export class SoundCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  async get(file: string): Promise<Sound> {
    let st;
    try {
      st = await stat(file);
    } catch (e) {
      throw bad(file, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : 'it cannot be read');
    }
    if (!st.isFile()) throw bad(file, 'it is not a file');
    if (st.size > MAX_SOUND_BYTES) throw bad(file, 'it is too large');
    const key = `${st.mtimeMs}:${st.size}`;
    const hit = this.entries.get(file);
    if (hit && hit.key === key) {
      this.entries.delete(file);
      this.entries.set(file, hit);
      return hit.sound;
    }
    const entry: Entry = { key, sound: load(file, st.size), bytes: 3 * st.size };
    this.entries.set(file, entry);
    entry.sound.catch(() => {
      if (this.entries.get(file) === entry) this.entries.delete(file);
    });
    let total = 0;
    for (const e of this.entries.values()) total += e.bytes;
    for (const [f, e] of this.entries) {
      if (total <= this.maxBytes || e === entry) break;
      this.entries.delete(f);
      total -= e.bytes;
    }
    return entry.sound;
  }
}

async function load(file: string, size: number): Promise<Sound> {
  const fh = await open(file, 'r').catch(() => {
    throw bad(file, 'it cannot be read');
  });
  try {
    const b = Buffer.alloc(Math.min(size, MAX_SOUND_BYTES));
    const { bytesRead } = await fh.read(b, 0, b.length, 0);
    return new Sound(downsample2(readSoundWav(b.subarray(0, bytesRead), file)));
  } finally {
    await fh.close();
  }
}
