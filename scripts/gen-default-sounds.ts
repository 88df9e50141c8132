// Generates the built-in sounds, sounds/default/*.wav (the canonical format: WAV, PCM s16le,
// mono, 16 kHz), so a plain account has prompts and hold music without importing any.
// Run once at development time, then commit the files:
//
//   npx tsx scripts/gen-default-sounds.ts
//
// The spoken prompts need espeak-ng (Debian: `apt-get install espeak-ng`), which CI does not
// have: the WAV files are committed, this script is how they were made. The hold music is
// synthesised here (no tool): soft chords with slow envelopes, rendered into a circular
// buffer, so the last chord's release runs into the first one's attack and the loop has no
// seam. Deterministic: the same script makes the same music.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SOUND_RATE } from '../src/media/plane.ts';
import { convertSound } from '../src/sounds/convert.ts';
import { encodeWav, toInt16 } from '../src/sounds/wav.ts';
import type { BuiltinSound } from '../src/sounds/ids.ts';

const OUT = fileURLToPath(new URL('../sounds/default/', import.meta.url));

/**
 * The prompts. `menu` says the demo center's IVR (demo/demo-center.yaml, ivrs[0]): 1 sales,
 * 2 support, 3 billing, 9 the partner line.
 */
export const PROMPTS: Record<Exclude<BuiltinSound, 'hold'>, string> = {
  welcome: 'Welcome. Please hold, an operator will answer shortly.',
  menu: 'For sales, press 1. For support, press 2. For billing, press 3. To reach our partner, press 9.',
  goodbye: 'Thank you for calling. Goodbye.',
  closed: 'We are closed at the moment. Please call again during our opening hours. Goodbye.',
  operator: 'You are connected to the demo center. This call is answered by a simulated operator.',
};

/** Seconds of the hold music loop. */
const HOLD_SECONDS = 20;

/** Speaks a text with espeak-ng and converts it; padded with a little silence, peak at -3 dBFS. */
async function speak(text: string, tmp: string): Promise<Buffer> {
  const raw = join(tmp, 'speech.wav');
  execFileSync('espeak-ng', ['-v', 'en-us', '-s', '150', '-p', '45', '-w', raw, text]);
  const { wav } = await convertSound(readFileSync(raw), raw);
  const speech = new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length));
  let peak = 1;
  for (const s of speech) peak = Math.max(peak, Math.abs(s));
  const gain = (0.7 * 32767) / peak;
  const pad = Math.round(0.2 * SOUND_RATE);
  const out = new Int16Array(speech.length + 2 * pad);
  for (let i = 0; i < speech.length; i++) out[pad + i] = toInt16((speech[i]! * gain) / 32767);
  return encodeWav(out, SOUND_RATE);
}

const midi = (n: number) => 440 * 2 ** ((n - 69) / 12);

/** Adds a note into the circular buffer: `partials` [multiple, level], envelope attack/hold/release (s). */
function addNote(buf: Float64Array, at: number, freq: number, level: number, env: { attack: number; hold: number; release: number }, partials: [number, number][]): void {
  const n = buf.length;
  const a = Math.round(env.attack * SOUND_RATE);
  const h = Math.round(env.hold * SOUND_RATE);
  const r = Math.round(env.release * SOUND_RATE);
  const start = Math.round(at * SOUND_RATE);
  for (let i = 0; i < a + h + r; i++) {
    // Raised-cosine attack and release: the envelope and its slope start and end at 0.
    const e = i < a ? 0.5 - 0.5 * Math.cos((Math.PI * i) / a) : i < a + h ? 1 : 0.5 + 0.5 * Math.cos((Math.PI * (i - a - h)) / r);
    const t = i / SOUND_RATE;
    let v = 0;
    for (const [mult, l] of partials) v += l * Math.sin(2 * Math.PI * freq * mult * t);
    buf[(start + i) % n]! += level * e * v;
  }
}

/** A bell-like arpeggio note: quick soft attack, exponential decay, faded to 0 before it ends. */
function addBell(buf: Float64Array, at: number, freq: number, level: number): void {
  const n = buf.length;
  const len = Math.round(2.4 * SOUND_RATE);
  const attack = Math.round(0.012 * SOUND_RATE);
  const fade = Math.round(0.4 * SOUND_RATE);
  const start = Math.round(at * SOUND_RATE);
  for (let i = 0; i < len; i++) {
    const t = i / SOUND_RATE;
    let e = Math.exp(-t / 0.55);
    if (i < attack) e *= 0.5 - 0.5 * Math.cos((Math.PI * i) / attack);
    if (i > len - fade) e *= 0.5 + 0.5 * Math.cos((Math.PI * (i - (len - fade))) / fade);
    const v = Math.sin(2 * Math.PI * freq * t) + 0.25 * Math.sin(2 * Math.PI * freq * 2 * t) + 0.08 * Math.sin(2 * Math.PI * freq * 3 * t);
    buf[(start + i) % n]! += level * e * v;
  }
}

/** The hold music: Cmaj7 – Am7 – Fmaj7 – G6, five seconds each, pad, bass and an arpeggio. */
export function holdMusic(seconds = HOLD_SECONDS): Int16Array {
  const buf = new Float64Array(seconds * SOUND_RATE);
  const chords = [
    [60, 64, 67, 71], // C E G B
    [57, 60, 64, 67], // A C E G
    [53, 57, 60, 64], // F A C E
    [55, 59, 62, 64], // G B D E
  ];
  const span = seconds / chords.length;
  const pad = { attack: 1.4, hold: span - 1.4, release: 1.8 };
  for (const [c, notes] of chords.entries()) {
    const at = c * span - 0.4;
    for (const [k, note] of notes.entries()) {
      // A slight detune per voice makes the pad breathe.
      addNote(buf, at + (at < 0 ? seconds : 0), midi(note) * (1 + (k - 1.5) * 0.0008), 0.11, pad, [
        [1, 1],
        [2, 0.18],
        [3, 0.05],
      ]);
    }
    addNote(buf, at + (at < 0 ? seconds : 0), midi(notes[0]! - 24), 0.22, pad, [
      [1, 1],
      [2, 0.1],
    ]);
    const arp = [...notes, notes[2]! + 12, notes[1]! + 12, notes[3]!, notes[1]!].map((n) => n + 12);
    for (const [i, note] of arp.entries()) addBell(buf, c * span + (i * span) / arp.length, midi(note), 0.06);
  }
  let peak = 0;
  for (const v of buf) peak = Math.max(peak, Math.abs(v));
  const gain = 0.45 / peak;
  return Int16Array.from(buf, (v) => toInt16(v * gain));
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), 'vm-gen-sounds-'));
  try {
    for (const [name, text] of Object.entries(PROMPTS)) writeFileSync(join(OUT, `${name}.wav`), await speak(text, tmp));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  writeFileSync(join(OUT, 'hold.wav'), encodeWav(holdMusic(), SOUND_RATE));
  let total = 0;
  for (const name of [...Object.keys(PROMPTS), 'hold']) {
    const size = statSync(join(OUT, `${name}.wav`)).size;
    total += size;
    console.log(`sounds/default/${name}.wav  ${(size / 1024).toFixed(0)} KiB`);
  }
  console.log(`total ${(total / 1024).toFixed(0)} KiB`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
