// The event log on SQLite: one row per event keyed by (account, cpt), batches appended in
// one transaction, and a counters table so cpt continues after pruning and restarts. On a
// file, the writes go through the write thread: commits and WAL checkpoints stay off the
// event loop; reads (replays, start-up) use the main connection.
import type { Db } from './database.ts';
import type { EventLog, LoggedEvent } from '../types.ts';
import { transactions, type Step, type WriteThread } from './write-thread.ts';

// The log's writes, as SQL and steps, so they run the same on the main connection or on the
// write thread (write-thread.ts).
const CHUNK = 64; // rows per multi-row INSERT: one statement step per 64 events
const COLS = 5;
const WRITES = [
  'INSERT INTO events (account_id, cpt, at, body, from_engine) VALUES (?, ?, ?, ?, ?)',
  `INSERT INTO events (account_id, cpt, at, body, from_engine) VALUES ${Array(CHUNK).fill('(?, ?, ?, ?, ?)').join(', ')}`,
  'INSERT INTO counters (account_id, last_cpt) VALUES (?, ?) ON CONFLICT(account_id) DO UPDATE SET last_cpt = max(last_cpt, excluded.last_cpt)',
  'DELETE FROM events WHERE account_id = ? AND cpt < ?',
] as const;
const [INSERT, INSERT_CHUNK, BUMP, DELETE] = [0, 1, 2, 3];

/** The statements that append a batch: chunked inserts, then each account's counter. */
function appendSteps(events: readonly LoggedEvent[], bodies: readonly string[]): Step[] {
  const steps: Step[] = [];
  const row = (k: number, into: unknown[], at: number) => {
    const e = events[k]!;
    into[at] = e.accountId;
    into[at + 1] = e.cpt;
    into[at + 2] = e.at;
    into[at + 3] = bodies[k];
    into[at + 4] = e.fromEngine ? 1 : 0;
  };
  let i = 0;
  for (; i + CHUNK <= events.length; i += CHUNK) {
    const args: unknown[] = new Array(CHUNK * COLS);
    for (let j = 0; j < CHUNK; j++) row(i + j, args, j * COLS);
    steps.push([INSERT_CHUNK, args]);
  }
  for (; i < events.length; i++) {
    const args: unknown[] = new Array(COLS);
    row(i, args, 0);
    steps.push([INSERT, args]);
  }
  const last = new Map<number, number>();
  for (const e of events) last.set(e.accountId, e.cpt);
  for (const [account, cpt] of last) steps.push([BUMP, [account, cpt]]);
  return steps;
}

/**
 * The event log on `db`. With a `writer` (a file database), appends and prunes run on the
 * write thread and `db` only reads; without one (':memory:'), everything runs on `db`.
 */
export function sqliteEventLog(db: Db, writer?: WriteThread): EventLog {
  const write = transactions(db, WRITES, writer);
  const readStmt = db.prepare(
    'SELECT account_id, cpt, at, body, from_engine FROM events WHERE account_id = ? AND cpt > ? ORDER BY cpt LIMIT ?',
  );
  const counters = db.prepare('SELECT account_id, last_cpt FROM counters');
  const accountsWithEvents = db.prepare('SELECT DISTINCT account_id FROM counters');
  const firstCpt = db.prepare('SELECT min(cpt) AS c FROM events WHERE account_id = ?');
  const atOf = db.prepare('SELECT at FROM events WHERE account_id = ? AND cpt >= ? ORDER BY cpt LIMIT 1');

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
    async append(events, bodies) {
      if (bodies.length !== events.length) throw new Error(`append: ${events.length} events but ${bodies.length} bodies`);
      await write(appendSteps(events, bodies));
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
      const steps: Step[] = [];
      for (const { account_id } of accountsWithEvents.all() as { account_id: number }[]) {
        const cut = firstAtOrAfter(account_id, before);
        if (cut !== undefined) steps.push([DELETE, [account_id, cut]]);
      }
      return steps.length > 0 ? write(steps) : 0;
    },
    async firstCptAt(accountId, at) {
      const cut = firstAtOrAfter(accountId, at);
      return cut !== undefined && atOf.get(accountId, cut) ? cut : undefined;
    },
  };
}
