// The embedded default store: one SQLite file in the data directory.
import { openDatabase } from './database.ts';
import { sqliteEventLog } from './event-log.ts';
import { sqliteDirectoryStore } from './directory-store.ts';
import { sqliteTokenStore } from './token-store.ts';
import { sqliteHistoryStore } from './history-store.ts';
import { sqliteEngineLedger } from './engine-ledger.ts';
import type { Store } from '../types.ts';

/** Opens the SQLite store in `dataDir` (created if missing), or in memory for ':memory:'. */
export function createSqliteStore(dataDir: string): Store {
  const db = openDatabase(dataDir);
  return {
    events: sqliteEventLog(db),
    engines: sqliteEngineLedger(db),
    directory: sqliteDirectoryStore(db),
    tokens: sqliteTokenStore(db),
    history: sqliteHistoryStore(db),
    async close() {
      db.close();
    },
  };
}
