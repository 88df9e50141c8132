// Storage behind domain interfaces. The engine, auth and the stream speak to these; SQLite
// is the embedded default, and Redis/PostgreSQL are meant to be other factories of the
// same interfaces. No connection or transaction leaks through them.
import type { Notification } from '../protocol/index.ts';
import type { AccountDirectory, AccountFile } from '../directory/schema.ts';
import type { CallRecord, DispositionPatch, StateInterval } from '../stats/records.ts';

/** One event of an account's log. */
export interface LoggedEvent {
  accountId: number;
  cpt: number;
  /** When the event happened (ms since epoch). */
  at: number;
  notification: Notification;
  /**
   * Produced by the account's engine (the server carried the call or operator state), as
   * opposed to published over the admin API by a telephony system that carries it itself.
   * After a crash, only what the engine opened is closed.
   */
  fromEngine?: boolean;
}

/** The durable, per-account, gapless event log. */
export interface EventLog {
  /**
   * Appends a batch atomically (one transaction); cpts are assigned by the caller and
   * `bodies[i]` is `events[i]`'s notification already serialised (JSON), stored as given:
   * the log never serialises, so a payload that cannot be serialised never reaches it.
   * The bodies travel beside the events, not on them, so what the caller keeps of an event
   * after the append (the recent-events ring, the fan-out) does not hold its body too.
   */
  append(events: readonly LoggedEvent[], bodies: readonly string[]): Promise<void>;
  /** Events of an account with cpt > after, in cpt order, at most `limit`. */
  readAfter(accountId: number, after: number, limit: number): Promise<LoggedEvent[]>;
  /** The last cpt ever assigned for each account (survives pruning). */
  lastCpts(): Promise<Map<number, number>>;
  /** Removes events older than `before` (ms); returns how many. */
  prune(before: number): Promise<number>;
  /** The cpt of the account's first event at or after `at` (ms), or undefined. */
  firstCptAt(accountId: number, at: number): Promise<number | undefined>;
}

export interface SupervisorRecord {
  id: number;
  accountId: number;
  login: string;
  passwordHash: string;
}

/** An operator's SIP phone credentials (REGISTER digest auth): HA1 only, never the password. */
export interface SipUserRecord {
  username: string;
  accountId: number;
  operatorId: number;
  /** MD5(username:realm:password), realm SIP_REALM (src/directory/schema.ts). */
  ha1: string;
}

/** An operator's sign-in for the toolbar (`POST /ws/` with account_type "operator"). */
export interface OperatorLoginRecord {
  accountId: number;
  operatorId: number;
  login: string;
  passwordHash: string;
}

export interface ApiUserRecord {
  accountId: number;
  login: string;
  passwordHash: string;
}

export interface ImportResult {
  accountId: number;
  /** False when the file described exactly what was already stored. */
  changed: boolean;
}

/** Accounts and their directories. */
export interface DirectoryStore {
  /**
   * Replaces an account's directory with the file's, all or nothing. `hash` turns a
   * password into a stored hash; `verify` lets an unchanged password keep its hash, so
   * importing the same file twice changes nothing.
   */
  importAccount(
    file: AccountFile,
    secrets: { hash(pw: string): string; verify(pw: string, hash: string): boolean },
  ): Promise<ImportResult>;
  /** The account's directory without secrets (what `vm export` writes). */
  getDirectory(accountId: number): Promise<AccountDirectory | undefined>;
  listAccounts(): Promise<{ id: number; name: string }[]>;
  findSupervisor(login: string): Promise<SupervisorRecord | undefined>;
  findApiUser(login: string): Promise<ApiUserRecord | undefined>;
  /** An operator's toolbar sign-in by login (operators with a login and a password only). */
  findOperatorLogin(login: string): Promise<OperatorLoginRecord | undefined>;
  /** An operator's SIP phone credentials by SIP username. */
  findSipUser(username: string): Promise<SipUserRecord | undefined>;
  /** Every SIP user of every account (the registrar keeps them in memory). */
  listSipUsers(): Promise<SipUserRecord[]>;
  /** The account a service number rings in (numbers[].service), if any. */
  serviceAccount(service: string): Promise<number | undefined>;
  /** True when the operator is in the account's directory. */
  hasOperator(accountId: number, operatorId: number): Promise<boolean>;
  /**
   * Each account's directory revision, bumped by every import that changes it (in any
   * process): a running server polls this to apply re-imports.
   */
  revisions(): Promise<Map<number, number>>;
}

/**
 * supervisor: `POST /ws/`; api and agent: `POST /vm/token`; operator: `POST /ws/` with
 * account_type "operator" (an operator's own sign-in); admin: reserved for the account's
 * administrators (its configuration; issued by the admin console).
 */
export type TokenKind = 'supervisor' | 'api' | 'agent' | 'operator' | 'admin';

/** Whose credentials a token was issued under: its `login` is a login of this kind. */
export type TokenIssuer = 'supervisor' | 'api' | 'operator';

export interface TokenRecord {
  /** sha256 of the token: the token itself is never stored. */
  hash: string;
  kind: TokenKind;
  accountId: number;
  /** Supervisor id for supervisor and admin tokens, operator id for agent and operator tokens, 0 for api. */
  subject: number;
  ip: string;
  expiresAt: number;
  /**
   * The login the token was issued to (a supervisor's, or the API user's for api and agent
   * tokens); '' for tokens issued before revocation existed.
   */
  login: string;
  /** Fingerprint of the password hash the login had: a changed password revokes the token. */
  cred: string;
  /** Revoked by a logout or `vm token revoke`. */
  revoked: boolean;
  /**
   * Whose login `login` is; '' for tokens from before issuers were recorded (then: a
   * supervisor's for supervisor tokens, an API user's for api and agent tokens).
   */
  issuer: TokenIssuer | '';
  /**
   * 0, or (a `keep` token) the latest time its expiry may slide to: while it is used, its
   * expiry moves to a full lifetime after the use, up to this.
   */
  keepUntil: number;
}

/** Which tokens to revoke: one session, one user's, or all of an account. */
export type TokenFilter =
  | { hash: string }
  | { user: { kind: TokenIssuer; login: string } }
  | { accountId: number };

export interface TokenStore {
  save(token: TokenRecord): Promise<void>;
  find(hash: string): Promise<TokenRecord | undefined>;
  /** Moves a live, unrevoked token's expiry (a `keep` token in use); false when it is not live. */
  extend(hash: string, expiresAt: number, now: number): Promise<boolean>;
  /** Drops expired tokens; returns how many. */
  purgeExpired(now: number): Promise<number>;
  /**
   * Marks the matching live tokens revoked (api and agent tokens for an API user) and bumps
   * the revision of each account concerned; returns how many were revoked.
   */
  revoke(filter: TokenFilter, now: number): Promise<{ revoked: number; accounts: number[] }>;
  /** Each account's revocation revision (a running server polls it to close sockets). */
  revisions(): Promise<Map<number, number>>;
}

export interface HistoryQuery {
  /** Inclusive start and exclusive end, ms. */
  from: number;
  to: number;
  direction?: 'in' | 'out';
  service?: string;
  caller?: string;
  operatorId?: number;
}

/** Call records and operator intervals, written as the stream completes them. */
export interface HistoryStore {
  /**
   * Appends records completed by events up to `cpt`, and remembers `cpt`, atomically:
   * replaying the log after a crash skips what is already there.
   */
  append(
    accountId: number,
    cpt: number,
    calls: readonly CallRecord[],
    intervals: readonly StateInterval[],
    /** Dispositions given to calls already stored (set on their record; none when the call is not there). */
    dispositions?: readonly DispositionPatch[],
  ): Promise<void>;
  /** The cpt of the last append for an account (0 when none). */
  lastCpt(accountId: number): Promise<number>;
  calls(accountId: number, q: HistoryQuery): Promise<CallRecord[]>;
  intervals(accountId: number, q: HistoryQuery): Promise<StateInterval[]>;
}

/** Kinds of ids an account's engine hands out. */
export type EngineIdKind = 'call' | 'outgoing' | 'push' | 'asr';

/**
 * What an account's engine keeps across restarts: the ids it may have handed out (so none
 * is handed out twice for the life of the store, whatever the log's pruning), and the cpt
 * up to which its log has nothing left open (where a recovery starts reading).
 */
export interface EngineLedger {
  /** The highest id of each kind ever reserved for the account (0 when none). */
  idMarks(accountId: number): Promise<Record<EngineIdKind, number>>;
  /** Raises the reserved mark of a kind to at least `mark`; resolves with the stored mark. */
  reserveIds(accountId: number, kind: EngineIdKind, mark: number): Promise<number>;
  /** The cpt after which the account's log may show calls or operators open (0: from the start). */
  settledCpt(accountId: number): Promise<number>;
  /** Records that everything the account's log opened up to `cpt` is closed. */
  setSettledCpt(accountId: number, cpt: number): Promise<void>;
}

/** One sound of an account (its directory's `sounds` entry, stored). */
export interface SoundRecord {
  accountId: number;
  /** The account's sound id (src/sounds/ids.ts). */
  id: string;
  name: string;
  /** sha256 of the canonical WAV: where its audio is stored. */
  sha256: string;
  durationMs: number;
}

/**
 * The accounts' sounds: canonical WAV audio stored by content (one copy however many
 * accounts use it), and each account's (sound id → audio) entries. An account import
 * replaces its entries with its file's `sounds` (DirectoryStore.importAccount); `put`
 * changes one.
 */
export interface SoundStore {
  /** Stores a canonical WAV's bytes under their sha256 (idempotent); resolves with the hash. */
  putAudio(wav: Uint8Array): Promise<string>;
  /** The absolute path of a local file holding the audio of this hash; undefined when none is stored. */
  audioPath(sha256: string): Promise<string | undefined>;
  get(accountId: number, soundId: string): Promise<SoundRecord | undefined>;
  /** The account's sounds, by id. */
  list(accountId: number): Promise<SoundRecord[]>;
  /**
   * Adds or replaces one sound of an existing account, in its stored directory too (a new
   * directory revision, as an import makes), all or nothing. The audio must be stored.
   * @throws VmError UNKNOWN_ACCOUNT
   */
  put(sound: SoundRecord): Promise<{ changed: boolean }>;
}

/** A call's recording: a WAV file the media side wrote. */
export interface RecordingRecord {
  accountId: number;
  /** The call's id_call (negative for outgoing calls, as in the events). */
  idCall: number;
  /** Absolute path of the WAV (src/recordings/files.ts: recordingPath). */
  file: string;
  durationMs: number;
  bytes: number;
  /** When it was stored (ms since epoch): retention counts from here. */
  createdAt: number;
}

/** Which calls were recorded, and where their files are. */
export interface RecordingStore {
  /** Records a call's recording (replaces one of the same call). */
  add(rec: RecordingRecord): Promise<void>;
  get(accountId: number, idCall: number): Promise<RecordingRecord | undefined>;
  /** Those of `idCalls` that have a recording. */
  having(accountId: number, idCalls: readonly number[]): Promise<Set<number>>;
  /**
   * Forgets recordings created before `before` (ms), at most `limit` at a time (oldest
   * first), and returns them: deleting their files is the caller's (src/recordings/files.ts).
   */
  purge(before: number, limit?: number): Promise<RecordingRecord[]>;
}

/** Who did an audited action: the principal's kind, its id and the login it signed in with. */
export interface AuditActor {
  /** supervisor, api, admin, platform (or operator: an operator token refused on another operator). */
  role: string;
  /** The supervisor id (supervisor, admin), the operator id (operator), else 0. */
  id: number;
  /** The supervisor's or API user's login; '' for the admin token. */
  login: string;
}

/** One supervisor, admin or platform action on an operator or a call, as the audit keeps it. */
export interface AuditEntry {
  accountId: number;
  /** When it was answered (ms since epoch). */
  at: number;
  actor: AuditActor;
  /** What was asked: the call-control route's action (pause, unpause, logout, suspend, call-hangup…). */
  action: string;
  operatorId: number | null;
  callId: number | null;
  groupId: number | null;
  /** The pause asked for (pause). */
  pauseId: number | null;
  /** The rest of the request body (a transfer's target, a dialled number), small; {} when none. */
  details: Record<string, unknown>;
  /** The client's address (request.ip: X-Forwarded-For only through a trusted proxy). */
  ip: string;
  /** 'ok', or the refusal's error code (FORBIDDEN, OPERATOR_NOT_PAUSED…). */
  result: string;
}

/** An entry as stored: with its id, increasing in the order entries were added. */
export interface AuditRecord extends AuditEntry {
  id: number;
}

export interface AuditQuery {
  /** Only entries with an id below this (the previous page's last id). */
  before?: number;
  /** At most this many, newest first. */
  limit: number;
  /**
   * A scope: only entries about one of these operators or groups (a supervisor of some
   * groups); undefined: the whole account.
   */
  scope?: { operators: readonly number[]; groups: readonly number[] };
}

/** The audit log: who did what to whom, bounded by age and by a count per account. */
export interface AuditStore {
  add(entry: AuditEntry): Promise<AuditRecord>;
  /** An account's entries, newest first. */
  list(accountId: number, q: AuditQuery): Promise<AuditRecord[]>;
  /**
   * Forgets entries older than `before` (ms), and in each account all but its newest
   * `keepPerAccount`; returns how many were forgotten.
   */
  prune(before: number, keepPerAccount: number): Promise<number>;
}

/** Everything one backend provides. */
export interface Store {
  events: EventLog;
  engines: EngineLedger;
  directory: DirectoryStore;
  tokens: TokenStore;
  history: HistoryStore;
  sounds: SoundStore;
  recordings: RecordingStore;
  audit: AuditStore;
  close(): Promise<void>;
}
