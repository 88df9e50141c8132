// Sounds on SQLite: (account, sound id) → audio hash in the `sounds` table, the audio itself
// as files named by their sha256 in `<data>/sounds/` (written to a temporary name and
// renamed, so a reader never sees half a file).
import { createHash } from 'node:crypto';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from './database.ts';
import type { SoundRecord, SoundStore } from '../types.ts';
import type { AccountDirectory, Sound } from '../../directory/schema.ts';
import { vmError } from '../../errors/registry.ts';

const SHA256 = /^[0-9a-f]{64}$/;

interface Row {
  account_id: number;
  sound_id: string;
  name: string;
  sha256: string;
  duration_ms: number;
}

const record = (r: Row): SoundRecord => ({ accountId: r.account_id, id: r.sound_id, name: r.name, sha256: r.sha256, durationMs: r.duration_ms });

/** Statements the directory import shares: an account's entries replaced in its transaction. */
export function soundRows(db: Db) {
  const drop = db.prepare('DELETE FROM sounds WHERE account_id = ?');
  const upsert = db.prepare(
    'INSERT INTO sounds (account_id, sound_id, name, sha256, duration_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT(account_id, sound_id) DO UPDATE SET name = excluded.name, sha256 = excluded.sha256, duration_ms = excluded.duration_ms',
  );
  return {
    upsert(accountId: number, s: { id: string; name: string; sha256: string; durationMs: number }) {
      upsert.run(accountId, s.id, s.name, s.sha256, s.durationMs);
    },
    /** Replaces the account's entries with the directory's sounds (each stored: sha256 and duration_ms set). */
    replace(accountId: number, sounds: readonly Sound[]) {
      drop.run(accountId);
      for (const [i, s] of sounds.entries()) {
        if (s.sha256 === undefined || s.duration_ms === undefined) {
          throw vmError('INVALID_ACCOUNT_FILE', `sounds[${i}]: the sound "${s.id}" was not converted and stored before the import (import with vm import or give sha256).`);
        }
        upsert.run(accountId, s.id, s.name, s.sha256, s.duration_ms);
      }
    },
  };
}

/** `audioDir()` is where the audio files go (created when first written). */
export function sqliteSoundStore(db: Db, audioDir: () => string): SoundStore {
  const rows = soundRows(db);
  const q = {
    get: db.prepare('SELECT * FROM sounds WHERE account_id = ? AND sound_id = ?'),
    list: db.prepare('SELECT * FROM sounds WHERE account_id = ? ORDER BY sound_id'),
    account: db.prepare('SELECT directory FROM accounts WHERE id = ?'),
    setDirectory: db.prepare('UPDATE accounts SET directory = ?, revision = revision + 1 WHERE id = ?'),
  };
  const putTx = db.transaction((s: SoundRecord): { changed: boolean } => {
    const row = q.account.get(s.accountId) as { directory: string } | undefined;
    if (!row) throw vmError('UNKNOWN_ACCOUNT', `No account ${s.accountId}: import its account file first.`);
    const dir = JSON.parse(row.directory) as AccountDirectory;
    const entry: Sound = { id: s.id, name: s.name, sha256: s.sha256, duration_ms: s.durationMs };
    const sounds = [...(dir.sounds ?? [])];
    const at = sounds.findIndex((x) => x.id === s.id);
    if (at >= 0 && JSON.stringify(sounds[at]) === JSON.stringify(entry)) return { changed: false };
    if (at >= 0) sounds[at] = entry;
    else sounds.push(entry);
    q.setDirectory.run(JSON.stringify({ ...dir, sounds }), s.accountId);
    rows.upsert(s.accountId, s);
    return { changed: true };
  });
  const path = (sha256: string) => join(audioDir(), `${sha256}.wav`);

  return {
    async putAudio(wav) {
      const sha256 = createHash('sha256').update(wav).digest('hex');
      const file = path(sha256);
      const known = await stat(file).catch(() => undefined);
      if (known?.size === wav.length) return sha256;
      await mkdir(audioDir(), { recursive: true });
      const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(tmp, wav);
      await rename(tmp, file);
      return sha256;
    },
    async audioPath(sha256) {
      if (!SHA256.test(sha256)) return undefined;
      const file = path(sha256);
      return (await stat(file).catch(() => undefined))?.isFile() ? file : undefined;
    },
    async get(accountId, soundId) {
      const r = q.get.get(accountId, soundId) as Row | undefined;
      return r && record(r);
    },
    async list(accountId) {
      return (q.list.all(accountId) as Row[]).map(record);
    },
    async put(sound) {
      return putTx(sound);
    },
  };
}
