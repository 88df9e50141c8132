// Session tokens on SQLite, stored by their sha256 only, so they survive a restart.
import type { Db } from './database.ts';
import type { TokenRecord, TokenStore } from '../types.ts';

export function sqliteTokenStore(db: Db): TokenStore {
  const save = db.prepare(
    'INSERT OR REPLACE INTO tokens (hash, kind, account_id, subject, ip, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const find = db.prepare('SELECT hash, kind, account_id, subject, ip, expires_at FROM tokens WHERE hash = ?');
  const purge = db.prepare('DELETE FROM tokens WHERE expires_at <= ?');
  type Row = { hash: string; kind: TokenRecord['kind']; account_id: number; subject: number; ip: string; expires_at: number };
  return {
    async save(t) {
      save.run(t.hash, t.kind, t.accountId, t.subject, t.ip, t.expiresAt);
    },
    async find(hash) {
      const r = find.get(hash) as Row | undefined;
      return r && { hash: r.hash, kind: r.kind, accountId: r.account_id, subject: r.subject, ip: r.ip, expiresAt: r.expires_at };
    },
    async purgeExpired(now) {
      return purge.run(now).changes;
    },
  };
}
