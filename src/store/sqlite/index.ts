// The embedded default store: one SQLite file in the data directory.
import { openDatabase } from './database.ts';
import { sqliteEventLog } from './event-log.ts';
import { sqliteDirectoryStore } from './directory-store.ts';
import { sqliteTokenStore } from './token-store.ts';
import { sqliteHistoryStore } from './history-store.ts';
import { sqliteEngineLedger } from './engine-ledger.ts';
import { sqliteSoundStore } from './sound-store.ts';
import { sqliteRecordingStore } from './recording-store.ts';
import { sqliteAuditStore } from './audit-store.ts';
import type { Store } from '../types.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WriteThread } from './write-thread.ts';

export interface SqliteStoreOptions {
  /**
   * Where the event log and the history are written (file databases): `loop` — on the main
   * connection (a batch commit costs tens of µs of the loop); `thread` — a worker thread
   * with its own connection, so the loop never runs a commit, at the cost of a message
   * round trip per batch (worth it with a core to spare; on one core it measured ~10 % more
   * CPU per delivery). Either way a worker thread checkpoints the WAL and the main
   * connection never does (a checkpoint blocked the loop 15-50 ms). @default env
   * VM_SQLITE_WRITES, else `loop`
   */
  writes?: 'thread' | 'loop';
}

/** Opens the SQLite store in `dataDir` (created if missing), or in memory for ':memory:'. */
export function createSqliteStore(dataDir: string, opts: SqliteStoreOptions = {}): Store {
  const db = openDatabase(dataDir);
  const thread = dataDir === ':memory:' ? undefined : new WriteThread(db.name);
  const writes = opts.writes ?? (process.env.VM_SQLITE_WRITES === 'thread' ? 'thread' : 'loop');
  const writer = writes === 'thread' ? thread : undefined;
  if (thread) {
    db.pragma('wal_autocheckpoint = 0');
    // Starts the thread (and its checkpoints) now rather than at the first write.
    if (!writer) void thread.run([]).catch(() => undefined);
  }
  // Sound audio lives beside the database; an in-memory store keeps it in a temporary
  // directory made when first needed and removed by close().
  let scratch: string | undefined;
  const audioDir = () => (dataDir === ':memory:' ? (scratch ??= mkdtempSync(join(tmpdir(), 'vm-sounds-'))) : join(dataDir, 'sounds'));
  return {
    events: sqliteEventLog(db, writer),
    engines: sqliteEngineLedger(db),
    directory: sqliteDirectoryStore(db),
    tokens: sqliteTokenStore(db),
    history: sqliteHistoryStore(db, writer),
    sounds: sqliteSoundStore(db, audioDir),
    recordings: sqliteRecordingStore(db),
    audit: sqliteAuditStore(db),
    async close() {
      await thread?.close();
      db.close();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    },
  };
}
