// A service number rings in one account (issue 9, item 10): an import giving an account a
// number another account already has is refused, naming the owner, and writes nothing —
// through the real `vm import` and in-process. Data directories from before the rule get
// their owners from the stored directories.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { FIXTURES } from './helpers/server.ts';
import { vmCli } from './helpers/cli.ts';
import { dump, freshDirs, importError, importIn } from './helpers/import.ts';

const ACME = FIXTURES + 'acme.json';
const GLOBEX = FIXTURES + 'globex.json';
const ACME_NUMBER = '33820620620';
const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;

const fresh = freshDirs('vm-numbers-');

/** Globex's file, with Acme's service number added under a Globex number id. */
function globexWithAcmeNumber() {
  const g = read(GLOBEX);
  g.numbers.push({ id: 42, service: ACME_NUMBER, route: { type: 'group', id: 15 } });
  return g;
}

describe('a service number of another account', () => {
  it('is refused by `vm import`, naming the number and its owner, and nothing is written', async () => {
    const t = fresh();
    expect((await vmCli('import', ACME, GLOBEX, '--data', t.data)).code).toBe(0);
    const before = dump(t.data);
    const path = t.file('globex-steals.json', globexWithAcmeNumber());
    const r = await vmCli('import', path, '--data', t.data);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('ID_OWNED_BY_OTHER_ACCOUNT');
    expect(r.stderr).toMatch(new RegExp(`numbers\\[1\\]\\.service: service number ${ACME_NUMBER} already belongs to account 3`));
    expect(dump(t.data)).toEqual(before);
  });

  it('is refused for a new account too, which is then not created; once the owner drops it, another may take it', async () => {
    const t = fresh();
    await importIn(t.data, ACME);
    const before = dump(t.data);
    const g = globexWithAcmeNumber();
    const e = await importError(t.data, t.file('globex.json', g));
    expect(e).toMatchObject({ code: 'ID_OWNED_BY_OTHER_ACCOUNT', message: expect.stringMatching(/^numbers\[1\]\.service: .*account 3/) });
    expect(dump(t.data)).toEqual(before);

    // Moving it inside Acme (another number id) is fine.
    const a = read(ACME);
    a.numbers[0].id = 32;
    expect(await importIn(t.data, t.file('acme-renumbered.json', a))).toEqual({ accountId: 3, changed: true });
    // Acme lets it go; Globex takes it; now Acme cannot take it back.
    const without = read(ACME);
    without.numbers = [];
    expect((await importIn(t.data, t.file('acme-without.json', without))).changed).toBe(true);
    expect(await importIn(t.data, t.file('globex-with.json', g))).toEqual({ accountId: 4, changed: true });
    const back = await importError(t.data, ACME);
    expect(back.message).toMatch(new RegExp(`^numbers\\[0\\]\\.service: service number ${ACME_NUMBER} already belongs to account 4`));
  });

  it('in a data directory from before the rule, belongs to the account that had it first', async () => {
    const t = fresh();
    await importIn(t.data, ACME);
    await importIn(t.data, GLOBEX);
    // What an older version could leave: Globex's stored directory has Acme's number, and
    // no service_numbers rows exist yet.
    const db = new Database(join(t.data, 'vm.sqlite'));
    const stored = JSON.parse((db.prepare('SELECT directory FROM accounts WHERE id = 4').get() as { directory: string }).directory);
    stored.numbers.push({ id: 42, service: ACME_NUMBER, route: { type: 'group', id: 15 } });
    db.prepare('UPDATE accounts SET directory = ? WHERE id = 4').run(JSON.stringify(stored));
    db.exec('DELETE FROM service_numbers');
    db.close();

    const e = await importError(t.data, t.file('globex-again.json', globexWithAcmeNumber()));
    expect(e.message).toMatch(new RegExp(`service number ${ACME_NUMBER} already belongs to account 3`));
    // Globex's own number is Globex's.
    const a = read(ACME);
    a.numbers.push({ id: 33, service: '33900000041', route: { type: 'group', id: 5 } });
    expect((await importError(t.data, t.file('acme-steals.json', a))).message).toMatch(/service number 33900000041 already belongs to account 4/);
    // Globex without the shared number imports.
    expect((await importIn(t.data, GLOBEX)).changed).toBe(true);
  });
});
