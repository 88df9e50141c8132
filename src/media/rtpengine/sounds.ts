// The sounds the rtpengine plane plays, in the codec of the leg: rtpengine decodes, resamples
// and re-encodes whatever file it is given, and for our 16 kHz PCM WAVs that costs it ~10 ms
// of CPU per `play media` (hold music: every call); a G.711 WAV in the leg's own codec costs
// ~2.5 ms (bench/rtpengine-ng.ts). So each sound is converted once per codec (the embedded
// plane's reader and filter: 8 kHz, then µ-law or A-law) into a WAV of that codec, written to
// a directory rtpengine reads. Bounded: at most MAX_FILES conversions kept, oldest removed.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaError, type Codec } from '../plane.ts';
import { SoundCache } from '../node/sound.ts';
import { wavHeader } from '../../sounds/wav.ts';

const MAX_FILES = 256;
/** WAVE_FORMAT_ALAW / WAVE_FORMAT_MULAW. */
const FORMAT: Record<Codec, number> = { PCMA: 6, PCMU: 7 };

export class G711Sounds {
  readonly #dir: string;
  readonly #own: boolean;
  readonly #sounds = new SoundCache(16 * 1024 * 1024);
  readonly #files = new Map<string, Promise<string>>();

  /** @param dir where the converted files go (rtpengine must read it); none: a temporary one */
  constructor(dir?: string) {
    this.#own = dir === undefined;
    this.#dir = dir ?? mkdtempSync(join(tmpdir(), 'vm-rtpe-sounds-'));
    if (!this.#own) mkdirSync(this.#dir, { recursive: true });
  }

  /** The path of `file` (a sound WAV, see SOUND_RATE) encoded in `codec`. @throws MediaError MEDIA_BAD_SOUND */
  path(file: string, codec: Codec): Promise<string> {
    let st;
    try {
      st = statSync(file);
    } catch {
      return Promise.reject(new MediaError('MEDIA_BAD_SOUND', `The sound ${file} cannot be played: it does not exist.`));
    }
    const key = createHash('sha256').update(`${file}\0${st.mtimeMs}\0${st.size}\0${codec}`).digest('hex').slice(0, 32);
    const hit = this.#files.get(key);
    if (hit) return hit;
    const out = join(this.#dir, `${key}.${codec === 'PCMU' ? 'ulaw' : 'alaw'}.wav`);
    const made = this.#sounds.get(file).then((sound) => {
      writeFileSync(out, g711Wav(sound.encoded(codec), codec));
      return out;
    });
    this.#files.set(key, made);
    made.catch(() => this.#files.delete(key));
    if (this.#files.size > MAX_FILES) {
      const [oldest, p] = this.#files.entries().next().value as [string, Promise<string>];
      this.#files.delete(oldest);
      void p.then((f) => rmSync(f, { force: true }), () => undefined);
    }
    return made;
  }

  /** Removes the converted files (the directory too, when it is our temporary one). */
  close(): void {
    if (this.#own) rmSync(this.#dir, { recursive: true, force: true });
    else for (const p of this.#files.values()) void p.then((f) => rmSync(f, { force: true }), () => undefined);
    this.#files.clear();
  }
}

/** A WAV of G.711 codes at 8 kHz, mono. */
export function g711Wav(codes: Uint8Array, codec: Codec): Buffer {
  return Buffer.concat([wavHeader(8000, 1, codes.length, { format: FORMAT[codec], bits: 8 }), codes]);
}
