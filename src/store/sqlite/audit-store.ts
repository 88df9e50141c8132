// The audit log on SQLite: one row per audited action, ids increasing (pages go backwards
// from an id); a scope is matched in SQL against the row's operator and group.
import type { Db } from './database.ts';
import type { AuditEntry, AuditRecord, AuditStore } from '../types.ts';

interface Row {
  id: number;
  account_id: number;
  at: number;
  actor_role: string;
  actor_id: number;
  actor_login: string;
  action: string;
  operator_id: number | null;
  call_id: number | null;
  group_id: number | null;
  pause_id: number | null;
  details: string;
  ip: string;
  result: string;
}

const record = (r: Row): AuditRecord => ({
  id: r.id,
  accountId: r.account_id,
  at: r.at,
  actor: { role: r.actor_role, id: r.actor_id, login: r.actor_login },
  action: r.action,
  operatorId: r.operator_id,
  callId: r.call_id,
  groupId: r.group_id,
  pauseId: r.pause_id,
  details: JSON.parse(r.details) as Record<string, unknown>,
  ip: r.ip,
  result: r.result,
});

export function sqliteAuditStore(db: Db): AuditStore {
  const q = {
    add: db.prepare(
      `INSERT INTO audit (account_id, at, actor_role, actor_id, actor_login, action, operator_id, call_id, group_id, pause_id, details, ip, result)
       VALUES (@accountId, @at, @role, @actorId, @login, @action, @operatorId, @callId, @groupId, @pauseId, @details, @ip, @result)`,
    ),
    // A scope's ids travel as JSON arrays (json_each), so no bound on parameters is reached.
    list: db.prepare(
      `SELECT * FROM audit WHERE account_id = @accountId AND id < @before
         AND (@scoped = 0 OR operator_id IN (SELECT value FROM json_each(@operators)) OR group_id IN (SELECT value FROM json_each(@groups)))
       ORDER BY id DESC LIMIT @limit`,
    ),
    old: db.prepare('DELETE FROM audit WHERE at < ?'),
    accounts: db.prepare('SELECT account_id, COUNT(*) AS n FROM audit GROUP BY account_id HAVING n > ?'),
    // The id of the account's newest entry past the ones kept: it and those before it go.
    cut: db.prepare('SELECT id FROM audit WHERE account_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?'),
    over: db.prepare('DELETE FROM audit WHERE account_id = ? AND id <= ?'),
  };
  const pruneTx = db.transaction((before: number, keep: number) => {
    let n = q.old.run(before).changes;
    for (const { account_id } of q.accounts.all(keep) as { account_id: number }[]) {
      const cut = q.cut.get(account_id, keep) as { id: number } | undefined;
      if (cut) n += q.over.run(account_id, cut.id).changes;
    }
    return n;
  });
  return {
    async add(e: AuditEntry) {
      const { role, id: actorId, login } = e.actor;
      const r = q.add.run({ ...e, role, actorId, login, details: JSON.stringify(e.details) });
      return { ...e, id: Number(r.lastInsertRowid) };
    },
    async list(accountId, { before, limit, scope }) {
      const rows = q.list.all({
        accountId,
        before: before ?? Number.MAX_SAFE_INTEGER,
        limit,
        scoped: scope ? 1 : 0,
        operators: JSON.stringify(scope?.operators ?? []),
        groups: JSON.stringify(scope?.groups ?? []),
      }) as Row[];
      return rows.map(record);
    },
    async prune(before, keepPerAccount) {
      return pruneTx(before, keepPerAccount);
    },
  };
}
