// Test signals and how to compare them: tones and sweeps, WAV files written and read,
// a reference G.711 codec written from the classic Sun Microsystems g711.c (not from the
// tables under test), and alignment by cross-correlation (no assumption on a plane's delay).

/** A sine sweep from f0 to f1 Hz over `n` samples at `rate`, amplitude `amp`. */
export function sweep(n: number, rate: number, f0: number, f1: number, amp = 8000): Int16Array {
  const out = new Int16Array(n);
  const dur = n / rate;
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    const phase = 2 * Math.PI * (f0 * t + ((f1 - f0) * t * t) / (2 * dur));
    out[i] = Math.round(amp * Math.sin(phase));
  }
  return out;
}

/** A tone of `f` Hz, `n` samples at `rate`, starting at sample `from` of the same tone. */
export function tone(n: number, rate: number, f: number, amp = 8000, from = 0): Int16Array {
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amp * Math.sin((2 * Math.PI * f * (i + from)) / rate));
  return out;
}

/** A WAV file: PCM 16-bit little-endian, interleaved channels. */
export function wavFile(samples: Int16Array, rate: number, channels = 1, opts: { format?: number; bits?: number } = {}): Buffer {
  const bits = opts.bits ?? 16;
  const data = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) data.writeInt16LE(samples[i]!, 2 * i);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(opts.format ?? 1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE((rate * channels * bits) / 8, 28);
  h.writeUInt16LE((channels * bits) / 8, 32);
  h.writeUInt16LE(bits, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

export interface Wav {
  format: number;
  channels: number;
  rate: number;
  bits: number;
  /** The data chunk's declared size. */
  dataBytes: number;
  /** One array per channel. */
  channel: Int16Array[];
}

/** Reads a PCM WAV (chunks walked, 16-bit samples de-interleaved). */
export function readWav(b: Buffer): Wav {
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a WAV file');
  let fmt: Omit<Wav, 'dataBytes' | 'channel'> | undefined;
  for (let o = 12; o + 8 <= b.length; ) {
    const id = b.toString('ascii', o, o + 4);
    const size = b.readUInt32LE(o + 4);
    if (id === 'fmt ') fmt = { format: b.readUInt16LE(o + 8), channels: b.readUInt16LE(o + 10), rate: b.readUInt32LE(o + 12), bits: b.readUInt16LE(o + 22) };
    if (id === 'data') {
      if (!fmt) throw new Error('data before fmt');
      const frames = Math.floor(Math.min(size, b.length - o - 8) / (2 * fmt.channels));
      const channel = Array.from({ length: fmt.channels }, () => new Int16Array(frames));
      for (let i = 0; i < frames; i++) for (let c = 0; c < fmt.channels; c++) channel[c]![i] = b.readInt16LE(o + 8 + 2 * (i * fmt.channels + c));
      return { ...fmt, dataBytes: size, channel };
    }
    o += 8 + size + (size & 1);
  }
  throw new Error('no data chunk');
}

/** µ-law code → 16-bit sample (Sun's ulaw2linear). */
export function refUlawDecode(u: number): number {
  u = ~u & 0xff;
  let t = ((u & 0x0f) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

/** A-law code → 16-bit sample (Sun's alaw2linear). */
export function refAlawDecode(a: number): number {
  a ^= 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

/** 16-bit sample → µ-law code (Sun's linear2ulaw, on the 14-bit value). */
export function refUlawEncode(pcm: number): number {
  const SEG_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
  let v = pcm >> 2;
  let mask: number;
  if (v < 0) {
    v = -v;
    mask = 0x7f;
  } else mask = 0xff;
  if (v > 8159) v = 8159;
  v += 0x21;
  let seg = SEG_END.findIndex((e) => v <= e);
  if (seg < 0) return 0x7f ^ mask;
  return ((seg << 4) | ((v >> (seg + 1)) & 0x0f)) ^ mask;
}

export function decodeG711(codec: 'PCMU' | 'PCMA', codes: Uint8Array): Int16Array {
  const out = new Int16Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = codec === 'PCMU' ? refUlawDecode(codes[i]!) : refAlawDecode(codes[i]!);
  return out;
}

export function encodeUlaw(pcm: Int16Array): Uint8Array {
  return Uint8Array.from(pcm, (x) => refUlawEncode(x));
}

/** A-law by nearest reconstruction level (brute force over the 256 codes of the reference decoder). */
export function encodeAlaw(pcm: Int16Array): Uint8Array {
  const levels = Array.from({ length: 256 }, (_, c) => [c, refAlawDecode(c)] as const);
  return Uint8Array.from(pcm, (x) => {
    let best = 0;
    let err = Infinity;
    for (const [c, v] of levels) if (Math.abs(v - x) < err) [best, err] = [c, Math.abs(v - x)];
    return best;
  });
}

/**
 * The lag (within ±maxLag samples) at which `got` best matches `want` (got[i + lag] ≈
 * want[i]), and the normalised correlation there (1 = the same shape).
 */
export function align(want: Int16Array, got: Int16Array, maxLag: number): { lag: number; corr: number } {
  let best = { lag: 0, corr: -Infinity };
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let xy = 0;
    let xx = 0;
    let yy = 0;
    for (let i = 0; i < want.length; i++) {
      const j = i + lag;
      if (j < 0 || j >= got.length) continue;
      xy += want[i]! * got[j]!;
      xx += want[i]! * want[i]!;
      yy += got[j]! * got[j]!;
    }
    const corr = xx && yy ? xy / Math.sqrt(xx * yy) : 0;
    if (corr > best.corr) best = { lag, corr };
  }
  return best;
}

/** Root-mean-square of a signal. */
export function rms(x: Int16Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return x.length ? Math.sqrt(s / x.length) : 0;
}

/** Indices of the first and last samples louder than `threshold`, or undefined if none is. */
export function extent(x: Int16Array, threshold = 64): { first: number; last: number; count: number } | undefined {
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = 0; i < x.length; i++) {
    if (Math.abs(x[i]!) > threshold) {
      if (first < 0) first = i;
      last = i;
      count++;
    }
  }
  return first < 0 ? undefined : { first, last, count };
}

export function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The amplitude of the `f` Hz component of `x` (Goertzel): about `amp` for tone(…, f, amp), near 0 without it. */
export function toneLevel(x: Int16Array, rate: number, f: number): number {
  if (x.length === 0) return 0;
  const w = (2 * Math.PI * f) / rate;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < x.length; i++) {
    const s = x[i]! + c * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  const re = s1 - s2 * Math.cos(w);
  const im = s2 * Math.sin(w);
  return (2 * Math.hypot(re, im)) / x.length;
}
