// Sample-rate conversion for sounds: a streaming polyphase windowed-sinc (Kaiser) filter,
// the band-limited interpolation of J. O. Smith. The low-pass cuts below the lower of the
// two Nyquist frequencies, so a 44.1 kHz file taken down to 16 kHz does not alias its
// upper band into the speech band. Each phase's taps are normalised to sum to 1, and the
// signal is extended by holding its first and last samples, so a constant stays constant.

/** Zero crossings of the sinc on each side of the centre (filter quality vs. cost). */
const ZERO_CROSSINGS = 16;
/** The pass band ends at this fraction of the lower Nyquist frequency (the rest is the transition). */
const ROLLOFF = 0.9;
/** Kaiser window shape: ~80 dB stop band. */
const KAISER_BETA = 8;
/** At most this many filter phases; a ratio needing more uses the nearest of these. */
const MAX_PHASES = 1024;
/** Sample rates a resampler accepts. */
export const MIN_RATE = 1000;
export const MAX_RATE = 384_000;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (series), for the Kaiser window. */
function bessel0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

/** A converter from `inRate` to `outRate` fed in pieces: push input, get what output it allows. */
export class Resampler {
  /** Output sample n sits at input position n·step/up (an exact rational). */
  private readonly up: number;
  private readonly step: number;
  private readonly phases: number;
  /** Taps per phase: input samples k-half+1 … k+half around position k + phase/phases. */
  private readonly half: number;
  private readonly taps: Float32Array[];
  private readonly identity: boolean;
  /** Pending input; buf[0] is absolute input sample `base`. */
  private buf = new Float32Array(0);
  private base = 0;
  private total = 0;
  private n = 0;
  private first: number | undefined;

  constructor(
    readonly inRate: number,
    readonly outRate: number,
  ) {
    for (const r of [inRate, outRate]) {
      if (!Number.isInteger(r) || r < MIN_RATE || r > MAX_RATE) throw new RangeError(`sample rate ${r} Hz is outside ${MIN_RATE}–${MAX_RATE} Hz`);
    }
    const g = gcd(inRate, outRate);
    this.up = outRate / g;
    this.step = inRate / g;
    this.identity = inRate === outRate;
    this.phases = Math.min(this.up, MAX_PHASES);
    // Cutoff as a fraction of the input's Nyquist frequency.
    const fc = Math.min(1, outRate / inRate) * ROLLOFF;
    this.half = Math.ceil(ZERO_CROSSINGS / fc);
    this.taps = [];
    const width = this.half;
    const norm = bessel0(KAISER_BETA);
    for (let p = 0; p < this.phases; p++) {
      const frac = p / this.phases;
      const t = new Float32Array(2 * this.half);
      let sum = 0;
      for (let j = -this.half + 1; j <= this.half; j++) {
        const u = j - frac;
        const x = fc * u;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        const r = u / width;
        const w = Math.abs(r) >= 1 ? 0 : bessel0(KAISER_BETA * Math.sqrt(1 - r * r)) / norm;
        const h = sinc * w;
        t[j + this.half - 1] = h;
        sum += h;
      }
      for (let i = 0; i < t.length; i++) t[i]! /= sum;
      this.taps.push(t);
    }
  }

  /** How many output samples `inputLength` input samples make: ceil(inputLength · outRate / inRate). */
  static outputLength(inputLength: number, inRate: number, outRate: number): number {
    const g = gcd(inRate, outRate);
    return Math.ceil((inputLength * (outRate / g)) / (inRate / g));
  }

  /** Feeds input; returns the output samples that no longer depend on input to come. */
  push(input: Float32Array): Float32Array {
    if (input.length === 0) return new Float32Array(0);
    if (this.first === undefined) this.first = input[0]!;
    this.total += input.length;
    if (this.identity) return input.slice();
    const joined = new Float32Array(this.buf.length + input.length);
    joined.set(this.buf);
    joined.set(input, this.buf.length);
    this.buf = joined;
    return this.produce(false);
  }

  /** Ends the input; returns the remaining output. */
  end(): Float32Array {
    if (this.identity) return new Float32Array(0);
    return this.produce(true);
  }

  private produce(final: boolean): Float32Array {
    const last = this.base + this.buf.length - 1;
    const count = Math.ceil((this.total * this.up) / this.step);
    const out: number[] = [];
    const first = this.first ?? 0;
    const lastValue = this.buf.length ? this.buf[this.buf.length - 1]! : 0;
    while (this.n < count) {
      const pos = this.n * this.step;
      let k = Math.floor(pos / this.up);
      let phase = Math.round(((pos - k * this.up) / this.up) * this.phases);
      if (phase === this.phases) (k += 1), (phase = 0);
      if (!final && k + this.half > last) break;
      const taps = this.taps[phase]!;
      let acc = 0;
      const from = k - this.half + 1;
      if (from >= this.base && from + taps.length - 1 <= last) {
        // The whole window is in the buffer (all but the edges): no bounds per tap.
        const buf = this.buf;
        const o = from - this.base;
        for (let i = 0; i < taps.length; i++) acc += buf[o + i]! * taps[i]!;
      } else {
        for (let i = 0; i < taps.length; i++) {
          const idx = from + i;
          const x = idx < 0 ? first : idx > last ? lastValue : this.buf[idx - this.base]!;
          acc += x * taps[i]!;
        }
      }
      out.push(acc);
      this.n++;
    }
    // Keep only the input the next outputs can still reach.
    const nextK = Math.floor((this.n * this.step) / this.up);
    const keepFrom = Math.max(this.base, nextK - this.half);
    if (keepFrom > this.base) {
      this.buf = this.buf.slice(keepFrom - this.base);
      this.base = keepFrom;
    }
    return Float32Array.from(out);
  }
}

/** Converts a whole signal at once. */
export function resample(input: Float32Array, inRate: number, outRate: number): Float32Array {
  const r = new Resampler(inRate, outRate);
  const a = r.push(input);
  const b = r.end();
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
