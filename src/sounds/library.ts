// Where the media side finds a sound: `resolve(account, id)` gives the path of a canonical
// WAV (src/media/plane.ts, SOUND_RATE) for a built-in (`default:hold`, shipped in
// sounds/default/) or for one of the account's stored sounds.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SoundStore } from '../store/types.ts';
import { BUILTIN_SOUNDS, builtinName, type BuiltinSound } from './ids.ts';

/** The repository's sounds/default/ directory. */
export const BUILTIN_SOUNDS_DIR = fileURLToPath(new URL('../../sounds/default/', import.meta.url));

/** The file of a built-in sound. */
export function builtinSoundPath(name: BuiltinSound, dir = BUILTIN_SOUNDS_DIR): string {
  return join(dir, `${name}.wav`);
}

export interface SoundLibraryOptions {
  /** Where the built-ins are. @default the repository's sounds/default/ */
  builtinDir?: string;
}

export class SoundLibrary {
  private readonly builtinDir: string;

  constructor(
    private readonly sounds: SoundStore,
    opts: SoundLibraryOptions = {},
  ) {
    this.builtinDir = opts.builtinDir ?? BUILTIN_SOUNDS_DIR;
  }

  /** The absolute path of the sound's canonical WAV, or undefined when the account has no such sound. */
  async resolve(accountId: number, soundId: string): Promise<string | undefined> {
    const builtin = builtinName(soundId);
    if (builtin) {
      const path = builtinSoundPath(builtin, this.builtinDir);
      return existsSync(path) ? path : undefined;
    }
    const rec = await this.sounds.get(accountId, soundId);
    return rec && this.sounds.audioPath(rec.sha256);
  }

  /** The built-in sounds' files that exist (what the media plane decodes at start). */
  builtinFiles(): string[] {
    return BUILTIN_SOUNDS.map((b) => builtinSoundPath(b, this.builtinDir)).filter((f) => existsSync(f));
  }

  /** The built-in sounds' ids (`default:welcome` …). */
  builtins(): string[] {
    return BUILTIN_SOUNDS.map((b) => `default:${b}`);
  }
}
