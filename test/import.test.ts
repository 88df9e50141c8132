// Account files in and out: `vm import` / `vm export` as real child processes, and
// importAccountFile in-process. Idempotent, all or nothing, errors naming the entry and
// field, JSON or YAML, ids owned by another account refused, export re-importable.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { stringify as toYaml, parse as fromYaml } from 'yaml';
import { createSqliteStore } from '../src/store/sqlite/index.ts';
import { formatDirectory } from '../src/directory/load.ts';
import { FIXTURES, startTestServer, wsInit, publishHttp, uiLogin } from './helpers/server.ts';
import { vmCli } from './helpers/cli.ts';
import { dump, freshDirs, importError, importIn } from './helpers/import.ts';

const ACME = FIXTURES + 'acme.json';
const GLOBEX = FIXTURES + 'globex.json';
const acme = () => JSON.parse(readFileSync(ACME, 'utf8')) as Record<string, any>;

const fresh = freshDirs('vm-import-');

// One CLI test at a time: each CLI start-up loads the whole tree through tsx (CPU, seconds
// on a busy machine), and with two test files running at once side-by-side tests here only
// split each one's time bound between their processes (the first one ran out of its 90 s).
describe('vm import / vm export (CLI)', () => {
  it('imports, says unchanged the second time, refuses a bad file naming the entry and field, exports without passwords', async ({ expect }) => {
    const t = fresh();
    const first = await vmCli('import', ACME, '--data', t.data);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/account 3 imported/);
    const before = dump(t.data);
    expect(before.accounts).toHaveLength(1);
    expect(before.supervisors).toEqual([{ id: 12, account_id: 3, login: 'sup', password_hash: expect.stringMatching(/^scrypt\$/) }]);
    expect(JSON.stringify(before)).not.toMatch(/secret/);

    const second = await vmCli('import', ACME, '--data', t.data, '--json');
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual({ file: ACME, account: 3, changed: false });
    expect(dump(t.data)).toEqual(before);

    // A renamed account with an operator in a missing group: nothing is written.
    const bad = acme();
    bad.account.name = 'Acme renamed';
    bad.operators[1].groups = [5, 77];
    const badPath = t.file('bad.json', bad);
    const refused = await vmCli('import', badPath, '--data', t.data);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('INVALID_ACCOUNT_FILE');
    expect(refused.stderr).toContain('operators[1].groups[1]');
    expect(refused.stderr).toContain('77');
    expect(refused.stderr).toContain(badPath);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    expect(dump(t.data)).toEqual(before);

    const exported = await vmCli('export', '--account', '3', '--data', t.data);
    expect(exported.code).toBe(0);
    const { supervisors, api_users, ...rest } = acme();
    expect(JSON.parse(exported.stdout)).toEqual({
      ...rest,
      supervisors: supervisors.map(({ id, login }: { id: number; login: string }) => ({ id, login })),
      api_users: api_users.map(({ login }: { login: string }) => ({ login })),
    });
    expect(exported.stdout).not.toMatch(/password|secret/);

    // The export plus passwords is the same account: unchanged.
    const back = JSON.parse(exported.stdout);
    back.supervisors[0].password = 'secret';
    back.api_users[0].password = 'secret2';
    const again = await vmCli('import', t.file('back.json', back), '--data', t.data);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/account 3 unchanged/);
    expect(dump(t.data)).toEqual(before);
    // The export as it is, without passwords, is the same account too: stored hashes stay.
    const raw = await vmCli('import', t.file('raw-export.json', exported.stdout), '--data', t.data);
    expect(raw.code).toBe(0);
    expect(raw.stdout).toMatch(/account 3 unchanged/);
    expect(dump(t.data)).toEqual(before);
  }, 90_000);

  it('keeps the web-callback secret out of exports, and a re-imported export keeps the stored secret', async ({ expect }) => {
    const t = fresh();
    expect((await vmCli('import', FIXTURES + 'callcenter.json', '--data', t.data)).code).toBe(0);
    const exported = await vmCli('export', '--account', '7', '--data', t.data);
    expect(exported.stdout).not.toContain('callcenter-callback-secret');
    expect(JSON.parse(exported.stdout).web_callback).toMatchObject({ group: 70, type: 'MANUAL' });
    const back = await vmCli('import', t.file('cc-export.json', exported.stdout), '--data', t.data);
    expect(back.stdout).toMatch(/account 7 unchanged/);
    const store = createSqliteStore(t.data);
    try {
      expect((await store.directory.getDirectory(7))?.web_callback?.secret).toBe('callcenter-callback-secret');
    } finally {
      await store.close();
    }
  }, 60_000);

  it('imports into the data directory of a running server, which sees the new account at once', async ({ expect }) => {
    const s = await startTestServer(['acme.json']);
    try {
      expect((await wsInit(s.url, 'globex-sup', 'g-secret')).status).toBe(401);
      const r = await vmCli('import', GLOBEX, '--data', s.dataDir);
      expect(r.code).toBe(0);
      const login = await wsInit(s.url, 'globex-sup', 'g-secret');
      expect(login.status).toBe(200);
      expect(login.body).toMatchObject({ target: 22, id_client: 4, ops: [{ id: 18, nom: 'Carol Petit', groupes: [15] }] });
      expect((await publishHttp(s.url, 4, uiLogin(18))).body).toEqual({ cpt: 1 });
    } finally {
      await s.close();
    }
  }, 60_000);
});

describe('importAccountFile', () => {
  it('is idempotent, and a changed password or name is a change', async () => {
    const t = fresh();
    expect(await importIn(t.data, ACME)).toEqual({ accountId: 3, changed: true });
    const before = dump(t.data);
    expect(await importIn(t.data, ACME)).toEqual({ accountId: 3, changed: false });
    expect(dump(t.data)).toEqual(before);

    const renamed = acme();
    renamed.pauses[0].label = 'Lunch break';
    expect(await importIn(t.data, t.file('renamed.json', renamed))).toEqual({ accountId: 3, changed: true });
    expect(JSON.parse(dump(t.data).accounts[0]!.directory).pauses).toEqual([{ id: 1, label: 'Lunch break' }]);

    const newPassword = acme();
    newPassword.supervisors[0].password = 'new-secret';
    const path = t.file('pw.json', newPassword);
    expect(await importIn(t.data, path)).toEqual({ accountId: 3, changed: true });
    const hash = dump(t.data).supervisors[0]!.password_hash;
    expect(hash).not.toBe(before.supervisors[0]!.password_hash);
    expect(await importIn(t.data, path)).toEqual({ accountId: 3, changed: false });
    expect(dump(t.data).supervisors[0]!.password_hash).toBe(hash);
  });

  it('checks the new password against the server: old refused, new accepted', async () => {
    const t = fresh();
    await importIn(t.data, ACME);
    const changed = acme();
    changed.supervisors[0].password = 'rotated';
    await importIn(t.data, t.file('rotated.json', changed));
    const s = await startTestServer([], { dataDir: t.data });
    try {
      expect((await wsInit(s.url, 'sup', 'secret')).status).toBe(401);
      expect((await wsInit(s.url, 'sup', 'rotated')).status).toBe(200);
    } finally {
      await s.close({ keepData: true });
    }
  });

  it('accepts YAML, the same account as the JSON file', async () => {
    const t = fresh();
    const yaml = t.file('acme.yaml', `# Acme, in YAML\n${toYaml(acme())}`);
    expect(readFileSync(yaml, 'utf8')).toMatch(/^account:\n {2}id: 3/m);
    expect(await importIn(t.data, yaml)).toEqual({ accountId: 3, changed: true });
    const viaYaml = dump(t.data);
    // The JSON file describes exactly the same account.
    expect(await importIn(t.data, ACME)).toEqual({ accountId: 3, changed: false });
    expect(dump(t.data)).toEqual(viaYaml);
    const hand = t.file(
      'hand.yml',
      [
        'account: {id: 50, name: Initech}',
        'groups:',
        '  - {id: 500, name: Helpdesk}',
        'operators:',
        '  - id: 501',
        '    name: Peter Gibbons',
        '    groups: [500]',
        'supervisors:',
        '  - {id: 502, login: lumbergh, password: "tps-reports"}',
        '',
      ].join('\n'),
    );
    expect(await importIn(t.data, hand)).toEqual({ accountId: 50, changed: true });
    const store = createSqliteStore(t.data);
    try {
      expect(await store.directory.getDirectory(50)).toMatchObject({ operators: [{ id: 501, name: 'Peter Gibbons', groups: [500] }] });
    } finally {
      await store.close();
    }
  });

  describe('all or nothing: a bad file writes nothing and names the entry and field', () => {
    const cases: [string, (f: Record<string, any>) => unknown, RegExp][] = [
      ['an operator in a missing group', (f) => (f.operators[1].groups = [6, 66]), /^operators\[1\]\.groups\[1\]: .*66/],
      ['a duplicate operator id', (f) => (f.operators[1].id = 8), /^operators\[1\]\.id: duplicate id 8 \(also operators\[0\]\)/],
      ['a duplicate group id', (f) => f.groups.push({ id: 5, name: 'Again' }), /^groups\[2\]\.id: duplicate id 5/],
      ['an id of the wrong type', (f) => (f.operators[0].id = '8'), /^operators\[0\]\.id\b/],
      ['a negative id', (f) => (f.trunks[0].id = -2), /^trunks\[0\]\.id\b/],
      ['a name of the wrong type', (f) => (f.groups[0].name = 5), /^groups\[0\]\.name\b/],
      ['groups that are not a list', (f) => (f.operators[0].groups = 5), /^operators\[0\]\.groups\b/],
      ['a number routed to a missing group', (f) => (f.numbers[0].route = { type: 'group', id: 99 }), /^numbers\[0\]\.route\.id: .*99/],
      ['a number with a bad service', (f) => (f.numbers[0].service = '+33 8 20'), /^numbers\[0\]\.service\b/],
      ['a new supervisor without a password', (f) => f.supervisors.push({ id: 13, login: 'new-sup' }), /^supervisors\[1\]\.password: required/],
      ['a new api user without a password', (f) => f.api_users.push({ login: 'new-api' }), /^api_users\[1\]\.password: required/],
      ['a duplicate api login', (f) => f.api_users.push({ login: 'api', password: 'x' }), /^api_users\[1\]\.login: duplicate/],
      ['no account', (f) => delete f.account, /account/],
    ];
    for (const [what, mutate, message] of cases) {
      it(`refuses ${what}`, async () => {
        const t = fresh();
        await importIn(t.data, ACME);
        const before = dump(t.data);
        const f = acme();
        if (f.account) f.account.name = 'Changed too';
        mutate(f);
        const e = await importError(t.data, t.file('bad.json', f));
        expect(e.code).toBe('INVALID_ACCOUNT_FILE');
        expect(e.message).toMatch(message);
        expect(dump(t.data)).toEqual(before);
      });
    }

    it('refuses a file that is neither JSON nor YAML, and a missing file', async () => {
      const t = fresh();
      await importIn(t.data, ACME);
      const before = dump(t.data);
      const e = await importError(t.data, t.file('garbage.json', '{"account": {"id": 3,, ]'));
      expect(e.code).toBe('INVALID_ACCOUNT_FILE');
      expect(e.message).toMatch(/garbage\.json: not valid JSON or YAML/);
      expect((await importError(t.data, t.path('no-such-file.json'))).message).toMatch(/no-such-file\.json: cannot read/);
      expect((await importError(t.data, t.file('list.json', '[1, 2]'))).code).toBe('INVALID_ACCOUNT_FILE');
      expect(dump(t.data)).toEqual(before);
    });

    it('creates no account when a new account file is bad', async () => {
      const t = fresh();
      await importIn(t.data, ACME);
      const before = dump(t.data);
      const g = JSON.parse(readFileSync(GLOBEX, 'utf8'));
      g.operators[0].groups = [16];
      const e = await importError(t.data, t.file('globex-bad.json', g));
      expect(e.message).toMatch(/^operators\[0\]\.groups\[0\]/);
      expect(dump(t.data)).toEqual(before);
    });
  });

  it('refuses an id or login owned by another account, writing nothing', async () => {
    const t = fresh();
    await importIn(t.data, ACME);
    await importIn(t.data, GLOBEX);
    const before = dump(t.data);

    const g = JSON.parse(readFileSync(GLOBEX, 'utf8'));
    g.operators.push({ id: 9, name: 'Bob Durand', groups: [15] }); // operator 9 is Acme's
    let e = await importError(t.data, t.file('steal-op.json', g));
    expect(e.code).toBe('ID_OWNED_BY_OTHER_ACCOUNT');
    expect(e.message).toMatch(/^operators\[1\]\.id: .*9.*account 3/);
    expect(dump(t.data)).toEqual(before);

    const g2 = JSON.parse(readFileSync(GLOBEX, 'utf8'));
    g2.numbers[0].id = 31; // Acme's number
    e = await importError(t.data, t.file('steal-num.json', g2));
    expect(e.code).toBe('ID_OWNED_BY_OTHER_ACCOUNT');
    expect(e.message).toMatch(/^numbers\[0\]\.id/);

    const g3 = JSON.parse(readFileSync(GLOBEX, 'utf8'));
    g3.supervisors[0].login = 'sup'; // Acme's supervisor login
    e = await importError(t.data, t.file('steal-login.json', g3));
    expect(e.code).toBe('ID_OWNED_BY_OTHER_ACCOUNT');
    expect(e.message).toMatch(/^supervisors\[0\]\.login/);

    // A brand-new account that reuses an id creates nothing.
    const initech = { account: { id: 60, name: 'Initech' }, groups: [{ id: 5, name: 'Sales' }] };
    e = await importError(t.data, t.file('initech.json', initech));
    expect(e.code).toBe('ID_OWNED_BY_OTHER_ACCOUNT');
    expect(e.message).toMatch(/^groups\[0\]\.id/);
    expect(dump(t.data)).toEqual(before);

    // Once Acme drops operator 9, Globex may take it.
    const a = acme();
    a.operators = a.operators.filter((o: { id: number }) => o.id !== 9);
    expect((await importIn(t.data, t.file('acme-without-9.json', a))).changed).toBe(true);
    expect(await importIn(t.data, t.file('globex-with-9.json', g))).toEqual({ accountId: 4, changed: true });
  });

  it('round-trips through a YAML export (what vm export --format yaml writes)', async () => {
    const t = fresh();
    await importIn(t.data, ACME);
    const before = dump(t.data);
    const store = createSqliteStore(t.data);
    const yaml = formatDirectory((await store.directory.getDirectory(3))!, 'yaml');
    await store.close();
    expect(yaml).not.toMatch(/password|secret/);
    const back = fromYaml(yaml);
    back.supervisors[0].password = 'secret';
    back.api_users[0].password = 'secret2';
    expect(await importIn(t.data, t.file('back.yaml', toYaml(back)))).toEqual({ accountId: 3, changed: false });
    expect(dump(t.data)).toEqual(before);
  });
});
