// Sound ids: an account's own (`welcome-fr`, `hold_music`) and the built-ins shipped in the
// repository (`default:welcome` …, files in sounds/default/), which every account can name.

/** An account's sound id. */
export const SOUND_ID_PATTERN = '^[a-z0-9][a-z0-9_-]{0,63}$';
const SOUND_ID = new RegExp(SOUND_ID_PATTERN);

/** The built-in sounds (sounds/default/<name>.wav), named `default:<name>`. */
export const BUILTIN_SOUNDS = ['welcome', 'menu', 'hold', 'goodbye', 'closed', 'operator'] as const;
export type BuiltinSound = (typeof BUILTIN_SOUNDS)[number];

export const BUILTIN_PREFIX = 'default:';

export function isSoundId(id: string): boolean {
  return SOUND_ID.test(id);
}

/** The built-in's name for `default:<name>`, undefined for anything else. */
export function builtinName(ref: string): BuiltinSound | undefined {
  if (!ref.startsWith(BUILTIN_PREFIX)) return undefined;
  const name = ref.slice(BUILTIN_PREFIX.length);
  return (BUILTIN_SOUNDS as readonly string[]).includes(name) ? (name as BuiltinSound) : undefined;
}

/** A sound id made from a file name: `Hold Music (v2).mp3` → `hold-music-v2`. */
export function soundIdFromFileName(name: string): string {
  const base = name.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '');
  const id = base
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|-+$/g, '')
    .slice(0, 64);
  return id || 'sound';
}
