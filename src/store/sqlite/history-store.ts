// Call records and operator intervals on SQLite, indexed by account and start time.
import type { Db } from './database.ts';
import type { HistoryQuery, HistoryStore } from '../types.ts';
import type { CallRecord, DispositionPatch, StateInterval } from '../../stats/records.ts';
import { transactions, type Step, type WriteThread } from './write-thread.ts';

const WRITES = [
  'INSERT INTO calls (account_id, id_call, start, direction, service, caller, operator_id, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  'INSERT INTO op_intervals (account_id, operator_id, type, start, duration, id_call, infos) VALUES (?, ?, ?, ?, ?, ?, ?)',
  'INSERT INTO history_cpt (account_id, cpt) VALUES (?, ?) ON CONFLICT(account_id) DO UPDATE SET cpt = excluded.cpt',
  "UPDATE calls SET body = json_set(body, '$.disposition', ?) WHERE account_id = ? AND id_call = ?",
] as const;

/**
 * The history on `db`. With a `writer` (a file database), appends run on the write thread,
 * like the event log's, so they neither block the event loop nor wait for its lock.
 */
export function sqliteHistoryStore(db: Db, writer?: WriteThread): HistoryStore {
  const write = transactions(db, WRITES, writer);
  const getCpt = db.prepare('SELECT cpt FROM history_cpt WHERE account_id = ?');
  const append = async (accountId: number, cpt: number, calls: readonly CallRecord[], intervals: readonly StateInterval[], dispositions: readonly DispositionPatch[] = []) => {
    const steps: Step[] = [];
    for (const c of calls) steps.push([0, [accountId, c.idCall, c.start, c.direction, c.service, c.caller, c.operatorId, JSON.stringify(c)]]);
    for (const i of intervals) steps.push([1, [accountId, i.operatorId, i.type, i.start, i.duration, i.idCall, i.infos]]);
    for (const d of dispositions) steps.push([3, [d.disposition, accountId, d.idCall]]);
    steps.push([2, [accountId, cpt]]);
    await write(steps);
  };

  function where(accountId: number, q: HistoryQuery, cols: { service?: boolean; direction?: boolean; caller?: boolean }) {
    const parts = ['account_id = ?', 'start >= ?', 'start < ?'];
    const args: (string | number)[] = [accountId, q.from, q.to];
    if (cols.direction && q.direction) (parts.push('direction = ?'), args.push(q.direction));
    if (cols.service && q.service) (parts.push('service = ?'), args.push(q.service));
    if (cols.caller && q.caller) (parts.push('caller = ?'), args.push(q.caller));
    if (q.operatorId !== undefined) (parts.push('operator_id = ?'), args.push(q.operatorId));
    return { sql: parts.join(' AND '), args };
  }

  return {
    append,
    async lastCpt(accountId) {
      return (getCpt.get(accountId) as { cpt: number } | undefined)?.cpt ?? 0;
    },
    async calls(accountId, q) {
      const w = where(accountId, q, { service: true, direction: true, caller: true });
      const rows = db.prepare(`SELECT body FROM calls WHERE ${w.sql} ORDER BY start, id_call`).all(...w.args) as { body: string }[];
      return rows.map((r) => JSON.parse(r.body) as CallRecord);
    },
    async intervals(accountId, q) {
      const w = where(accountId, q, {});
      const rows = db
        .prepare(`SELECT account_id, operator_id, type, start, duration, id_call, infos FROM op_intervals WHERE ${w.sql} ORDER BY start`)
        .all(...w.args) as { account_id: number; operator_id: number; type: StateInterval['type']; start: number; duration: number; id_call: number; infos: string }[];
      return rows.map((r) => ({ accountId: r.account_id, operatorId: r.operator_id, type: r.type, start: r.start, duration: r.duration, idCall: r.id_call, infos: r.infos }));
    },
  };
}
