// The embedded default store: one SQLite file in the data directory.
import { openDatabase } from './database.ts';
import { sqliteEventLog } from './event-log.ts';
import { sqliteDirectoryStore } from './directory-store.ts';
import { sqliteTokenStore } from './token-store.ts';
import { sqliteHistoryStore } from './history-store.ts';
import { sqliteEngineLedger } from './engine-ledger.ts';
import type { Store } from '../types.ts';
import { WriteThread } from './write-thread.ts';

/** Opens the SQLite store in `dataDir` (created if missing), or in memory for ':memory:'. */
export function createSqliteStore(dataDir: string): Store {
  const db = openDatabase(dataDir);
  // A file database: the event log and the history are written from a worker thread, which
  // also checkpoints the WAL; the main connection never checkpoints (a checkpoint blocked
  // the loop 15-50 ms) and no longer waits for the log's write lock.
  const writer = dataDir === ':memory:' ? undefined : new WriteThread(db.name);
  if (writer) db.pragma('wal_autocheckpoint = 0');
  return {
    events: sqliteEventLog(db, writer),
    engines: sqliteEngineLedger(db),
    directory: sqliteDirectoryStore(db),
    tokens: sqliteTokenStore(db),
    history: sqliteHistoryStore(db, writer),
    async close() {
      await writer?.close();
      db.close();
    },
  };
}
