// Session tokens on SQLite, stored by their sha256 only, so they survive a restart. A
// revocation marks rows and bumps the account's revision in one transaction, so a server
// running on the same data directory learns of it (a logout, `vm token revoke`).
import type { Db } from './database.ts';
import type { TokenFilter, TokenRecord, TokenStore } from '../types.ts';

export function sqliteTokenStore(db: Db): TokenStore {
  const save = db.prepare(
    'INSERT OR REPLACE INTO tokens (hash, kind, account_id, subject, ip, expires_at, login, cred, revoked, issuer, keep_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const find = db.prepare('SELECT hash, kind, account_id, subject, ip, expires_at, login, cred, revoked, issuer, keep_until FROM tokens WHERE hash = ?');
  const purge = db.prepare('DELETE FROM tokens WHERE expires_at <= ?');
  const extend = db.prepare('UPDATE tokens SET expires_at = ? WHERE hash = ? AND revoked = 0 AND expires_at > ?');
  // One statement per filter marks the live tokens and names their accounts.
  const mark = (where: string) => db.prepare(`UPDATE tokens SET revoked = 1 WHERE ${where} AND revoked = 0 AND expires_at > ? RETURNING account_id`);
  const updates = {
    hash: mark('hash = ?'),
    // A user's tokens: those issued under its login (an agent token a supervisor asked for
    // is the supervisor's). Tokens from before issuers were recorded go by their kind.
    supervisor: mark("(issuer = 'supervisor' OR (issuer = '' AND kind = 'supervisor')) AND login = ?"),
    api: mark("(issuer = 'api' OR (issuer = '' AND kind IN ('api', 'agent'))) AND login = ?"),
    operator: mark("issuer = 'operator' AND login = ?"),
    account: mark('account_id = ?'),
  };
  const bump = db.prepare(
    'INSERT INTO token_revisions (account_id, revision) VALUES (?, 1) ON CONFLICT(account_id) DO UPDATE SET revision = revision + 1',
  );
  const revisions = db.prepare('SELECT account_id, revision FROM token_revisions');

  const revokeTx = db.transaction((filter: TokenFilter, now: number) => {
    const [which, key]: [keyof typeof updates, string | number] =
      'hash' in filter ? ['hash', filter.hash] : 'user' in filter ? [filter.user.kind, filter.user.login] : ['account', filter.accountId];
    const rows = updates[which].all(key, now) as { account_id: number }[];
    const accounts = [...new Set(rows.map((r) => r.account_id))];
    for (const a of accounts) bump.run(a);
    return { revoked: rows.length, accounts };
  });

  type Row = { hash: string; kind: TokenRecord['kind']; account_id: number; subject: number; ip: string; expires_at: number; login: string; cred: string; revoked: number; issuer: TokenRecord['issuer']; keep_until: number };
  return {
    async save(t) {
      save.run(t.hash, t.kind, t.accountId, t.subject, t.ip, t.expiresAt, t.login, t.cred, t.revoked ? 1 : 0, t.issuer, t.keepUntil);
    },
    async find(hash) {
      const r = find.get(hash) as Row | undefined;
      return (
        r && { hash: r.hash, kind: r.kind, accountId: r.account_id, subject: r.subject, ip: r.ip, expiresAt: r.expires_at, login: r.login, cred: r.cred, revoked: r.revoked !== 0, issuer: r.issuer, keepUntil: r.keep_until }
      );
    },
    async extend(hash, expiresAt, now) {
      return extend.run(expiresAt, hash, now).changes > 0;
    },
    async purgeExpired(now) {
      return purge.run(now).changes;
    },
    async revoke(filter, now) {
      return revokeTx(filter, now);
    },
    async revisions() {
      return new Map((revisions.all() as { account_id: number; revision: number }[]).map((r) => [r.account_id, r.revision]));
    },
  };
}
