// Sound conversion (src/sounds): the resampler's invariants as properties (length, DC,
// a tone's frequency and level, anti-aliasing, streaming = one shot), WAV files of every
// encoding made here, MP3 fixtures decoded by the wasm mpg123, bounds and bad files, and
// the built-in sounds shipped in sounds/default.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync, statSync } from 'node:fs';
import { Resampler, resample } from '../src/sounds/resample.ts';
import { convertSound, SOUND_LIMITS } from '../src/sounds/convert.ts';
import { alawToLinear, toInt16, ulawToLinear } from '../src/sounds/wav.ts';
import { BUILTIN_SOUNDS, soundIdFromFileName, isSoundId } from '../src/sounds/ids.ts';
import { builtinSoundPath } from '../src/sounds/library.ts';
import { isVmError } from '../src/errors/registry.ts';
import { canonicalSamples, frequencyOf, linearToAlaw, linearToUlaw, makeWav, rmsOf, sine, type WavSpec } from './helpers/wav.ts';

const FIX = new URL('./fixtures/sounds/', import.meta.url).pathname;
const RATES = [8000, 11025, 16000, 22050, 32000, 44100, 48000, 96000];
const rate = fc.oneof(fc.constantFrom(...RATES), fc.integer({ min: 4000, max: 192_000 }));

async function refusal(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isVmError(e) && e.code, `expected INVALID_SOUND, got ${String(e)}`).toBe('INVALID_SOUND');
  return (e as Error).message;
}

describe('resampler', () => {
  it('makes ceil(n · 16000 / rate) samples, and the same ones fed in any pieces', () => {
    fc.assert(
      fc.property(rate, fc.integer({ min: 1, max: 3000 }), fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }), (r, n, cuts) => {
        const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 0.8);
        const whole = resample(x, r, 16_000);
        expect(whole.length).toBe(Math.ceil((n * 16_000) / r));
        expect(Resampler.outputLength(n, r, 16_000)).toBe(whole.length);
        const rs = new Resampler(r, 16_000);
        const parts: number[] = [];
        let at = 0;
        for (let i = 0; at < n; i++) {
          const len = cuts[i % cuts.length]!;
          parts.push(...rs.push(x.subarray(at, at + len)));
          at += len;
        }
        parts.push(...rs.end());
        expect(Float32Array.from(parts)).toEqual(whole);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps a constant signal constant (DC), edges included', () => {
    fc.assert(
      fc.property(rate, fc.double({ min: -1, max: 1, noNaN: true }), fc.integer({ min: 1, max: 2000 }), (r, c, n) => {
        const y = resample(new Float32Array(n).fill(c), r, 16_000);
        for (const v of y) expect(Math.abs(v - c)).toBeLessThan(1e-4);
      }),
      { numRuns: 60 },
    );
  });

  it("keeps a pass-band tone's frequency and level", () => {
    fc.assert(
      fc.property(rate, fc.double({ min: 0.05, max: 0.7, noNaN: true }), (r, where) => {
        // A frequency below 70 % of the lower Nyquist frequency.
        const f = 50 + where * (Math.min(r, 16_000) / 2 - 50);
        const x = Float32Array.from(sine(f, r, 0.5, 0.5));
        const y = resample(x, r, 16_000);
        expect(Math.abs(frequencyOf(y, 16_000) - f) / f).toBeLessThan(0.01);
        expect(rmsOf(y) / (0.5 / Math.SQRT2)).toBeGreaterThan(0.93);
        expect(rmsOf(y) / (0.5 / Math.SQRT2)).toBeLessThan(1.07);
      }),
      { numRuns: 50 },
    );
  });

  it('removes what lies above 8 kHz instead of folding it into the speech band', () => {
    fc.assert(
      fc.property(fc.constantFrom(32_000, 44_100, 48_000, 96_000), fc.double({ min: 0, max: 1, noNaN: true }), (r, where) => {
        const f = 9500 + where * (Math.min(r / 2, 20_000) * 0.95 - 9500);
        const y = resample(Float32Array.from(sine(f, r, 0.3, 0.9)), r, 16_000);
        // Folded, it would sound at 16000 - f with its full level; it is 40 dB down at least.
        expect(rmsOf(y)).toBeLessThan((0.9 / Math.SQRT2) * 0.01);
      }),
      { numRuns: 30 },
    );
  });

  it('never makes NaN, and saturates past full scale instead of wrapping', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 1, maxLength: 400 }), rate, (xs, r) => {
        const y = resample(Float32Array.from(xs), r, 16_000);
        for (const v of y) {
          expect(Number.isFinite(v)).toBe(true);
          const s = toInt16(v);
          expect(s).toBeGreaterThanOrEqual(-32768);
          expect(s).toBeLessThanOrEqual(32767);
          if (v > 1) expect(s).toBe(32767);
          if (v < -1.001) expect(s).toBe(-32768);
        }
      }),
      { numRuns: 60 },
    );
    expect([toInt16(NaN), toInt16(Infinity), toInt16(-Infinity), toInt16(0.5)]).toEqual([0, 32767, -32768, 16384]);
  });

  it('refuses rates it cannot take', () => {
    expect(() => new Resampler(0, 16_000)).toThrow(/outside/);
    expect(() => new Resampler(44_100.5, 16_000)).toThrow(/outside/);
    expect(() => new Resampler(10_000_000, 16_000)).toThrow(/outside/);
  });
});

describe('G.711', () => {
  it('decodes every µ-law and A-law byte to the value that encodes back to it', () => {
    for (let b = 0; b < 256; b++) {
      if (b !== 0x7f) expect(linearToUlaw(ulawToLinear(b) * 32768), `µ-law ${b}`).toBe(b);
      expect(linearToAlaw(alawToLinear(b) * 32768), `A-law ${b}`).toBe(b);
    }
    expect([ulawToLinear(0xff), ulawToLinear(0x80) * 32768, ulawToLinear(0x00) * 32768]).toEqual([0, 32124, -32124]);
    expect([alawToLinear(0xd5) * 32768, alawToLinear(0xaa) * 32768, alawToLinear(0x2a) * 32768]).toEqual([8, 32256, -32256]);
  });
});

describe('WAV files', () => {
  const variants: [string, Omit<WavSpec, 'channels' | 'rate'>][] = [
    ['PCM 8-bit', { tag: 1, sampleBytes: 1 }],
    ['PCM 16-bit', { tag: 1, sampleBytes: 2 }],
    ['PCM 24-bit', { tag: 1, sampleBytes: 3 }],
    ['PCM 32-bit', { tag: 1, sampleBytes: 4 }],
    ['float 32-bit', { tag: 3, sampleBytes: 4 }],
    ['float 64-bit', { tag: 3, sampleBytes: 8 }],
    ['µ-law', { tag: 7, sampleBytes: 1 }],
    ['A-law', { tag: 6, sampleBytes: 1 }],
    ['extensible PCM 24-bit', { tag: 1, sampleBytes: 3, extensible: true }],
    ['extensible float', { tag: 3, sampleBytes: 4, extensible: true }],
  ];
  for (const [label, v] of variants) {
    for (const [r, ch] of [[8000, 1], [44_100, 2], [22_050, 1], [48_000, 2]] as const) {
      it(`converts ${label} at ${r} Hz ${ch === 1 ? 'mono' : 'stereo'} to the canonical WAV, same tone, same length`, async () => {
        const tone = sine(440, r, 0.6, 0.5);
        // Stereo: the same tone in both channels, so the average keeps it.
        const file = makeWav({ ...v, rate: r, channels: ch === 1 ? [tone] : [tone, tone] });
        const out = await convertSound(file, label);
        const s = canonicalSamples(out.wav);
        expect(s.length).toBe(Math.ceil((tone.length * 16_000) / r));
        expect(out.durationMs).toBe(600);
        expect(Math.abs(frequencyOf(s, 16_000) - 440)).toBeLessThan(2);
        // 8-bit and the G.711 laws are coarser; all are within 5 % of the level.
        expect(Math.abs(rmsOf(s) / 32767 / (0.5 / Math.SQRT2) - 1)).toBeLessThan(0.05);
        expect(out.input).toContain(`${r} Hz`);
      });
    }
  }

  it('averages channels to mono (opposite channels cancel)', async () => {
    const tone = sine(300, 16_000, 0.2, 0.5);
    const out = await convertSound(makeWav({ tag: 1, sampleBytes: 2, rate: 16_000, channels: [tone, tone.map((x) => -x)] }), 'x');
    expect(Math.max(...canonicalSamples(out.wav).map(Math.abs))).toBeLessThanOrEqual(1);
  });

  it('walks chunks: unknown ones before and after fmt, odd sizes with their pad byte', async () => {
    const tone = sine(1000, 16_000, 0.1);
    const plain = await convertSound(makeWav({ tag: 1, sampleBytes: 2, rate: 16_000, channels: [tone] }), 'a');
    const padded = await convertSound(
      makeWav({ tag: 1, sampleBytes: 2, rate: 16_000, channels: [tone], before: [['JUNK', Buffer.alloc(7, 1)]], between: [['LIST', Buffer.from('INFOISFT odd')], ['fact', Buffer.alloc(4)]] }),
      'b',
    );
    expect(padded.wav).toEqual(plain.wav);
    // At 16 kHz mono 16-bit the canonical file is the samples as they were.
    expect(Array.from(canonicalSamples(plain.wav))).toEqual(Array.from(tone, (x) => Math.round(x * 32767) || 0));
  });

  it('takes what a streamed or cut file really has', async () => {
    const tone = sine(1000, 16_000, 0.25);
    const streamed = makeWav({ tag: 1, sampleBytes: 2, rate: 16_000, channels: [tone], dataSizeField: 0xffffffff });
    expect((await convertSound(streamed, 's')).durationMs).toBe(250);
    const whole = makeWav({ tag: 1, sampleBytes: 2, rate: 16_000, channels: [tone] });
    // Cut in the middle of a sample: the half sample is dropped.
    const cut = whole.subarray(0, 44 + 2000 * 2 + 1);
    expect(canonicalSamples((await convertSound(cut, 'c')).wav).length).toBe(2000);
  });

  it('refuses broken files with a sentence naming the file', async () => {
    const tone = sine(1000, 8000, 0.05);
    const good = makeWav({ tag: 1, sampleBytes: 2, rate: 8000, channels: [tone] });
    const withFmt = (edit: (b: Buffer) => void) => {
      const b = Buffer.from(good);
      edit(b);
      return b;
    };
    expect(await refusal(convertSound(Buffer.from('hello, not a sound'), 'x.txt'))).toBe('x.txt: not a WAV or MP3 file');
    expect(await refusal(convertSound(withFmt((b) => b.writeUInt16LE(2, 20)), 'adpcm.wav'))).toMatch(/^adpcm.wav: unsupported WAV encoding \(format tag 2\)/);
    expect(await refusal(convertSound(withFmt((b) => b.writeUInt16LE(0, 22)), 'z.wav'))).toMatch(/0 channels/);
    expect(await refusal(convertSound(withFmt((b) => b.writeUInt32LE(0, 24)), 'z.wav'))).toMatch(/sample rate 0 Hz is outside/);
    expect(await refusal(convertSound(withFmt((b) => b.writeUInt16LE(3, 32)), 'z.wav'))).toBe('z.wav: block align 3 does not fit 1 channel of 16-bit samples');
    expect(await refusal(convertSound(withFmt((b) => b.write('dat_', 36, 'ascii')), 'z.wav'))).toMatch(/no data chunk/);
    expect(await refusal(convertSound(good.subarray(0, 44), 'empty.wav'))).toMatch(/holds no samples/);
    expect(await refusal(convertSound(good.subarray(0, 30), 'short.wav'))).toMatch(/fmt chunk is cut off/);
    const dataFirst = Buffer.concat([good.subarray(0, 12), good.subarray(36), good.subarray(12, 36)]);
    expect(await refusal(convertSound(dataFirst, 'order.wav'))).toMatch(/data chunk comes before the fmt chunk/);
  });

  it('refuses files over the size bound and sounds over the length bound', async () => {
    const tone = sine(1000, 8000, 2);
    const file = makeWav({ tag: 1, sampleBytes: 2, rate: 8000, channels: [tone] });
    expect(await refusal(convertSound(file, 'big.wav', { ...SOUND_LIMITS, maxBytes: 1000 }))).toMatch(/^big.wav: 0.0 MB is larger than the 0 MB accepted/);
    expect(await refusal(convertSound(file, 'long.wav', { ...SOUND_LIMITS, maxMs: 1000 }))).toMatch(/^long.wav: .*longest sound accepted/);
    expect(SOUND_LIMITS).toEqual({ maxBytes: 50 * 1024 * 1024, maxMs: 30 * 60_000 });
  });

  it('turns garbage after a RIFF/WAVE header into INVALID_SOUND or a sound, never anything else', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (tail) => {
        const b = Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE', 'latin1'), tail]);
        const r = await convertSound(b, 'g.wav').then(
          (ok) => ok,
          (e: unknown) => e,
        );
        if (isVmError(r)) expect(r.code).toBe('INVALID_SOUND');
        else canonicalSamples((r as { wav: Buffer }).wav);
      }),
      { numRuns: 300 },
    );
  });

  it('silences NaN and infinities in float files, saturates loud ones', async () => {
    const x = Float64Array.from({ length: 1600 }, (_, i) => (i % 100 === 0 ? NaN : i % 100 === 1 ? Infinity : 4 * Math.sin(i / 5)));
    const s = canonicalSamples((await convertSound(makeWav({ tag: 3, sampleBytes: 4, rate: 16_000, channels: [x] }), 'f')).wav);
    expect(s.some((v) => v === 32767)).toBe(true);
    expect(s.some((v) => v === -32768)).toBe(true);
  });
});

describe('MP3 files', () => {
  it('decodes a stereo 44.1 kHz MP3 (a 1 kHz tone) in Node', async () => {
    const out = await convertSound(readFileSync(`${FIX}tone-1k-44k-stereo.mp3`), 'tone.mp3');
    const s = canonicalSamples(out.wav);
    expect(out.input).toBe('MP3 44100 Hz');
    // lame pads the start and end by a frame or two.
    expect(out.durationMs).toBeGreaterThan(950);
    expect(out.durationMs).toBeLessThan(1200);
    expect(Math.abs(frequencyOf(s, 16_000) - 1000)).toBeLessThan(5);
    expect(rmsOf(s) / 32767).toBeGreaterThan(0.25);
  });

  it('decodes a mono 22.05 kHz speech MP3', async () => {
    const out = await convertSound(readFileSync(`${FIX}hello-22k-mono.mp3`), 'hello.mp3');
    expect(out.input).toBe('MP3 22050 Hz');
    expect(out.durationMs).toBeGreaterThan(300);
    expect(rmsOf(canonicalSamples(out.wav))).toBeGreaterThan(300);
  });

  it('keeps what a cut MP3 has, and refuses one with no frame', async () => {
    const mp3 = readFileSync(`${FIX}tone-1k-44k-stereo.mp3`);
    const half = await convertSound(mp3.subarray(0, mp3.length >> 1), 'half.mp3');
    expect(half.durationMs).toBeGreaterThan(300);
    expect(half.durationMs).toBeLessThan(700);
    const noFrame = Buffer.concat([Buffer.from('ID3\x03\0\0\0\0\0\0', 'latin1'), Buffer.alloc(4000)]);
    expect(await refusal(convertSound(noFrame, 'fake.mp3'))).toMatch(/^fake.mp3: no MPEG audio frame could be decoded/);
    expect(await refusal(convertSound(Buffer.from('ID3garbage'), 'tag-only.mp3'))).toMatch(/no MPEG audio frame/);
  });

  it('stops an MP3 past the length bound', async () => {
    const mp3 = readFileSync(`${FIX}tone-1k-44k-stereo.mp3`);
    expect(await refusal(convertSound(mp3, 'long.mp3', { ...SOUND_LIMITS, maxMs: 200 }))).toMatch(/^long.mp3: longer than 0 min/);
  });
});

describe('built-in sounds', () => {
  it('ship every built-in as a canonical WAV, under 2 MB together', () => {
    let total = 0;
    for (const b of BUILTIN_SOUNDS) {
      const wav = readFileSync(builtinSoundPath(b));
      const s = canonicalSamples(wav);
      expect(s.length / 16_000, b).toBeGreaterThan(1);
      expect(rmsOf(s), `${b} is not silence`).toBeGreaterThan(500);
      total += statSync(builtinSoundPath(b)).size;
    }
    expect(total).toBeLessThan(2 * 1024 * 1024);
  });

  it('loop the hold music without a click: the seam is no bigger a step than the music takes inside', () => {
    const s = canonicalSamples(readFileSync(builtinSoundPath('hold')));
    expect(s.length / 16_000).toBeGreaterThanOrEqual(20);
    let largest = 0;
    for (let i = 1; i < s.length; i++) largest = Math.max(largest, Math.abs(s[i]! - s[i - 1]!));
    const seam = Math.abs(s[0]! - s[s.length - 1]!);
    expect(seam).toBeLessThanOrEqual(largest);
    // And the music is playing at the seam (a loop of silence would pass the step test).
    expect(Math.abs(s[0]!) + Math.abs(s[1]!) + Math.abs(s[s.length - 1]!)).toBeGreaterThan(0);
  });
});

describe('sound ids', () => {
  it('makes a valid id from any file name', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (name) => {
        expect(isSoundId(soundIdFromFileName(name)), JSON.stringify(name)).toBe(true);
      }),
    );
    expect(soundIdFromFileName('/x/Hold Music (v2).MP3')).toBe('hold-music-v2');
  });
});
