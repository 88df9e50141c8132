// @ts-check
// The SQLite write thread (see write-thread.ts): its own connection to the data file, on
// which it runs each batch of statements it is sent in one transaction and answers once it
// is committed, so neither the commit nor a WAL checkpoint ever blocks the server's event
// loop. It also checkpoints the WAL (PASSIVE, never blocking readers or writers) for the
// main connection, which has automatic checkpoints off. It knows no schema: the statements
// come from the main thread. Plain JavaScript so it starts without a TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

if (!parentPort) throw new Error('write-thread.worker.mjs runs as a worker thread');
const port = parentPort;
const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');

/** @type {import('better-sqlite3').Statement[]} */
let statements = [];
const runAll = db.transaction((/** @type {[number, unknown[]][]} */ steps) => {
  let changes = 0;
  for (const [i, args] of steps) {
    const stmt = statements[i];
    if (!stmt) throw new Error(`write thread: no statement ${i}`);
    changes += stmt.run(args).changes;
  }
  return changes;
});

const checkpoints = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or closing: the next one will do.
  }
}, workerData.checkpointMs ?? 1000);

port.on('message', (/** @type {{ id: number; op: string; sqls?: string[]; steps?: [number, unknown[]][] }} */ m) => {
  try {
    if (m.op === 'prepare') {
      statements = (m.sqls ?? []).map((sql) => db.prepare(sql));
      port.postMessage({ id: m.id, ok: true, changes: 0 });
    } else if (m.op === 'run') {
      port.postMessage({ id: m.id, ok: true, changes: runAll(m.steps ?? []) });
    } else if (m.op === 'close') {
      clearInterval(checkpoints);
      db.close();
      port.postMessage({ id: m.id, ok: true, changes: 0 });
      port.close();
    }
  } catch (e) {
    const err = /** @type {{ message?: string; code?: string }} */ (e);
    port.postMessage({ id: m.id, ok: false, message: String(err?.message ?? e), code: err?.code });
  }
});
