// Where an account file names sounds: any string field called `prompt`, `music` or
// `announcement_sound`, wherever it sits (IVR menus, groups, numbers), so the check
// follows the routing schema as fields are added. Each must be a built-in or one of the
// file's sounds.
import { BUILTIN_PREFIX, BUILTIN_SOUNDS, builtinName } from './ids.ts';

export const SOUND_REFERENCE_FIELDS: readonly string[] = ['prompt', 'music', 'announcement_sound'];

export interface SoundReference {
  /** e.g. `ivrs[0].prompt` */
  path: string;
  id: string;
}

/** Every sound reference in a (schema-checked, bounded) account file, in document order. */
export function soundReferences(file: unknown): SoundReference[] {
  const found: SoundReference[] = [];
  // Iterative walk: the file is already bounded, but no recursion is cheaper than a proof.
  const stack: { value: unknown; path: string }[] = [{ value: file, path: '' }];
  while (stack.length) {
    const { value, path } = stack.pop()!;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: `${path}[${i}]` });
    } else if (value && typeof value === 'object') {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i]!;
        const p = path ? `${path}.${k}` : k;
        if (typeof v === 'string' && SOUND_REFERENCE_FIELDS.includes(k)) found.push({ path: p, id: v });
        else if (k !== 'sounds' || path !== '') stack.push({ value: v, path: p });
      }
    }
  }
  return found;
}

/** The first reference that names no sound of the file and no built-in, as `[path, sentence]`. */
export function unknownSoundReference(file: { sounds?: readonly { id: string }[] }): [string, string] | undefined {
  const ids = new Set((file.sounds ?? []).map((s) => s.id));
  for (const r of soundReferences(file)) {
    if (r.id.startsWith(BUILTIN_PREFIX)) {
      if (!builtinName(r.id)) return [r.path, `"${r.id}" is not a built-in sound (${BUILTIN_SOUNDS.map((b) => BUILTIN_PREFIX + b).join(', ')})`];
    } else if (!ids.has(r.id)) {
      return [r.path, `sound "${r.id}" is not in this file's sounds${ids.size ? ` (${[...ids].slice(0, 10).join(', ')}${ids.size > 10 ? ', …' : ''})` : ''}`];
    }
  }
  return undefined;
}
