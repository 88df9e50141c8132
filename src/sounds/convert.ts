// Any sound a person brings (WAV in its many encodings, MP3) → the canonical sound the
// media side plays: WAV, PCM s16le, mono, SOUND_RATE. In Node, no system tool; bounded in
// input size and in length.
import { SOUND_RATE } from '../media/plane.ts';
import { vmError } from '../errors/registry.ts';
import { Resampler } from './resample.ts';
import { encodeWav, isWav, parseWavHeader, toInt16, wavMonoChunks } from './wav.ts';
import { decodeMp3, isMp3 } from './mp3.ts';

export interface SoundLimits {
  /** Largest input file. @default 50 MiB */
  maxBytes: number;
  /** Longest sound. @default 30 minutes */
  maxMs: number;
}

export const SOUND_LIMITS: Readonly<SoundLimits> = { maxBytes: 50 * 1024 * 1024, maxMs: 30 * 60_000 };

export interface ConvertedSound {
  /** The canonical WAV file's bytes. */
  wav: Buffer;
  durationMs: number;
  /** What the input was, e.g. "WAV PCM 16-bit 44100 Hz stereo" or "MP3 22050 Hz". */
  input: string;
}

/** Length in ms of a canonical WAV of `bytes` bytes (44-byte header). */
export function canonicalDurationMs(bytes: number): number {
  return Math.round((Math.max(0, bytes - 44) / 2 / SOUND_RATE) * 1000);
}

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;

/** Collects resampled output as s16, refusing past the length bound. */
class Output {
  private chunks: Int16Array[] = [];
  private length = 0;
  private resampler: Resampler | undefined;
  private inFrames = 0;

  constructor(
    private readonly source: string,
    private readonly limits: SoundLimits,
  ) {}

  push(mono: Float32Array, rate: number): void {
    this.inFrames += mono.length;
    if ((this.inFrames / rate) * 1000 > this.limits.maxMs) {
      throw vmError('INVALID_SOUND', `${this.source}: longer than ${minutes(this.limits.maxMs)}, the longest sound accepted`);
    }
    this.resampler ??= new Resampler(rate, SOUND_RATE);
    this.take(this.resampler.push(mono));
  }

  private take(f: Float32Array): void {
    const s = new Int16Array(f.length);
    for (let i = 0; i < f.length; i++) s[i] = toInt16(f[i]!);
    this.chunks.push(s);
    this.length += s.length;
  }

  finish(): Int16Array {
    if (this.resampler) this.take(this.resampler.end());
    const all = new Int16Array(this.length);
    let at = 0;
    for (const c of this.chunks) (all.set(c, at), (at += c.length));
    return all;
  }
}

/** Converts a WAV or MP3 file's bytes; `source` names it in errors. @throws VmError INVALID_SOUND */
export async function convertSound(bytes: Uint8Array, source: string, limits: SoundLimits = SOUND_LIMITS): Promise<ConvertedSound> {
  if (bytes.length > limits.maxBytes) {
    throw vmError('INVALID_SOUND', `${source}: ${(bytes.length / 1048576).toFixed(1)} MB is larger than the ${Math.round(limits.maxBytes / 1048576)} MB accepted`);
  }
  const out = new Output(source, limits);
  let input: string;
  if (isWav(bytes)) {
    const header = parseWavHeader(bytes, source);
    const f = header.format;
    if ((f.frames / f.sampleRate) * 1000 > limits.maxMs) {
      throw vmError('INVALID_SOUND', `${source}: ${minutes((f.frames / f.sampleRate) * 1000)} long; ${minutes(limits.maxMs)} is the longest sound accepted`);
    }
    const enc = f.tag === 1 ? `PCM ${f.sampleBytes * 8}-bit` : f.tag === 3 ? `float ${f.sampleBytes * 8}-bit` : f.tag === 6 ? 'A-law' : 'µ-law';
    input = `WAV ${enc} ${f.sampleRate} Hz ${f.channels === 1 ? 'mono' : f.channels === 2 ? 'stereo' : `${f.channels} channels`}`;
    for (const piece of wavMonoChunks(bytes, header)) out.push(piece, f.sampleRate);
  } else if (isMp3(bytes)) {
    const rate = await decodeMp3(bytes, source, (mono, r) => out.push(mono, r));
    input = `MP3 ${rate} Hz`;
  } else {
    throw vmError('INVALID_SOUND', `${source}: not a WAV or MP3 file`);
  }
  const samples = out.finish();
  if (samples.length === 0) throw vmError('INVALID_SOUND', `${source}: holds no sound`);
  return { wav: encodeWav(samples, SOUND_RATE), durationMs: Math.round((samples.length / SOUND_RATE) * 1000), input };
}
