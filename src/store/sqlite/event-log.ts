// The event log on SQLite: one row per event keyed by (account, cpt), batches appended in
// one transaction, and a counters table so cpt continues after pruning and restarts.
import type { Db } from './database.ts';
import type { EventLog, LoggedEvent } from '../types.ts';

export function sqliteEventLog(db: Db): EventLog {
  const insert = db.prepare('INSERT INTO events (account_id, cpt, at, body) VALUES (?, ?, ?, ?)');
  const bump = db.prepare(
    'INSERT INTO counters (account_id, last_cpt) VALUES (?, ?) ON CONFLICT(account_id) DO UPDATE SET last_cpt = max(last_cpt, excluded.last_cpt)',
  );
  const appendTx = db.transaction((events: readonly LoggedEvent[]) => {
    const last = new Map<number, number>();
    for (const e of events) {
      insert.run(e.accountId, e.cpt, e.at, JSON.stringify(e.notification));
      last.set(e.accountId, e.cpt);
    }
    for (const [account, cpt] of last) bump.run(account, cpt);
  });
  const readStmt = db.prepare(
    'SELECT account_id, cpt, at, body FROM events WHERE account_id = ? AND cpt > ? ORDER BY cpt LIMIT ?',
  );
  const counters = db.prepare('SELECT account_id, last_cpt FROM counters');
  const accountsWithEvents = db.prepare('SELECT DISTINCT account_id FROM counters');
  const firstCpt = db.prepare('SELECT min(cpt) AS c FROM events WHERE account_id = ?');
  const atOf = db.prepare('SELECT at FROM events WHERE account_id = ? AND cpt >= ? ORDER BY cpt LIMIT 1');
  const del = db.prepare('DELETE FROM events WHERE account_id = ? AND cpt < ?');

  type Row = { account_id: number; cpt: number; at: number; body: string };
  return {
    async append(events) {
      appendTx(events);
    },
    async readAfter(accountId, after, limit) {
      return (readStmt.all(accountId, after, limit) as Row[]).map((r) => ({
        accountId: r.account_id,
        cpt: r.cpt,
        at: r.at,
        notification: JSON.parse(r.body),
      }));
    },
    async lastCpts() {
      const rows = counters.all() as { account_id: number; last_cpt: number }[];
      return new Map(rows.map((r) => [r.account_id, r.last_cpt]));
    },
    async prune(before) {
      // Event times grow with cpt within an account, so the cut is found by binary search
      // on cpt: no index on `at` to maintain on the write path.
      let removed = 0;
      const lasts = new Map((counters.all() as { account_id: number; last_cpt: number }[]).map((r) => [r.account_id, r.last_cpt]));
      for (const { account_id } of accountsWithEvents.all() as { account_id: number }[]) {
        const first = (firstCpt.get(account_id) as { c: number | null }).c;
        if (first === null) continue;
        let lo = first;
        let hi = (lasts.get(account_id) ?? first) + 1; // first cpt whose event is >= before
        while (lo < hi) {
          const mid = Math.floor((lo + hi) / 2);
          const row = atOf.get(account_id, mid) as { at: number } | undefined;
          if (row && row.at < before) lo = mid + 1;
          else hi = mid;
        }
        removed += del.run(account_id, lo).changes;
      }
      return removed;
    },
  };
}
