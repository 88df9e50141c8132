// Accounts and directories on SQLite. An import replaces the account's directory in one
// transaction; ids are unique per kind across all accounts (entity_ids), and so is each
// service number (service_numbers): one number rings in one account.
import type { Db } from './database.ts';
import type { DirectoryStore, ImportResult } from '../types.ts';
import type { AccountDirectory, AccountFile } from '../../directory/schema.ts';
import { vmError } from '../../errors/registry.ts';
import { soundRows } from './sound-store.ts';
import { SIP_REALM } from '../../directory/schema.ts';
import { createHash } from 'node:crypto';

/** The digest HA1 of a SIP user: what a registrar needs, and all we keep of the password. */
export function sipHa1(username: string, password: string): string {
  return createHash('md5').update(`${username}:${SIP_REALM}:${password}`).digest('hex');
}

const KINDS = ['groups', 'operators', 'trunks', 'pauses', 'numbers', 'supervisors'] as const;

/** The directory as stored and exported: the file without passwords. */
export function withoutSecrets(file: AccountFile): AccountDirectory {
  const { supervisors, api_users, ...rest } = file;
  const dir: AccountDirectory = { ...rest };
  if (supervisors) dir.supervisors = supervisors.map(({ id, login, groups }) => ({ id, login, ...(groups ? { groups } : {}) }));
  if (api_users) dir.api_users = api_users.map(({ login }) => ({ login }));
  if (dir.operators?.some((o) => o.sip?.password !== undefined || o.password !== undefined)) {
    dir.operators = dir.operators.map(({ password: _, ...o }) => (o.sip ? { ...o, sip: { username: o.sip.username } } : o));
  }
  return dir;
}

export function sqliteDirectoryStore(db: Db): DirectoryStore {
  const sounds = soundRows(db);
  const q = {
    owner: db.prepare('SELECT account_id FROM entity_ids WHERE kind = ? AND id = ?'),
    account: db.prepare('SELECT id, name, directory FROM accounts WHERE id = ?'),
    accounts: db.prepare('SELECT id, name FROM accounts ORDER BY id'),
    upsertAccount: db.prepare(
      'INSERT INTO accounts (id, name, directory, revision) VALUES (?, ?, ?, 1) ON CONFLICT(id) DO UPDATE SET name = excluded.name, directory = excluded.directory, revision = revision + 1',
    ),
    revisions: db.prepare('SELECT id, revision FROM accounts'),
    dropIds: db.prepare('DELETE FROM entity_ids WHERE account_id = ?'),
    addId: db.prepare('INSERT INTO entity_ids (kind, id, account_id) VALUES (?, ?, ?)'),
    serviceOwner: db.prepare('SELECT account_id FROM service_numbers WHERE service = ?'),
    dropServices: db.prepare('DELETE FROM service_numbers WHERE account_id = ?'),
    addService: db.prepare('INSERT INTO service_numbers (service, account_id) VALUES (?, ?)'),
    supByLogin: db.prepare('SELECT id, account_id, login, password_hash FROM supervisors WHERE login = ?'),
    supsOf: db.prepare('SELECT id, login, password_hash FROM supervisors WHERE account_id = ?'),
    dropSups: db.prepare('DELETE FROM supervisors WHERE account_id = ?'),
    addSup: db.prepare('INSERT INTO supervisors (id, account_id, login, password_hash) VALUES (?, ?, ?, ?)'),
    apiByLogin: db.prepare('SELECT login, account_id, password_hash FROM api_users WHERE login = ?'),
    apisOf: db.prepare('SELECT login, password_hash FROM api_users WHERE account_id = ?'),
    dropApis: db.prepare('DELETE FROM api_users WHERE account_id = ?'),
    addApi: db.prepare('INSERT INTO api_users (login, account_id, password_hash) VALUES (?, ?, ?)'),
    opLoginByLogin: db.prepare('SELECT login, account_id, operator_id, password_hash FROM operator_logins WHERE login = ?'),
    opLoginsOf: db.prepare('SELECT login, operator_id, password_hash FROM operator_logins WHERE account_id = ?'),
    dropOpLogins: db.prepare('DELETE FROM operator_logins WHERE account_id = ?'),
    addOpLogin: db.prepare('INSERT INTO operator_logins (login, account_id, operator_id, password_hash) VALUES (?, ?, ?, ?)'),
    sipByName: db.prepare('SELECT username, account_id, operator_id, ha1 FROM sip_users WHERE username = ?'),
    sips: db.prepare('SELECT username, account_id, operator_id, ha1 FROM sip_users'),
    sipsOf: db.prepare('SELECT username, operator_id, ha1 FROM sip_users WHERE account_id = ?'),
    dropSips: db.prepare('DELETE FROM sip_users WHERE account_id = ?'),
    addSip: db.prepare('INSERT INTO sip_users (username, account_id, operator_id, ha1) VALUES (?, ?, ?, ?)'),
  };

  const importTx = db.transaction(
    (file: AccountFile, secrets: Parameters<DirectoryStore['importAccount']>[1]): ImportResult => {
      const accountId = file.account.id;
      for (const kind of KINDS) {
        for (const [i, e] of (file[kind] ?? []).entries()) {
          const row = q.owner.get(kind, e.id) as { account_id: number } | undefined;
          if (row && row.account_id !== accountId) {
            throw vmError('ID_OWNED_BY_OTHER_ACCOUNT', `${kind}[${i}].id: ${kind.slice(0, -1)} id ${e.id} already belongs to account ${row.account_id}.`);
          }
        }
      }
      for (const [i, n] of (file.numbers ?? []).entries()) {
        const row = q.serviceOwner.get(n.service) as { account_id: number } | undefined;
        if (row && row.account_id !== accountId) {
          throw vmError('ID_OWNED_BY_OTHER_ACCOUNT', `numbers[${i}].service: service number ${n.service} already belongs to account ${row.account_id}; remove it from that account first.`);
        }
      }
      for (const [i, s] of (file.supervisors ?? []).entries()) {
        const row = q.supByLogin.get(s.login) as { account_id: number } | undefined;
        if (row && row.account_id !== accountId) {
          throw vmError('ID_OWNED_BY_OTHER_ACCOUNT', `supervisors[${i}].login: login "${s.login}" already belongs to account ${row.account_id}.`);
        }
      }
      for (const [i, a] of (file.api_users ?? []).entries()) {
        const row = q.apiByLogin.get(a.login) as { account_id: number } | undefined;
        if (row && row.account_id !== accountId) {
          throw vmError('ID_OWNED_BY_OTHER_ACCOUNT', `api_users[${i}].login: login "${a.login}" already belongs to account ${row.account_id}.`);
        }
      }

      for (const [i, o] of (file.operators ?? []).entries()) {
        if (o.password === undefined || o.login === undefined) continue;
        const row = q.opLoginByLogin.get(o.login) as { account_id: number } | undefined;
        if (row && row.account_id !== accountId) {
          throw vmError('ID_OWNED_BY_OTHER_ACCOUNT', `operators[${i}].login: operator login "${o.login}" already belongs to account ${row.account_id}.`);
        }
      }

      const sipNames = new Set<string>();
      for (const [i, o] of (file.operators ?? []).entries()) {
        if (!o.sip) continue;
        if (sipNames.has(o.sip.username)) throw vmError('INVALID_ACCOUNT_FILE', `operators[${i}].sip.username: "${o.sip.username}" is used by two operators.`);
        sipNames.add(o.sip.username);
        const row = q.sipByName.get(o.sip.username) as { account_id: number } | undefined;
        if (row && row.account_id !== accountId) {
          throw vmError('ID_OWNED_BY_OTHER_ACCOUNT', `operators[${i}].sip.username: SIP user "${o.sip.username}" already belongs to account ${row.account_id}.`);
        }
      }

      const before = q.account.get(accountId) as { name: string; directory: string } | undefined;
      // `vm export` leaves the callback link's secret out: a file without one keeps the stored one.
      const storedSecret = before && (JSON.parse(before.directory) as AccountDirectory).web_callback?.secret;
      if (file.web_callback && file.web_callback.secret === undefined && storedSecret) {
        file = { ...file, web_callback: { ...file.web_callback, secret: storedSecret } };
      }
      const directory = JSON.stringify(withoutSecrets(file));
      let changed = !before || before.directory !== directory || before.name !== file.account.name;

      // Passwords: keep a stored hash when the file's password still verifies against it,
      // or when the file leaves the password out for an existing user (an exported file).
      const oldSups = new Map((q.supsOf.all(accountId) as { id: number; login: string; password_hash: string }[]).map((s) => [s.id, s]));
      const sups = (file.supervisors ?? []).map((s, i) => {
        const old = oldSups.get(s.id);
        const same = old !== undefined && old.login === s.login;
        if (same && (s.password === undefined || secrets.verify(s.password, old.password_hash))) return { ...s, hash: old.password_hash };
        if (s.password === undefined) throw vmError('INVALID_ACCOUNT_FILE', `supervisors[${i}].password: required for a new supervisor (or a changed login).`);
        changed = true;
        return { ...s, hash: secrets.hash(s.password) };
      });
      const oldApis = new Map((q.apisOf.all(accountId) as { login: string; password_hash: string }[]).map((a) => [a.login, a]));
      const apis = (file.api_users ?? []).map((a, i) => {
        const old = oldApis.get(a.login);
        if (old && (a.password === undefined || secrets.verify(a.password, old.password_hash))) return { ...a, hash: old.password_hash };
        if (a.password === undefined) throw vmError('INVALID_ACCOUNT_FILE', `api_users[${i}].password: required for a new API user.`);
        changed = true;
        return { ...a, hash: secrets.hash(a.password) };
      });
      // Operators' sign-ins: the file's password, or (left out) the stored hash of the same
      // operator under the same login; an operator without either has no sign-in.
      const oldOps = new Map((q.opLoginsOf.all(accountId) as { login: string; operator_id: number; password_hash: string }[]).map((o) => [o.operator_id, o]));
      const opLogins = (file.operators ?? []).flatMap((o) => {
        if (o.login === undefined) return [];
        const old = oldOps.get(o.id);
        const same = old !== undefined && old.login === o.login;
        if (same && (o.password === undefined || secrets.verify(o.password, old.password_hash))) return [{ login: o.login, operatorId: o.id, hash: old.password_hash }];
        if (o.password === undefined) return [];
        changed = true;
        return [{ login: o.login, operatorId: o.id, hash: secrets.hash(o.password) }];
      });
      const opLoginSeen = new Set<string>();
      for (const o of opLogins) {
        if (opLoginSeen.has(o.login)) throw vmError('INVALID_ACCOUNT_FILE', `operators: login "${o.login}" would sign in two operators; give each operator with a password its own login.`);
        opLoginSeen.add(o.login);
      }
      // SIP phones: the HA1 of the file's password, or the stored one when the file leaves it out.
      const oldSips = new Map((q.sipsOf.all(accountId) as { username: string; operator_id: number; ha1: string }[]).map((u) => [u.username, u]));
      const sips = (file.operators ?? []).flatMap((o, i) => {
        if (!o.sip) return [];
        const old = oldSips.get(o.sip.username);
        const ha1 = o.sip.password !== undefined ? sipHa1(o.sip.username, o.sip.password) : old?.ha1;
        if (ha1 === undefined) throw vmError('INVALID_ACCOUNT_FILE', `operators[${i}].sip.password: required for a new SIP user.`);
        if (!old || old.ha1 !== ha1 || old.operator_id !== o.id) changed = true;
        return [{ username: o.sip.username, operatorId: o.id, ha1 }];
      });
      if (oldSups.size !== sups.length || oldApis.size !== apis.length || oldSips.size !== sips.length || oldOps.size !== opLogins.length) changed = true;
      if (!changed) return { accountId, changed: false };

      q.upsertAccount.run(accountId, file.account.name, directory);
      q.dropIds.run(accountId);
      for (const kind of KINDS) for (const e of file[kind] ?? []) q.addId.run(kind, e.id, accountId);
      q.dropServices.run(accountId);
      for (const n of file.numbers ?? []) q.addService.run(n.service, accountId);
      q.dropSups.run(accountId);
      for (const s of sups) q.addSup.run(s.id, accountId, s.login, s.hash);
      q.dropApis.run(accountId);
      for (const a of apis) q.addApi.run(a.login, accountId, a.hash);
      sounds.replace(accountId, file.sounds ?? []);
      q.dropOpLogins.run(accountId);
      for (const o of opLogins) q.addOpLogin.run(o.login, accountId, o.operatorId, o.hash);
      q.dropSips.run(accountId);
      for (const u of sips) q.addSip.run(u.username, accountId, u.operatorId, u.ha1);
      return { accountId, changed: true };
    },
  );

  // Data directories from before service_numbers existed: fill it from the directories
  // (where two accounts already share a number, the lower account id keeps it, and the
  // other account's next import is refused until the number is removed from one of them).
  db.exec(`INSERT OR IGNORE INTO service_numbers (service, account_id)
    SELECT json_extract(n.value, '$.service'), a.id FROM accounts a, json_each(a.directory, '$.numbers') n
    WHERE json_type(n.value, '$.service') = 'text' AND NOT EXISTS (SELECT 1 FROM service_numbers WHERE account_id = a.id)
    ORDER BY a.id`);

  return {
    async importAccount(file, secrets) {
      return importTx(file, secrets);
    },
    async getDirectory(accountId) {
      const row = q.account.get(accountId) as { directory: string } | undefined;
      return row && (JSON.parse(row.directory) as AccountDirectory);
    },
    async listAccounts() {
      return q.accounts.all() as { id: number; name: string }[];
    },
    async findSupervisor(login) {
      const r = q.supByLogin.get(login) as { id: number; account_id: number; login: string; password_hash: string } | undefined;
      return r && { id: r.id, accountId: r.account_id, login: r.login, passwordHash: r.password_hash };
    },
    async findSipUser(username) {
      const r = q.sipByName.get(username) as { username: string; account_id: number; operator_id: number; ha1: string } | undefined;
      return r && { username: r.username, accountId: r.account_id, operatorId: r.operator_id, ha1: r.ha1 };
    },
    async listSipUsers() {
      return (q.sips.all() as { username: string; account_id: number; operator_id: number; ha1: string }[]).map((r) => ({
        username: r.username, accountId: r.account_id, operatorId: r.operator_id, ha1: r.ha1,
      }));
    },
    async serviceAccount(service) {
      return (q.serviceOwner.get(service) as { account_id: number } | undefined)?.account_id;
    },
    async hasOperator(accountId, operatorId) {
      const row = q.owner.get('operators', operatorId) as { account_id: number } | undefined;
      return row?.account_id === accountId;
    },
    async revisions() {
      return new Map((q.revisions.all() as { id: number; revision: number }[]).map((r) => [r.id, r.revision]));
    },
    async findOperatorLogin(login) {
      const r = q.opLoginByLogin.get(login) as { login: string; account_id: number; operator_id: number; password_hash: string } | undefined;
      return r && { accountId: r.account_id, operatorId: r.operator_id, login: r.login, passwordHash: r.password_hash };
    },
    async findApiUser(login) {
      const r = q.apiByLogin.get(login) as { login: string; account_id: number; password_hash: string } | undefined;
      return r && { accountId: r.account_id, login: r.login, passwordHash: r.password_hash };
    },
  };
}
