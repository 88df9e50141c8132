// Three far ends speaking at once, each its own tone, and which tones each one hears: how the
// tests of a supervisor listening (listen, whisper, barge) check who hears whom, by content.
import { expect } from 'vitest';
import { until } from '../helpers/until.ts';
import type { Codec, FarEnd } from './far-end.ts';
import { tone, toneLevel } from './signals.ts';

export type Who = 'a' | 'b' | 's';
export const WHO: readonly Who[] = ['a', 'b', 's'];
/** The caller (a), the operator (b) and the supervisor (s) speak at these frequencies. */
export const FREQ: Readonly<Record<Who, number>> = { a: 400, b: 1000, s: 1700 };
export const AMP = 6000;

/**
 * All three speak for a second (50 packets) at once; returns which tones each far end heard
 * (level ≥ AMP/4), and checks that a tone not heard is not there at all (no leak through a
 * mix). `mixed`: the far ends fed by a mix, on the media clock, behind a short queue (their
 * stream goes on after the words, silence included).
 */
export async function speakAtOnce(ends: Record<Who, { far: FarEnd; codec: Codec }>, mixed: readonly Who[], timeoutMs = 10_000): Promise<Record<Who, Who[]>> {
  const from = { a: ends.a.far.received.length, b: ends.b.far.received.length, s: ends.s.far.received.length };
  await Promise.all(WHO.map((w) => ends[w].far.sendAudio(ends[w].codec, tone(8000, 8000, FREQ[w], AMP))));
  await until('the round heard', () => WHO.every((w) => ends[w].far.received.length >= from[w] + (mixed.includes(w) ? 65 : 50)), timeoutMs);
  const heard = {} as Record<Who, Who[]>;
  for (const w of WHO) {
    const pcm = ends[w].far.audio(ends[w].codec, from[w]);
    heard[w] = WHO.filter((x) => toneLevel(pcm, 8000, FREQ[x]) >= AMP / 4);
    for (const x of WHO) if (!heard[w].includes(x)) expect(toneLevel(pcm, 8000, FREQ[x]), `${x} at ${w}`).toBeLessThan(AMP / 50);
  }
  return heard;
}
