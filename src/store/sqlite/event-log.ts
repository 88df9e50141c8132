// The event log on SQLite: one row per event keyed by (account, cpt), batches appended in
// one transaction, and a counters table so cpt continues after pruning and restarts.
import type { Db } from './database.ts';
import type { EventLog, SerialisedEvent } from '../types.ts';

export function sqliteEventLog(db: Db): EventLog {
  const insert = db.prepare('INSERT INTO events (account_id, cpt, at, body, from_engine) VALUES (?, ?, ?, ?, ?)');
  // Rows per multi-row INSERT: one statement step per 64 events instead of one per event.
  const CHUNK = 64;
  const insertChunk = db.prepare(`INSERT INTO events (account_id, cpt, at, body, from_engine) VALUES ${Array(CHUNK).fill('(?, ?, ?, ?, ?)').join(', ')}`);
  const args: unknown[] = new Array(CHUNK * 5);
  const bump = db.prepare(
    'INSERT INTO counters (account_id, last_cpt) VALUES (?, ?) ON CONFLICT(account_id) DO UPDATE SET last_cpt = max(last_cpt, excluded.last_cpt)',
  );
  const appendTx = db.transaction((events: readonly SerialisedEvent[]) => {
    const last = new Map<number, number>();
    let i = 0;
    for (; i + CHUNK <= events.length; i += CHUNK) {
      for (let j = 0; j < CHUNK; j++) {
        const e = events[i + j]!;
        args[j * 5] = e.accountId;
        args[j * 5 + 1] = e.cpt;
        args[j * 5 + 2] = e.at;
        args[j * 5 + 3] = e.body;
        args[j * 5 + 4] = e.fromEngine ? 1 : 0;
      }
      insertChunk.run(args);
    }
    for (; i < events.length; i++) {
      const e = events[i]!;
      insert.run(e.accountId, e.cpt, e.at, e.body, e.fromEngine ? 1 : 0);
    }
    for (const e of events) last.set(e.accountId, e.cpt);
    for (const [account, cpt] of last) bump.run(account, cpt);
  });
  const readStmt = db.prepare(
    'SELECT account_id, cpt, at, body, from_engine FROM events WHERE account_id = ? AND cpt > ? ORDER BY cpt LIMIT ?',
  );
  const counters = db.prepare('SELECT account_id, last_cpt FROM counters');
  const accountsWithEvents = db.prepare('SELECT DISTINCT account_id FROM counters');
  const firstCpt = db.prepare('SELECT min(cpt) AS c FROM events WHERE account_id = ?');
  const atOf = db.prepare('SELECT at FROM events WHERE account_id = ? AND cpt >= ? ORDER BY cpt LIMIT 1');
  const del = db.prepare('DELETE FROM events WHERE account_id = ? AND cpt < ?');

  const lastOf = db.prepare('SELECT last_cpt FROM counters WHERE account_id = ?');

  /**
   * The first cpt whose event happened at or after `at` (last cpt + 1 when none). Event
   * times grow with cpt within an account, so it is a binary search on cpt: no index on
   * `at` to maintain on the write path.
   */
  function firstAtOrAfter(accountId: number, at: number): number | undefined {
    const first = (firstCpt.get(accountId) as { c: number | null }).c;
    if (first === null) return undefined;
    let lo = first;
    let hi = ((lastOf.get(accountId) as { last_cpt: number } | undefined)?.last_cpt ?? first) + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const row = atOf.get(accountId, mid) as { at: number } | undefined;
      if (row && row.at < at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  type Row = { account_id: number; cpt: number; at: number; body: string; from_engine: number };
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
        ...(r.from_engine ? { fromEngine: true } : {}),
      }));
    },
    async lastCpts() {
      const rows = counters.all() as { account_id: number; last_cpt: number }[];
      return new Map(rows.map((r) => [r.account_id, r.last_cpt]));
    },
    async prune(before) {
      let removed = 0;
      for (const { account_id } of accountsWithEvents.all() as { account_id: number }[]) {
        const cut = firstAtOrAfter(account_id, before);
        if (cut !== undefined) removed += del.run(account_id, cut).changes;
      }
      return removed;
    },
    async firstCptAt(accountId, at) {
      const cut = firstAtOrAfter(accountId, at);
      return cut !== undefined && atOf.get(accountId, cut) ? cut : undefined;
    },
  };
}
