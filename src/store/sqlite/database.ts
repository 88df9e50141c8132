// Opens the embedded SQLite database (WAL) and creates its schema.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type Db = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS accounts (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  directory TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entity_ids (
  kind TEXT NOT NULL,
  id INTEGER NOT NULL,
  account_id INTEGER NOT NULL,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS service_numbers (
  service TEXT PRIMARY KEY,
  account_id INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS supervisors (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL,
  login TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_users (
  login TEXT PRIMARY KEY,
  account_id INTEGER NOT NULL,
  password_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sip_users (
  username TEXT PRIMARY KEY,
  account_id INTEGER NOT NULL,
  operator_id INTEGER NOT NULL,
  ha1 TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  account_id INTEGER NOT NULL,
  cpt INTEGER NOT NULL,
  at INTEGER NOT NULL,
  body TEXT NOT NULL,
  from_engine INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (account_id, cpt)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (
  account_id INTEGER PRIMARY KEY,
  last_cpt INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS calls (
  account_id INTEGER NOT NULL,
  id_call INTEGER NOT NULL,
  start INTEGER NOT NULL,
  direction TEXT NOT NULL,
  service TEXT NOT NULL,
  caller TEXT NOT NULL,
  operator_id INTEGER,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_by_time ON calls (account_id, start);
CREATE TABLE IF NOT EXISTS op_intervals (
  account_id INTEGER NOT NULL,
  operator_id INTEGER NOT NULL,
  type TEXT NOT NULL,
  start INTEGER NOT NULL,
  duration INTEGER NOT NULL,
  id_call INTEGER NOT NULL,
  infos TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS op_intervals_by_time ON op_intervals (account_id, start);
CREATE TABLE IF NOT EXISTS history_cpt (
  account_id INTEGER PRIMARY KEY,
  cpt INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS engine_ids (
  account_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  mark INTEGER NOT NULL,
  PRIMARY KEY (account_id, kind)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS engine_settled (
  account_id INTEGER PRIMARY KEY,
  cpt INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sounds (
  account_id INTEGER NOT NULL,
  sound_id TEXT NOT NULL,
  name TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  duration_ms INTEGER NOT NULL,
  PRIMARY KEY (account_id, sound_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS recordings (
  account_id INTEGER NOT NULL,
  id_call INTEGER NOT NULL,
  file TEXT NOT NULL,
  duration_ms INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, id_call)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS recordings_by_time ON recordings (created_at);
CREATE TABLE IF NOT EXISTS tokens (
  hash TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  account_id INTEGER NOT NULL,
  subject INTEGER NOT NULL,
  ip TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** Opens (creating if needed) `<dir>/vm.sqlite`, or an in-memory database for ':memory:'. */
export function openDatabase(dir: string): Db {
  let file = ':memory:';
  if (dir !== ':memory:') {
    mkdirSync(dir, { recursive: true });
    file = join(dir, 'vm.sqlite');
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a committed transaction survives a process crash (kill -9); only
  // an OS crash or power loss can lose the last transactions.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  migrate(db);
  return db;
}

/** Columns added after the first release: added in place to an older data directory. */
const ADDED_COLUMNS: [table: string, column: string, decl: string][] = [
  // Whether the engine produced the event (after a crash only those are closed).
  ['events', 'from_engine', 'INTEGER NOT NULL DEFAULT 0'],
  // Bumped by every import that changes the account: a running server polls it.
  ['accounts', 'revision', 'INTEGER NOT NULL DEFAULT 0'],
  // Whose token (supervisor or API user login), under which password (a fingerprint of its
  // hash), and whether it was revoked (logout, `vm token revoke`).
  ['tokens', 'login', "TEXT NOT NULL DEFAULT ''"],
  ['tokens', 'cred', "TEXT NOT NULL DEFAULT ''"],
  ['tokens', 'revoked', 'INTEGER NOT NULL DEFAULT 0'],
  // Whose login `login` is (supervisor, api, operator; '' before it was recorded), and the
  // latest expiry a `keep` token may slide to (0: not kept).
  ['tokens', 'issuer', "TEXT NOT NULL DEFAULT ''"],
  ['tokens', 'keep_until', 'INTEGER NOT NULL DEFAULT 0'],
];

function migrate(db: Db): void {
  // One writer at a time: two processes opening an old data directory at once (a server
  // and `vm import`) must not both add a column.
  db.transaction(() => migrateInTx(db)).immediate();
}

function migrateInTx(db: Db): void {
  // Operators' toolbar sign-ins: only operators with a login and a password have one.
  db.exec(`CREATE TABLE IF NOT EXISTS operator_logins (
  login TEXT PRIMARY KEY,
  account_id INTEGER NOT NULL,
  operator_id INTEGER NOT NULL,
  password_hash TEXT NOT NULL
) WITHOUT ROWID;`);
  // Supervisor, admin and platform actions on operators and calls (src/http/audit.ts).
  db.exec(`CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL,
  at INTEGER NOT NULL,
  actor_role TEXT NOT NULL,
  actor_id INTEGER NOT NULL,
  actor_login TEXT NOT NULL,
  action TEXT NOT NULL,
  operator_id INTEGER,
  call_id INTEGER,
  group_id INTEGER,
  pause_id INTEGER,
  details TEXT NOT NULL,
  ip TEXT NOT NULL,
  result TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_account ON audit (account_id, id);
CREATE INDEX IF NOT EXISTS audit_by_time ON audit (at);`);
  db.exec(`CREATE TABLE IF NOT EXISTS token_revisions (
  account_id INTEGER PRIMARY KEY,
  revision INTEGER NOT NULL
);`);
  for (const [table, column, decl] of ADDED_COLUMNS) {
    const cols = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
    if (!cols.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${decl}`);
  }
}
