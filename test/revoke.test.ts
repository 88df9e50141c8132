// Token revocation on a real server with real socket.io clients: a password changed or a
// user removed by a re-import (the real `vm import`, or an import through another store
// connection as another process would), a logout (DELETE /vm/token/<id_session>) and
// `vm token revoke` each refuse the old tokens everywhere (init, /api/v1/realtime, call
// control, refresh_token) and close the sockets opened with them (init_error TOKEN_REVOKED),
// while other users' sockets stay. The SDK logs in again after a logout, and stops with one
// clean fatal error when its password no longer works.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as sdkConnect, VmClientError, type StateChange, type Update as SdkUpdate } from '../packages/client/src/index.ts';
import Database from 'better-sqlite3';
import { createSqliteStore } from '../src/store/sqlite/index.ts';
import { hashToken } from '../src/auth/service.ts';
import { importAccountFile } from '../src/cli/directory.ts';
import { ADMIN_TOKEN, FIXTURES, http, publishHttp, startTestServer, uiLogin, vmToken, wsInit, wsRefresh, type TestServer } from './helpers/server.ts';
import { connect, disconnected, type TestClient } from './helpers/clients.ts';
import { eventually, vmCli } from './helpers/cli.ts';

const ACCOUNT = 3;
const acme = () => JSON.parse(readFileSync(FIXTURES + 'acme.json', 'utf8')) as Record<string, any>;

const servers: TestServer[] = [];
const sockets: TestClient[] = [];
afterEach(async () => {
  for (const c of sockets.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

async function server(): Promise<TestServer> {
  const s = await startTestServer(['acme.json'], { changeWatchMs: 100 });
  servers.push(s);
  return s;
}

function writeAccount(s: TestServer, name: string, file: object): string {
  const path = join(s.dataDir, '..', `${name}-${process.pid}-${servers.length}.json`);
  writeFileSync(path, JSON.stringify(file));
  return path;
}

/** Imports through a second store connection, as `vm import` in another process does. */
async function importElsewhere(s: TestServer, name: string, file: object): Promise<void> {
  const store = createSqliteStore(s.dataDir);
  try {
    expect(await importAccountFile(store, writeAccount(s, name, file))).toMatchObject({ changed: true });
  } finally {
    await store.close();
  }
}

/** A stream socket initialised with a token; resolves once live. */
async function stream(s: TestServer, kind: 'supervisor' | 'api' | 'agent', target: number, token: string): Promise<TestClient> {
  const c = connect(s.url);
  sockets.push(c);
  expect(await c.init(kind, target, token)).toMatchObject({ ok: true });
  return c;
}

/** Publishes a marker event and waits until `c` has it: the socket is still served. */
async function stillServed(s: TestServer, c: TestClient, op: number): Promise<void> {
  const before = c.updates.length;
  expect((await publishHttp(s.url, ACCOUNT, uiLogin(op))).status).toBe(200);
  await c.waitFor(before + 1);
}

/** Every place a token is used, with what it answers. */
async function uses(s: TestServer, token: string) {
  const probe = connect(s.url);
  sockets.push(probe);
  const kind = (await http(`${s.url}/api/v1/realtime`, { headers: { authorization: `Bearer ${token}` } })).body;
  return {
    init: await probe.init('supervisor', 12, token),
    realtime: kind,
    control: (await http(`${s.url}/api/v1/accounts/${ACCOUNT}/operators/8/login`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' })).body,
    refresh: (await wsRefresh(s.url, token)).body,
  };
}

const revokedEverywhere = {
  init: { ok: false, error: 'TOKEN_REVOKED', message: expect.any(String) },
  realtime: { error: 'TOKEN_REVOKED', message: expect.any(String) },
  control: { error: 'TOKEN_REVOKED', message: expect.any(String) },
  refresh: { error: 'TOKEN_REVOKED', message: expect.any(String) },
};

describe('revocation by re-import', () => {
  it('a changed supervisor password (vm import) revokes every token of that supervisor and closes their sockets', async () => {
    const s = await server();
    const login = await wsInit(s.url, 'sup', 'secret');
    const token = login.body.id_session as string;
    const refreshed = (await wsRefresh(s.url, token)).body.id_session as string;
    const onOld = await stream(s, 'supervisor', 12, token);
    const onRefreshed = await stream(s, 'supervisor', 12, refreshed);
    const api = await stream(s, 'api', ACCOUNT, (await vmToken(s.url, 'api', 'secret2', { user_type: 'api' })).body.id_session);
    // Before: the token works everywhere.
    expect((await http(`${s.url}/api/v1/realtime`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);

    const file = acme();
    file.supervisors[0].password = 'a-new-secret';
    const r = await vmCli('import', writeAccount(s, 'acme-newpw', file), '--data', s.dataDir);
    expect(r).toMatchObject({ code: 0, stderr: '' });

    for (const c of [onOld, onRefreshed]) {
      expect(await c.waitForError(15_000)).toEqual({ error: 'TOKEN_REVOKED', message: expect.stringMatching(/revoked/) });
      await disconnected(c);
    }
    await stillServed(s, api, 8);
    expect(await uses(s, token)).toEqual(revokedEverywhere);
    expect(await uses(s, refreshed)).toEqual(revokedEverywhere);
    expect((await wsInit(s.url, 'sup', 'secret')).body.error).toBe('BAD_CREDENTIALS');
    expect((await wsInit(s.url, 'sup', 'a-new-secret')).status).toBe(200);
  }, 90_000);

  it('re-importing the same password revokes nothing', async () => {
    const s = await server();
    const token = (await wsInit(s.url, 'sup', 'secret')).body.id_session as string;
    const c = await stream(s, 'supervisor', 12, token);
    const file = acme();
    file.account.name = 'Acme renamed';
    file.operators.push({ id: 10, name: 'Carol New', groups: [5] });
    await importElsewhere(s, 'acme-renamed', file);
    // The server applied it (the new operator can log in) and finished that check …
    await eventually('the re-import to be applied', async () =>
      (await http(`${s.url}/api/v1/accounts/${ACCOUNT}/operators/10/login`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: '{}' })).status === 200 ? true : undefined,
    );
    await s.app.services.changes!.check();
    // … and the unchanged supervisor's socket and token still work.
    await stillServed(s, c, 9);
    expect((await http(`${s.url}/api/v1/realtime`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect(c.errors).toEqual([]);
  });

  it('removing an operator revokes agent tokens for it; removing an API user revokes its api and agent tokens and its Basic auth', async () => {
    const s = await server();
    const agent8 = (await vmToken(s.url, 'api', 'secret2', { user_type: 'agent', id_operator: 8 })).body.id_session as string;
    const agent9 = (await vmToken(s.url, 'api', 'secret2', { user_type: 'agent', id_operator: 9 })).body.id_session as string;
    const apiToken = (await vmToken(s.url, 'api', 'secret2', { user_type: 'api' })).body.id_session as string;
    const s8 = await stream(s, 'agent', 8, agent8);
    const s9 = await stream(s, 'agent', 9, agent9);
    const sApi = await stream(s, 'api', ACCOUNT, apiToken);
    const basic = { authorization: `Basic ${Buffer.from('api:secret2').toString('base64')}` };
    expect((await http(`${s.url}/vm/operators`, { headers: basic })).status).toBe(200);

    const noAlice = acme();
    noAlice.operators = noAlice.operators.filter((o: { id: number }) => o.id !== 8);
    await importElsewhere(s, 'acme-no-alice', noAlice);
    expect(await s8.waitForError(15_000)).toMatchObject({ error: 'TOKEN_REVOKED' });
    await disconnected(s8);
    await stillServed(s, s9, 9);
    await stillServed(s, sApi, 9);
    const again = connect(s.url);
    sockets.push(again);
    expect(await again.init('agent', 8, agent8)).toMatchObject({ ok: false, error: 'TOKEN_REVOKED' });

    const noApi = { ...noAlice, api_users: [{ login: 'api-other', password: 'other-secret' }] };
    await importElsewhere(s, 'acme-no-api', noApi);
    for (const c of [s9, sApi]) {
      expect(await c.waitForError(15_000)).toMatchObject({ error: 'TOKEN_REVOKED' });
      await disconnected(c);
    }
    expect((await http(`${s.url}/api/v1/realtime`, { headers: { authorization: `Bearer ${apiToken}` } })).body.error).toBe('TOKEN_REVOKED');
    expect((await wsRefresh(s.url, apiToken)).body.error).toBe('TOKEN_REVOKED');
    expect((await wsRefresh(s.url, agent9)).body.error).toBe('TOKEN_REVOKED');
    // The REST API's remembered Basic success ends with the user.
    expect((await http(`${s.url}/vm/operators`, { headers: basic })).body.error).toBe('BAD_CREDENTIALS');
  });
});

describe('tokens issued before revocation existed (an upgraded data directory)', () => {
  it('live out their expiry but cannot be refreshed past a revocation; revoking the account ends them', async () => {
    const s = await server();
    const legacy = 'legacy-token-from-an-older-version';
    const db = new Database(join(s.dataDir, 'vm.sqlite'));
    try {
      // The row as the older version wrote it: no login, no credential fingerprint.
      db.prepare('INSERT INTO tokens (hash, kind, account_id, subject, ip, expires_at) VALUES (?, ?, ?, ?, ?, ?)').run(hashToken(legacy), 'supervisor', ACCOUNT, 12, '127.0.0.1', Date.now() + 3_600_000);
    } finally {
      db.close();
    }
    const c = await stream(s, 'supervisor', 12, legacy);
    expect((await http(`${s.url}/api/v1/realtime`, { headers: { authorization: `Bearer ${legacy}` } })).status).toBe(200);
    expect((await wsRefresh(s.url, legacy)).body).toEqual({ error: 'TOKEN_REVOKED', message: expect.stringMatching(/log in again/) });
    await importElsewhere(s, 'acme-legacy', { ...acme(), supervisors: [{ id: 12, login: 'sup', password: 'other' }] });
    const r = await vmCli('token', 'revoke', '--account', String(ACCOUNT), '--data', s.dataDir, '--json');
    expect(JSON.parse(r.stdout)).toMatchObject({ revoked: 1 });
    expect(await c.waitForError(15_000)).toMatchObject({ error: 'TOKEN_REVOKED' });
    expect((await http(`${s.url}/api/v1/realtime`, { headers: { authorization: `Bearer ${legacy}` } })).body.error).toBe('TOKEN_REVOKED');
  }, 90_000);
});

describe('logout: DELETE /vm/token/<id_session>', () => {
  it('revokes the token presented and closes its sockets; other sessions of the same user stay', async () => {
    const s = await server();
    const token = (await wsInit(s.url, 'sup', 'secret')).body.id_session as string;
    const other = (await wsInit(s.url, 'sup', 'secret')).body.id_session as string;
    const c = await stream(s, 'supervisor', 12, token);
    // A Socket.IO v2 client on long-polling, on the same token.
    const polling = connect(s.url, { version: 'v2', transports: ['polling'] });
    sockets.push(polling);
    expect(await polling.init('supervisor', 12, token)).toMatchObject({ ok: true });
    const kept = await stream(s, 'supervisor', 12, other);
    const del = (t: string, localAddress?: string) => http(`${s.url}/vm/token/${encodeURIComponent(t)}`, { method: 'DELETE', ...(localAddress ? { localAddress } : {}) });

    expect((await del('not-a-token')).body).toEqual({ error: 'TOKEN_INVALID', message: expect.any(String) });
    expect((await del(token, '127.0.0.2')).body).toEqual({ error: 'TOKEN_IP_MISMATCH', message: expect.any(String) });
    expect((await http(`${s.url}/vm/token/`, { method: 'DELETE' })).body).toEqual({ error: 'NOT_FOUND', message: expect.stringMatching(/id_session/) });
    await stillServed(s, c, 8);

    const out = await del(token);
    expect(out.status).toBe(204);
    expect(out.body).toBe('');
    for (const sock of [c, polling]) {
      expect(await sock.waitForError()).toMatchObject({ error: 'TOKEN_REVOKED' });
      await disconnected(sock);
    }
    expect(await uses(s, token)).toEqual(revokedEverywhere);
    // Idempotent: a second logout answers the same.
    expect((await del(token)).status).toBe(204);
    await stillServed(s, kept, 9);
    expect((await http(`${s.url}/api/v1/realtime`, { headers: { authorization: `Bearer ${other}` } })).status).toBe(200);
  });
});

describe('vm token revoke (CLI on the data directory of a running server)', () => {
  it('revokes one session, one user or a whole account; the server closes the sockets', async () => {
    const s = await server();
    const sup = (await wsInit(s.url, 'sup', 'secret')).body.id_session as string;
    const agent = (await vmToken(s.url, 'api', 'secret2', { user_type: 'agent', id_operator: 8 })).body.id_session as string;
    const api = (await vmToken(s.url, 'api', 'secret2', { user_type: 'api' })).body.id_session as string;
    const sSup = await stream(s, 'supervisor', 12, sup);
    const sAgent = await stream(s, 'agent', 8, agent);
    const sApi = await stream(s, 'api', ACCOUNT, api);

    const usage = await vmCli('token', 'revoke', '--data', s.dataDir);
    expect(usage.code).not.toBe(0);
    expect(usage.stderr).toContain('BAD_REQUEST');

    const one = await vmCli('token', 'revoke', '--session', agent, '--data', s.dataDir, '--json');
    expect(one.stderr).toBe('');
    expect(JSON.parse(one.stdout)).toEqual({ revoked: 1, accounts: [ACCOUNT] });
    expect(await sAgent.waitForError(15_000)).toMatchObject({ error: 'TOKEN_REVOKED' });
    await disconnected(sAgent);
    await stillServed(s, sSup, 8);

    const user = await vmCli('token', 'revoke', '--supervisor', 'sup', '--data', s.dataDir);
    expect(user).toMatchObject({ code: 0, stdout: '1 token revoked\n' });
    expect(await sSup.waitForError(15_000)).toMatchObject({ error: 'TOKEN_REVOKED' });
    await stillServed(s, sApi, 9);

    const apiUser = await vmCli('token', 'revoke', '--api-user', 'api', '--data', s.dataDir, '--json');
    expect(JSON.parse(apiUser.stdout)).toEqual({ revoked: 1, accounts: [ACCOUNT] });
    expect(await sApi.waitForError(15_000)).toMatchObject({ error: 'TOKEN_REVOKED' });
    for (const t of [sup, agent, api]) expect((await wsRefresh(s.url, t)).body.error).toBe('TOKEN_REVOKED');

    // The whole account: every live token, whoever it belongs to.
    const sup2 = (await wsInit(s.url, 'sup', 'secret')).body.id_session as string;
    const api2 = (await vmToken(s.url, 'api', 'secret2', { user_type: 'api' })).body.id_session as string;
    const sApi2 = await stream(s, 'api', ACCOUNT, api2);
    const all = await vmCli('token', 'revoke', '--account', String(ACCOUNT), '--data', s.dataDir, '--json');
    expect(JSON.parse(all.stdout)).toEqual({ revoked: 2, accounts: [ACCOUNT] });
    expect(await sApi2.waitForError(15_000)).toMatchObject({ error: 'TOKEN_REVOKED' });
    for (const t of [sup2, api2]) expect((await wsRefresh(s.url, t)).body.error).toBe('TOKEN_REVOKED');
    // Revocation ends sessions, not credentials: the users can log in again.
    expect((await wsInit(s.url, 'sup', 'secret')).status).toBe(200);
  }, 180_000);
});

describe('the SDK and a revoked token', () => {
  it('logs in again after a logout, and stops with one fatal error once its password changed', async () => {
    const s = await server();
    const client = await sdkConnect({ url: s.url, login: 'sup', password: 'secret', reconnectionDelay: 50, reconnectionDelayMax: 200 });
    const errors: VmClientError[] = [];
    const states: StateChange[] = [];
    const got: SdkUpdate[] = [];
    client.on('error', (e) => errors.push(e));
    client.on('state', (c) => states.push(c));
    client.on('event', (u) => got.push(u));
    try {
      const first = client.token!.idSession;
      expect((await http(`${s.url}/vm/token/${first}`, { method: 'DELETE' })).status).toBe(204);
      await eventually('a new login and a resumed stream', async () =>
        client.token!.idSession !== first && states.some((c) => c.state === 'live' && c.resumed) ? true : undefined,
      );
      expect(errors.map((e) => e.code)).toContain('TOKEN_REVOKED');
      expect((await publishHttp(s.url, ACCOUNT, uiLogin(8))).status).toBe(200);
      await eventually('the event after the re-login', async () => (got.length > 0 ? true : undefined));

      const file = acme();
      file.supervisors[0].password = 'changed-by-admin';
      await importElsewhere(s, 'acme-sdk', file);
      await eventually('the client to give up', async () => (client.state === 'closed' ? true : undefined));
      const fatal = errors.filter((e) => e.fatal);
      expect(fatal.map((e) => e.code)).toEqual(['BAD_CREDENTIALS']);
      // One failed login, then closed: no loop hammering the server.
      expect(errors.filter((e) => e.code === 'BAD_CREDENTIALS')).toHaveLength(1);
    } finally {
      client.close();
    }
  });
});
