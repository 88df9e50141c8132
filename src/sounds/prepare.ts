// The sounds of an account file, made ready for the store before an import: each `file` is
// read (relative to the account file), converted to the canonical WAV and stored by its
// hash; an entry without `file` keeps stored audio (its `sha256`, or the account's sound of
// that id, as an exported file has them). Errors name the entry and the field.
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { AccountFile, Sound } from '../directory/schema.ts';
import type { SoundStore } from '../store/types.ts';
import { isVmError, vmError } from '../errors/registry.ts';
import { canonicalDurationMs, convertSound, SOUND_LIMITS } from './convert.ts';

export interface PrepareOptions {
  /** Directory `file` paths are relative to (the account file's); undefined: files cannot be read (an import over HTTP). */
  baseDir?: string;
}

function fail(field: string, message: string): never {
  throw vmError('INVALID_ACCOUNT_FILE', `${field}: ${message}`);
}

/** Reads, converts and stores a sound file; the sound's stored hash and length. @throws VmError INVALID_SOUND */
export async function storeSoundFile(store: SoundStore, path: string): Promise<{ sha256: string; durationMs: number; input: string }> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw vmError('INVALID_SOUND', `${path}: not a file`);
    size = st.size;
  } catch (e) {
    if (isVmError(e)) throw e;
    throw vmError('INVALID_SOUND', `${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  // Refused before it is read into memory.
  if (size > SOUND_LIMITS.maxBytes) {
    throw vmError('INVALID_SOUND', `${path}: ${(size / 1048576).toFixed(1)} MB is larger than the ${SOUND_LIMITS.maxBytes / 1048576} MB accepted`);
  }
  const converted = await convertSound(await readFile(path), path);
  const sha256 = await store.putAudio(converted.wav);
  return { sha256, durationMs: converted.durationMs, input: converted.input };
}

/** The file with every sound stored: entries carry `sha256` and `duration_ms`, no `file`. */
export async function prepareSounds(store: SoundStore, file: AccountFile, opts: PrepareOptions = {}): Promise<AccountFile> {
  if (!file.sounds?.length) return file;
  const sounds: Sound[] = [];
  for (const [i, s] of file.sounds.entries()) {
    const at = `sounds[${i}]`;
    if (s.file !== undefined) {
      if (opts.baseDir === undefined) {
        fail(`${at}.file`, 'sound files cannot be read in an import over HTTP; store the sound with `vm sounds import` and leave `file` out, or import the file with `vm import`.');
      }
      const path = isAbsolute(s.file) ? s.file : resolve(opts.baseDir, s.file);
      try {
        const stored = await storeSoundFile(store, path);
        sounds.push({ id: s.id, name: s.name, sha256: stored.sha256, duration_ms: stored.durationMs });
      } catch (e) {
        if (isVmError(e) && e.code === 'INVALID_SOUND') fail(`${at}.file`, e.message);
        throw e;
      }
      continue;
    }
    if (s.sha256 !== undefined) {
      const path = await store.audioPath(s.sha256);
      if (!path) fail(`${at}.sha256`, `no sound with this hash is stored here; give \`file\` to import it`);
      const { size } = await stat(path);
      sounds.push({ id: s.id, name: s.name, sha256: s.sha256, duration_ms: canonicalDurationMs(size) });
      continue;
    }
    const old = await store.get(file.account.id, s.id);
    if (!old) fail(`${at}.file`, `required for a new sound (account ${file.account.id} has no sound "${s.id}" stored)`);
    sounds.push({ id: s.id, name: s.name, sha256: old.sha256, duration_ms: old.durationMs });
  }
  return { ...file, sounds };
}
