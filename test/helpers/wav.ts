// WAV files of every encoding, made in the tests (no tool), and what tests measure of a
// sound: its samples, frequency and level.

export interface WavSpec {
  /** 1 PCM, 3 float, 6 A-law, 7 µ-law. */
  tag: 1 | 3 | 6 | 7;
  rate: number;
  /** Bytes per sample (PCM 1–4, float 4 or 8, laws 1). */
  sampleBytes: number;
  /** One array per channel, values in [-1, 1] (float files may go beyond). */
  channels: Float64Array[];
  /** Write WAVE_FORMAT_EXTENSIBLE. */
  extensible?: boolean;
  /** Chunks put before fmt (id, body). */
  before?: [string, Buffer][];
  /** Chunks put between fmt and data. */
  between?: [string, Buffer][];
  /** The data chunk's size field, if not the truth (0xFFFFFFFF for a streamed file). */
  dataSizeField?: number;
}

/** G.711 µ-law encoder (ITU-T reference), from a 16-bit sample. */
export function linearToUlaw(sample: number): number {
  const BIAS = 0x84;
  let s = Math.max(-32768, Math.min(32767, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (sign) s = -s;
  s = Math.min(s, 32635) + BIAS;
  let exp = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exp > 0; exp--, mask >>= 1);
  const mant = (s >> (exp + 3)) & 0x0f;
  return ~(sign | (exp << 4) | mant) & 0xff;
}

/** G.711 A-law encoder (Sun's g711.c), from a 16-bit sample. */
export function linearToAlaw(sample: number): number {
  let pcm = Math.max(-32768, Math.min(32767, Math.round(sample))) >> 3;
  let mask: number;
  if (pcm >= 0) mask = 0xd5;
  else {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  const ends = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];
  let seg = ends.findIndex((e) => pcm <= e);
  if (seg < 0) seg = 8;
  if (seg >= 8) return 0x7f ^ mask;
  let aval = seg << 4;
  aval |= seg < 2 ? (pcm >> 1) & 0x0f : (pcm >> seg) & 0x0f;
  return aval ^ mask;
}

function chunk(id: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, 'ascii');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body, body.length & 1 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

export function makeWav(spec: WavSpec): Buffer {
  const ch = spec.channels.length;
  const frames = spec.channels[0]!.length;
  const sb = spec.sampleBytes;
  const data = Buffer.alloc(frames * ch * sb);
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < ch; c++) {
      const v = spec.channels[c]![f]!;
      const at = (f * ch + c) * sb;
      const clamp = (x: number) => Math.max(-1, Math.min(1, x));
      if (spec.tag === 3) {
        if (sb === 4) data.writeFloatLE(v, at);
        else data.writeDoubleLE(v, at);
      } else if (spec.tag === 6) data.writeUInt8(linearToAlaw(clamp(v) * 32767), at);
      else if (spec.tag === 7) data.writeUInt8(linearToUlaw(clamp(v) * 32767), at);
      else if (sb === 1) data.writeUInt8(Math.max(0, Math.min(255, Math.round(clamp(v) * 127) + 128)), at);
      else if (sb === 2) data.writeInt16LE(Math.round(clamp(v) * 32767), at);
      else if (sb === 3) data.writeIntLE(Math.round(clamp(v) * 8388607), at, 3);
      else data.writeInt32LE(Math.round(clamp(v) * 2147483647), at);
    }
  }
  const fmt = Buffer.alloc(spec.extensible ? 40 : 16);
  fmt.writeUInt16LE(spec.extensible ? 0xfffe : spec.tag, 0);
  fmt.writeUInt16LE(ch, 2);
  fmt.writeUInt32LE(spec.rate, 4);
  fmt.writeUInt32LE(spec.rate * ch * sb, 8);
  fmt.writeUInt16LE(ch * sb, 12);
  fmt.writeUInt16LE(sb * 8, 14);
  if (spec.extensible) {
    fmt.writeUInt16LE(22, 16);
    fmt.writeUInt16LE(sb * 8, 18);
    fmt.writeUInt32LE(ch === 1 ? 4 : 3, 20);
    // KSDATAFORMAT_SUBTYPE_*: the tag, then the fixed GUID tail.
    fmt.writeUInt16LE(spec.tag, 24);
    Buffer.from('000000001000800000aa00389b71', 'hex').copy(fmt, 26);
  }
  const dataChunk = chunk('data', data);
  if (spec.dataSizeField !== undefined) dataChunk.writeUInt32LE(spec.dataSizeField, 4);
  const body = Buffer.concat([
    Buffer.from('WAVE', 'ascii'),
    ...(spec.before ?? []).map(([id, b]) => chunk(id, b)),
    chunk('fmt ', fmt),
    ...(spec.between ?? []).map(([id, b]) => chunk(id, b)),
    dataChunk,
  ]);
  const head = Buffer.alloc(8);
  head.write('RIFF', 0, 'ascii');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

export function sine(freq: number, rate: number, seconds: number, amplitude = 0.5): Float64Array {
  const n = Math.round(rate * seconds);
  return Float64Array.from({ length: n }, (_, i) => amplitude * Math.sin((2 * Math.PI * freq * i) / rate));
}

/** The samples of a canonical WAV (checks the 44-byte header says PCM s16le mono at `rate`). */
export function canonicalSamples(wav: Buffer, rate = 16_000): Int16Array {
  if (wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 16) !== 'WAVEfmt ') throw new Error('not a canonical WAV header');
  const fmt = [wav.readUInt32LE(16), wav.readUInt16LE(20), wav.readUInt16LE(22), wav.readUInt32LE(24), wav.readUInt32LE(28), wav.readUInt16LE(32), wav.readUInt16LE(34)];
  if (JSON.stringify(fmt) !== JSON.stringify([16, 1, 1, rate, rate * 2, 2, 16])) throw new Error(`not canonical: fmt ${fmt.join(',')}`);
  if (wav.toString('ascii', 36, 40) !== 'data' || wav.readUInt32LE(40) !== wav.length - 44 || wav.readUInt32LE(4) !== wav.length - 8) throw new Error('bad data chunk');
  const out = new Int16Array((wav.length - 44) / 2);
  for (let i = 0; i < out.length; i++) out[i] = wav.readInt16LE(44 + i * 2);
  return out;
}

/** Frequency by counting rising zero crossings over the middle 80 % (edges skipped). */
export function frequencyOf(x: ArrayLike<number>, rate: number): number {
  const from = Math.floor(x.length * 0.1);
  const to = Math.floor(x.length * 0.9);
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = from + 1; i < to; i++) {
    if (x[i - 1]! < 0 && x[i]! >= 0) {
      // Interpolated crossing instant.
      const t = i - 1 + x[i - 1]! / (x[i - 1]! - x[i]!);
      if (first < 0) first = t;
      else count++;
      last = t;
    }
  }
  return count > 0 ? (count * rate) / (last - first) : 0;
}

/** RMS over the middle 80 %. */
export function rmsOf(x: ArrayLike<number>): number {
  const from = Math.floor(x.length * 0.1);
  const to = Math.floor(x.length * 0.9);
  let s = 0;
  for (let i = from; i < to; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / Math.max(1, to - from));
}
