// Operators' SIP phone credentials: the account file gives a username and password; the
// store keeps the digest HA1 only (never the password, never in an export), one SIP user
// per username across accounts, and an exported file (no password) keeps the stored HA1.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { createSqliteStore } from '../src/store/sqlite/index.ts';
import { importAccountFile } from '../src/cli/directory.ts';
import { SIP_REALM } from '../src/directory/schema.ts';
import { freshDirs } from './helpers/import.ts';

const fresh = freshDirs('vm-sip-users-');

function account(id: number, ops: object[]) {
  return { account: { id, name: `A${id}` }, groups: [{ id: id * 10, name: 'G' }], operators: ops };
}
const ha1 = (u: string, p: string) => createHash('md5').update(`${u}:${SIP_REALM}:${p}`).digest('hex');

describe('SIP users of operators', () => {
  it('keeps HA1 only, exports no password, and keeps HA1 on a re-import without password', async () => {
    const f = fresh();
    const store = createSqliteStore(f.data);
    try {
      const first = await importAccountFile(store, f.file('a.json', account(1, [{ id: 1, name: 'Ann', sip: { username: 'ann-desk', password: 'correct horse' } }])));
      expect(first.changed).toBe(true);
      expect(await store.directory.findSipUser('ann-desk')).toEqual({ username: 'ann-desk', accountId: 1, operatorId: 1, ha1: ha1('ann-desk', 'correct horse') });
      expect(await store.directory.listSipUsers()).toEqual([{ username: 'ann-desk', accountId: 1, operatorId: 1, ha1: ha1('ann-desk', 'correct horse') }]);
      const dir = await store.directory.getDirectory(1);
      expect(dir?.operators?.[0]?.sip).toEqual({ username: 'ann-desk' });
      // Nothing in the database holds the password.
      const db = new Database(join(f.data, readdirDb(f.data)), { readonly: true });
      const dump = JSON.stringify(db.prepare("SELECT * FROM accounts").all()) + JSON.stringify(db.prepare('SELECT * FROM sip_users').all());
      db.close();
      expect(dump).not.toContain('correct horse');
      // The exported shape (no password) changes nothing; a new password changes the HA1.
      const again = await importAccountFile(store, f.file('b.json', { ...dir, operators: dir!.operators }));
      expect(again.changed).toBe(false);
      expect((await store.directory.findSipUser('ann-desk'))?.ha1).toBe(ha1('ann-desk', 'correct horse'));
      const changed = await importAccountFile(store, f.file('c.json', account(1, [{ id: 1, name: 'Ann', sip: { username: 'ann-desk', password: 'battery staple' } }])));
      expect(changed.changed).toBe(true);
      expect((await store.directory.findSipUser('ann-desk'))?.ha1).toBe(ha1('ann-desk', 'battery staple'));
      // Removing the phone removes the SIP user.
      await importAccountFile(store, f.file('d.json', account(1, [{ id: 1, name: 'Ann' }])));
      expect(await store.directory.findSipUser('ann-desk')).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('refuses a new SIP user without password, a username twice, and one owned by another account', async () => {
    const f = fresh();
    const store = createSqliteStore(f.data);
    try {
      await expect(importAccountFile(store, f.file('a.json', account(1, [{ id: 1, name: 'Ann', sip: { username: 'ann' } }])))).rejects.toThrow(
        /operators\[0\]\.sip\.password: required for a new SIP user/,
      );
      await expect(
        importAccountFile(store, f.file('b.json', account(1, [{ id: 1, name: 'Ann', sip: { username: 'ann', password: 'p4ssword' } }, { id: 2, name: 'Bob', sip: { username: 'ann', password: 'p4ssword' } }]))),
      ).rejects.toThrow(/operators\[1\]\.sip\.username: "ann" is used by two operators/);
      await importAccountFile(store, f.file('c.json', account(1, [{ id: 1, name: 'Ann', sip: { username: 'ann', password: 'p4ssword' } }])));
      await expect(importAccountFile(store, f.file('d.json', account(2, [{ id: 3, name: 'Cid', sip: { username: 'ann', password: 'p4ssword' } }])))).rejects.toThrow(
        /SIP user "ann" already belongs to account 1/,
      );
      await expect(importAccountFile(store, f.file('e.json', account(2, [{ id: 3, name: 'Cid', sip: { username: 'a b', password: 'p4ssword' } }])))).rejects.toThrow(/sip/);
    } finally {
      await store.close();
    }
  });
});

function readdirDb(dir: string): string {
  const name = readdirSync(dir).find((n) => n.endsWith('.db') || n.endsWith('.sqlite'));
  if (!name) throw new Error(`no database file in ${dir}`);
  return name;
}
