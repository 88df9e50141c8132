// The engines' ledger on SQLite: per account and kind, the highest id ever reserved (it
// only grows), and the cpt up to which the account's log has nothing open.
import type { Db } from './database.ts';
import type { EngineIdKind, EngineLedger } from '../types.ts';

export function sqliteEngineLedger(db: Db): EngineLedger {
  const marks = db.prepare('SELECT kind, mark FROM engine_ids WHERE account_id = ?');
  const raise = db.prepare(
    'INSERT INTO engine_ids (account_id, kind, mark) VALUES (?, ?, ?) ON CONFLICT(account_id, kind) DO UPDATE SET mark = max(mark, excluded.mark) RETURNING mark',
  );
  const settled = db.prepare('SELECT cpt FROM engine_settled WHERE account_id = ?');
  const settle = db.prepare(
    'INSERT INTO engine_settled (account_id, cpt) VALUES (?, ?) ON CONFLICT(account_id) DO UPDATE SET cpt = max(cpt, excluded.cpt)',
  );
  return {
    async idMarks(accountId) {
      const out: Record<EngineIdKind, number> = { call: 0, outgoing: 0, push: 0, asr: 0 };
      for (const r of marks.all(accountId) as { kind: EngineIdKind; mark: number }[]) if (r.kind in out) out[r.kind] = r.mark;
      return out;
    },
    async reserveIds(accountId, kind, mark) {
      return (raise.get(accountId, kind, mark) as { mark: number }).mark;
    },
    async settledCpt(accountId) {
      return (settled.get(accountId) as { cpt: number } | undefined)?.cpt ?? 0;
    },
    async setSettledCpt(accountId, cpt) {
      settle.run(accountId, cpt);
    },
  };
}
