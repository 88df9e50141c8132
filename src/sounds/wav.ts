// WAV (RIFF/WAVE) in and out. Reading: every chunk walked with bounds (an odd chunk's pad
// byte, a `data` size past the end of a truncated or streamed file, unknown chunks
// skipped); PCM 8/16/24/32-bit, IEEE float 32/64-bit, µ-law and A-law, WAVE_FORMAT_EXTENSIBLE,
// any channel count (averaged to mono). Samples come out as float in [-1, 1], in pieces, so
// a long file never sits in memory as floats all at once. Writing: the canonical sound
// format (src/media/plane.ts: PCM s16le, mono, SOUND_RATE).
import { vmError } from '../errors/registry.ts';
import { MAX_RATE, MIN_RATE } from './resample.ts';
import { decodeSample } from '../media/g711.ts';

export interface WavFormat {
  /** 1 PCM, 3 IEEE float, 6 A-law, 7 µ-law (an extensible file's sub-format). */
  tag: number;
  channels: number;
  sampleRate: number;
  /** Bytes of one sample of one channel in the file. */
  sampleBytes: number;
  /** Sample frames in the data chunk (as far as the file really goes). */
  frames: number;
}

const FORMAT_NAMES: Record<number, string> = { 1: 'PCM', 3: 'IEEE float', 6: 'A-law', 7: 'µ-law' };
const MAX_CHANNELS = 32;

function bad(source: string, why: string): never {
  throw vmError('INVALID_SOUND', `${source}: ${why}`);
}

export function isWav(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && ascii(bytes, 0) === 'RIFF' && ascii(bytes, 8) === 'WAVE';
}

function ascii(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
}

/** Walks the chunks: the format and where the samples are. */
export function parseWavHeader(bytes: Uint8Array, source: string): { format: WavFormat; dataOffset: number } {
  if (!isWav(bytes)) bad(source, 'not a WAV file (no RIFF/WAVE header)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 12;
  let fmt: Omit<WavFormat, 'frames'> | undefined;
  let data: { offset: number; size: number } | undefined;
  while (at + 8 <= bytes.length && !data) {
    const id = ascii(bytes, at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + size > bytes.length) bad(source, `the fmt chunk is ${size < 16 ? 'too short' : 'cut off'}`);
      let tag = view.getUint16(body, true);
      const channels = view.getUint16(body + 2, true);
      const sampleRate = view.getUint32(body + 4, true);
      const blockAlign = view.getUint16(body + 12, true);
      const bits = view.getUint16(body + 14, true);
      if (tag === 0xfffe) {
        // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts with the real tag.
        if (size < 40) bad(source, 'the extensible fmt chunk is too short');
        tag = view.getUint16(body + 24, true);
      }
      if (!FORMAT_NAMES[tag]) bad(source, `unsupported WAV encoding (format tag ${tag}); use PCM, IEEE float, µ-law or A-law`);
      if (channels < 1 || channels > MAX_CHANNELS) bad(source, `${channels} channels (1–${MAX_CHANNELS} supported)`);
      if (sampleRate < MIN_RATE || sampleRate > MAX_RATE) bad(source, `sample rate ${sampleRate} Hz is outside ${MIN_RATE}–${MAX_RATE} Hz`);
      const sampleBytes = blockAlign / channels;
      if (!Number.isInteger(sampleBytes) || sampleBytes !== Math.ceil(bits / 8)) {
        bad(source, `block align ${blockAlign} does not fit ${channels} channel${channels > 1 ? 's' : ''} of ${bits}-bit samples`);
      }
      const ok =
        tag === 1 ? [1, 2, 3, 4].includes(sampleBytes)
        : tag === 3 ? sampleBytes === 4 || sampleBytes === 8
        : sampleBytes === 1;
      if (!ok) bad(source, `${FORMAT_NAMES[tag]} with ${bits} bits in ${sampleBytes}-byte samples is not supported`);
      fmt = { tag, channels, sampleRate, sampleBytes };
    } else if (id === 'data') {
      if (!fmt) bad(source, 'the data chunk comes before the fmt chunk');
      // A streamed or cut file may say more (or 0xFFFFFFFF) than it has: take what is there.
      data = { offset: body, size: Math.min(size, bytes.length - body) };
    }
    at = body + size + (size & 1);
  }
  if (!fmt) bad(source, 'no fmt chunk');
  if (!data) bad(source, 'no data chunk');
  const frames = Math.floor(data.size / (fmt.sampleBytes * fmt.channels));
  if (frames === 0) bad(source, 'the data chunk holds no samples');
  return { format: { ...fmt, frames }, dataOffset: data.offset };
}

/** G.711 µ-law byte → linear in [-1, 1]. */
export function ulawToLinear(b: number): number {
  return decodeSample('PCMU', b) / 32768;
}

/** G.711 A-law byte → linear in [-1, 1]. */
export function alawToLinear(b: number): number {
  return decodeSample('PCMA', b) / 32768;
}

/** One sample of one channel at byte offset `at`, as float. */
function reader(format: WavFormat, view: DataView): (at: number) => number {
  const { tag, sampleBytes } = format;
  if (tag === 6) return (at) => alawToLinear(view.getUint8(at));
  if (tag === 7) return (at) => ulawToLinear(view.getUint8(at));
  if (tag === 3) return sampleBytes === 4 ? (at) => view.getFloat32(at, true) : (at) => view.getFloat64(at, true);
  switch (sampleBytes) {
    case 1:
      return (at) => (view.getUint8(at) - 128) / 128;
    case 2:
      return (at) => view.getInt16(at, true) / 32768;
    case 3:
      return (at) => ((view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getInt8(at + 2) << 16)) / 8388608);
    default:
      return (at) => view.getInt32(at, true) / 2147483648;
  }
}

/** The samples of a parsed WAV, averaged to mono, in pieces of at most `chunk` frames. */
export function* wavMonoChunks(bytes: Uint8Array, header: { format: WavFormat; dataOffset: number }, chunk = 65_536): Generator<Float32Array> {
  const { format, dataOffset } = header;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = reader(format, view);
  const frameBytes = format.sampleBytes * format.channels;
  const ch = format.channels;
  for (let f0 = 0; f0 < format.frames; f0 += chunk) {
    const n = Math.min(chunk, format.frames - f0);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const at = dataOffset + (f0 + i) * frameBytes;
      let sum = 0;
      for (let c = 0; c < ch; c++) sum += read(at + c * format.sampleBytes);
      // A float file may hold NaN or infinities: silence, not poison for the filter.
      out[i] = Number.isFinite(sum) ? sum / ch : 0;
    }
    yield out;
  }
}

/**
 * The 44-byte header of a WAV: PCM s16le by default (also what the recorders write, then fix
 * at stop); `format`/`bits` for others (G.711: 6 A-law, 7 µ-law, 8 bits).
 */
export function wavHeader(rate: number, channels: number, dataBytes: number, opts: { format?: number; bits?: number } = {}): Buffer {
  const bytes = (opts.bits ?? 16) / 8;
  const b = Buffer.alloc(44);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(36 + dataBytes, 4);
  b.write('WAVE', 8, 'ascii');
  b.write('fmt ', 12, 'ascii');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(opts.format ?? 1, 20); // 1: PCM
  b.writeUInt16LE(channels, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * bytes * channels, 28);
  b.writeUInt16LE(bytes * channels, 32);
  b.writeUInt16LE(bytes * 8, 34);
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(dataBytes, 40);
  return b;
}

/** A canonical WAV: 44-byte header, PCM s16le, mono, at `rate`. */
export function encodeWav(samples: Int16Array, rate: number): Buffer {
  const data = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) data.writeInt16LE(samples[i]!, i * 2);
  return Buffer.concat([wavHeader(rate, 1, data.length), data]);
}

/** Float in [-1, 1] → s16, rounded, saturating past full scale; NaN is silence. */
export function toInt16(x: number): number {
  if (!(x === x)) return 0;
  const v = Math.round(x * 32767);
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}
