// Recordings on SQLite: one row per recorded call, pointing at the WAV the media side wrote.
import type { Db } from './database.ts';
import type { RecordingRecord, RecordingStore } from '../types.ts';

interface Row {
  account_id: number;
  id_call: number;
  file: string;
  duration_ms: number;
  bytes: number;
  created_at: number;
}

const record = (r: Row): RecordingRecord => ({
  accountId: r.account_id,
  idCall: r.id_call,
  file: r.file,
  durationMs: r.duration_ms,
  bytes: r.bytes,
  createdAt: r.created_at,
});

/** Ids per `IN (…)` query: well under SQLite's bound on parameters. */
const BATCH = 500;

export function sqliteRecordingStore(db: Db): RecordingStore {
  const q = {
    add: db.prepare(
      'INSERT INTO recordings (account_id, id_call, file, duration_ms, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(account_id, id_call) DO UPDATE SET file = excluded.file, duration_ms = excluded.duration_ms, bytes = excluded.bytes, created_at = excluded.created_at',
    ),
    get: db.prepare('SELECT * FROM recordings WHERE account_id = ? AND id_call = ?'),
    old: db.prepare('SELECT * FROM recordings WHERE created_at < ? ORDER BY created_at LIMIT ?'),
    drop: db.prepare('DELETE FROM recordings WHERE account_id = ? AND id_call = ?'),
  };
  const purgeTx = db.transaction((before: number, limit: number) => {
    const rows = q.old.all(before, limit) as Row[];
    for (const r of rows) q.drop.run(r.account_id, r.id_call);
    return rows.map(record);
  });
  return {
    async add(r) {
      q.add.run(r.accountId, r.idCall, r.file, r.durationMs, r.bytes, r.createdAt);
    },
    async get(accountId, idCall) {
      const r = q.get.get(accountId, idCall) as Row | undefined;
      return r && record(r);
    },
    async having(accountId, idCalls) {
      const found = new Set<number>();
      for (let i = 0; i < idCalls.length; i += BATCH) {
        const ids = idCalls.slice(i, i + BATCH);
        const rows = db
          .prepare(`SELECT id_call FROM recordings WHERE account_id = ? AND id_call IN (${ids.map(() => '?').join(',')})`)
          .all(accountId, ...ids) as { id_call: number }[];
        for (const r of rows) found.add(r.id_call);
      }
      return found;
    },
    async purge(before, limit = 10_000) {
      return purgeTx(before, limit);
    },
  };
}
