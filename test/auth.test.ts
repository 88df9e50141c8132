// Authentication over real HTTP and real Socket.IO clients: POST /ws/ (init, refresh_token)
// and POST /vm/token exactly as PROTOCOL §2–3 pin them down — answer shapes, the error
// shape, throttling, 2-hour expiry (injected clock), IP binding, refresh overlap, and
// tokens that survive a restart.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { ManualClock } from '../src/clock.ts';
import { disconnected } from './helpers/clients.ts';
import { closedAfterEach } from './helpers/per-test.ts';
import { http, publishHttp, startTestServer, uiLogin, vmToken, wsInit, wsRefresh } from './helpers/server.ts';

const TWO_HOURS = 2 * 3600 * 1000;
const EXPIRE_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/;

const { server, client } = closedAfterEach();

/** Runs the guide's own curl command (§3.1) against the server; resolves with status and body. */
function curl(args: string[]): Promise<{ status: number; contentType: string; body: unknown }> {
  return new Promise((resolve, reject) => {
    const p = spawn('curl', ['-s', '-w', '\n%{http_code} %{content_type}', ...args]);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    p.on('error', reject);
    p.on('close', () => {
      const nl = out.lastIndexOf('\n');
      const [status, contentType] = out.slice(nl + 1).split(' ');
      resolve({ status: Number(status), contentType: contentType ?? '', body: JSON.parse(out.slice(0, nl)) });
    });
  });
}

/** Checks that an `expire` string is `ms` milliseconds after a moment between `from` and `to` (the request's span). */
function expectExpireWithin(expire: string, from: number, to: number, ms: number) {
  expect(expire).toMatch(EXPIRE_RE);
  const at = Date.parse(expire);
  expect(at).toBeGreaterThanOrEqual(from + ms);
  expect(at).toBeLessThanOrEqual(to + ms);
}

describe('POST /ws/ init', () => {
  it('answers the guide curl request with the directory, target, id_client, expire and a random token', async () => {
    const s = await server();
    const xjson = JSON.stringify({ requete: 'init', header: { login: 'sup', password: 'secret', account_type: 'supervisor' }, msg: {} });
    const before = Date.now();
    const res = await curl(['-X', 'POST', '-H', `X-JSON: ${xjson}`, `${s.url}/ws/`]);
    const after = Date.now();
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^application\/json/);
    const body = res.body as Record<string, unknown>;
    expect(body.ops).toEqual([
      { id: 8, nom: 'Alice Martin', groupes: [5] },
      { id: 9, nom: 'Bob Durand', groupes: [5, 6] },
    ]);
    expect(body.groupes).toEqual([
      { id: 5, nom: 'Sales' },
      { id: 6, nom: 'Support' },
    ]);
    expect(body.trunks).toEqual([{ id: 2, nom: 'Night forward' }]);
    expect(body.pauses).toEqual([{ id: 1, value: 'Lunch' }]);
    expect(body.target).toBe(12);
    expect(body.id_client).toBe(3);
    expectExpireWithin(body.expire as string, before, after, TWO_HOURS);
    // >= 128 bits of randomness: at least 22 base64url characters, and never the same twice.
    expect(body.id_session).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    const again = await wsInit(s.url, 'sup', 'secret');
    expect(again.status).toBe(200);
    expect(again.body.id_session).not.toBe(body.id_session);

    // The token it gave works for the socket, as the guide's init.
    const c = client(s.url);
    const ack = await c.init('supervisor', body.target, body.id_session);
    expect(ack).toMatchObject({ ok: true, id_client: 3 });
  });

  it('accepts count_type as an alias of account_type, and refuses other account types', async () => {
    const s = await server();
    const res = await wsInit(s.url, 'sup', 'secret', { field: 'count_type' });
    expect(res.status).toBe(200);
    expect(res.body.target).toBe(12);
    const api = await http(`${s.url}/ws/`, {
      method: 'POST',
      headers: { 'X-JSON': JSON.stringify({ requete: 'init', header: { login: 'sup', password: 'secret', count_type: 'api' }, msg: {} }) },
    });
    expect(api.status).toBe(400);
    expect(api.body).toEqual({ error: 'BAD_ACCOUNT_TYPE', message: expect.any(String) });
  });

  it('gives the same 401 body for a bad password and an unknown login, with no hint', async () => {
    const s = await server();
    const badPassword = await wsInit(s.url, 'sup', 'wrong');
    const unknownLogin = await wsInit(s.url, 'nobody', 'secret');
    for (const r of [badPassword, unknownLogin]) {
      expect(r.status).toBe(401);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(r.body).sort()).toEqual(['error', 'message']);
    }
    expect(badPassword.body).toEqual(unknownLogin.body);
    expect(badPassword.body.error).toBe('BAD_CREDENTIALS');
    expect(JSON.stringify(badPassword.body)).not.toMatch(/stack|at .*\.ts/);
    // The API user login endpoint behaves the same way.
    const apiBad = await vmToken(s.url, 'api', 'wrong', { user_type: 'api' });
    const apiUnknown = await vmToken(s.url, 'nobody', 'secret2', { user_type: 'api' });
    expect(apiBad.status).toBe(401);
    expect(apiBad.body).toEqual(apiUnknown.body);
  });
});

describe('throttling failed logins', () => {
  it('answers 429 with Retry-After after repeated failures for one login; other logins still work', async () => {
    const s = await server(['acme.json', 'globex.json'], { throttle: { perLogin: 3, perIp: 1000 } });
    for (let i = 0; i < 3; i++) expect((await wsInit(s.url, 'sup', `wrong${i}`)).status).toBe(401);
    const blocked = await wsInit(s.url, 'sup', 'secret'); // even the right password
    expect(blocked.status).toBe(429);
    expect(blocked.body).toEqual({ error: 'TOO_MANY_ATTEMPTS', message: expect.any(String) });
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    // Another login from the same IP is not affected.
    expect((await wsInit(s.url, 'globex-sup', 'g-secret')).status).toBe(200);
    expect((await vmToken(s.url, 'api', 'secret2', { user_type: 'api' })).status).toBe(200);
  });

  it('answers 429 after repeated failures from one IP; another IP still works', async () => {
    const s = await server(['acme.json'], { throttle: { perLogin: 1000, perIp: 4 } });
    for (let i = 0; i < 4; i++) expect((await wsInit(s.url, `user${i}`, 'x')).status).toBe(401);
    const blocked = await wsInit(s.url, 'sup', 'secret');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    const blockedApi = await vmToken(s.url, 'api', 'secret2', { user_type: 'api' });
    expect(blockedApi.status).toBe(429);
    const other = await wsInit(s.url, 'sup', 'secret', { localAddress: '127.0.0.2' });
    expect(other.status).toBe(200);
  });

  it('cuts a burst of concurrent guesses at the limit, and successful logins do not count', async () => {
    const s = await server(['acme.json'], { throttle: { perLogin: 3, perIp: 5 } });
    // Successful logins from the IP are not failures: more than perIp of them all pass.
    for (let i = 0; i < 7; i++) expect((await wsInit(s.url, 'sup', 'secret')).status).toBe(200);
    const answers = await Promise.all(Array.from({ length: 40 }, () => wsInit(s.url, 'sup', 'guess')));
    const statuses = answers.map((r) => r.status);
    // Only 3 guesses get a verdict, however many arrive at once.
    expect(statuses.filter((x) => x === 401)).toHaveLength(3);
    expect(statuses.filter((x) => x === 429)).toHaveLength(37);
  });

  it('lifts the block when the window has passed (injected clock)', async () => {
    const clock = new ManualClock();
    const s = await server(['acme.json'], { clock, throttle: { perLogin: 2, perIp: 1000, windowMs: 60_000 } });
    for (let i = 0; i < 2; i++) expect((await wsInit(s.url, 'sup', 'bad')).status).toBe(401);
    const blocked = await wsInit(s.url, 'sup', 'secret');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBe(60);
    clock.advance(60_001);
    expect((await wsInit(s.url, 'sup', 'secret')).status).toBe(200);
  });
});

describe('token lifetime', () => {
  it('refuses a token at its 2-hour expiry for socket init and for refresh (injected clock)', async () => {
    const clock = new ManualClock();
    const s = await server(['acme.json'], { clock });
    const login = await wsInit(s.url, 'sup', 'secret');
    expect(login.status).toBe(200);
    expect(login.body.expire).toBe(new Date(clock.now() + TWO_HOURS).toISOString().replace('Z', '000+00:00'));
    const token = login.body.id_session as string;

    clock.advance(TWO_HOURS - 1000); // one second left: still good
    const early = client(s.url);
    expect(await early.init('supervisor', 12, token)).toMatchObject({ ok: true });

    clock.advance(1000); // expired
    const late = client(s.url);
    const ack = await late.init('supervisor', 12, token);
    expect(ack).toMatchObject({ ok: false, error: 'TOKEN_INVALID' });
    expect(await late.waitForError()).toEqual({ error: 'TOKEN_INVALID', message: expect.any(String) });
    await disconnected(late);

    const refresh = await wsRefresh(s.url, token);
    expect(refresh.status).toBe(401);
    expect(refresh.body).toEqual({ error: 'TOKEN_INVALID', message: expect.any(String) });

    // The socket opened in time is not cut at expiry: it still receives.
    await publishHttp(s.url, 3, uiLogin(8));
    const [u] = await early.waitFor(1);
    expect(u!.event).toMatchObject({ type_notification: 'UI', event: 'login' });
  });

  it('refresh gives a new token; the old one works until its own expiry; an open socket receives across it', async () => {
    const clock = new ManualClock();
    const s = await server(['acme.json'], { clock });
    const old = (await wsInit(s.url, 'sup', 'secret')).body.id_session as string;
    const oldExpiry = clock.now() + TWO_HOURS;
    const sock = client(s.url);
    expect(await sock.init('supervisor', 12, old)).toMatchObject({ ok: true });
    expect((await publishHttp(s.url, 3, uiLogin(8))).body).toEqual({ cpt: 1 });

    clock.advance(90 * 60_000);
    // The guide's refresh curl shape.
    const xjson = JSON.stringify({ requete: 'refresh_token', header: { id_session: old }, msg: {} });
    const refreshed = await curl(['-X', 'POST', '-H', `X-JSON: ${xjson}`, `${s.url}/ws/`]);
    expect(refreshed.status).toBe(200);
    const body = refreshed.body as { id_session: string; expire: string };
    expect(Object.keys(body).sort()).toEqual(['expire', 'id_session']);
    expect(body.id_session).not.toBe(old);
    expect(body.expire).toMatch(EXPIRE_RE);
    expect(Date.parse(body.expire)).toBe(clock.now() + TWO_HOURS);

    expect((await publishHttp(s.url, 3, uiLogin(9))).body).toEqual({ cpt: 2 });
    const got = await sock.waitFor(2);
    expect(got.map((u) => u.cpt)).toEqual([1, 2]);

    // Both tokens work now.
    const a = client(s.url);
    const b = client(s.url);
    expect(await a.init('supervisor', 12, old)).toMatchObject({ ok: true });
    expect(await b.init('supervisor', 12, body.id_session)).toMatchObject({ ok: true });

    // Past the old token's expiry: old refused, new still good, and the open socket still receives.
    clock.set(oldExpiry);
    const c = client(s.url);
    expect(await c.init('supervisor', 12, old)).toMatchObject({ ok: false, error: 'TOKEN_INVALID' });
    const d = client(s.url);
    expect(await d.init('supervisor', 12, body.id_session)).toMatchObject({ ok: true });
    expect((await wsRefresh(s.url, body.id_session)).status).toBe(200);
    await publishHttp(s.url, 3, uiLogin(8));
    expect((await sock.waitFor(3)).map((u) => u.cpt)).toEqual([1, 2, 3]);
    expect((await d.waitFor(1))[0]!.cpt).toBe(3);
  });
});

describe('IP binding', () => {
  it('refuses a token from 127.0.0.1 used from 127.0.0.2, for refresh and for socket init', async () => {
    const s = await server();
    const token = (await wsInit(s.url, 'sup', 'secret')).body.id_session as string;

    const refresh = await wsRefresh(s.url, token, '127.0.0.2');
    expect(refresh.status).toBe(401);
    expect(refresh.body).toEqual({ error: 'TOKEN_IP_MISMATCH', message: expect.any(String) });

    const foreign = client(s.url, { localAddress: '127.0.0.2' });
    const ack = await foreign.init('supervisor', 12, token);
    expect(ack).toMatchObject({ ok: false, error: 'TOKEN_IP_MISMATCH' });
    expect((await foreign.waitForError()).error).toBe('TOKEN_IP_MISMATCH');
    await disconnected(foreign);

    // The same token from its own address still works for both.
    expect((await wsRefresh(s.url, token)).status).toBe(200);
    const home = client(s.url);
    expect(await home.init('supervisor', 12, token)).toMatchObject({ ok: true });

    // And an api token obeys the same rule.
    const api = (await vmToken(s.url, 'api', 'secret2', { user_type: 'api' }, '127.0.0.2')).body.id_session as string;
    const wrong = client(s.url);
    expect(await wrong.init('api', 3, api)).toMatchObject({ ok: false, error: 'TOKEN_IP_MISMATCH' });
    const right = client(s.url, { localAddress: '127.0.0.2' });
    expect(await right.init('api', 3, api)).toMatchObject({ ok: true, id_client: 3 });
  });
});

describe('POST /vm/token', () => {
  it('gives an api token for the whole account', async () => {
    const s = await server();
    const before = Date.now();
    const res = await vmToken(s.url, 'api', 'secret2', { user_type: 'api' });
    const after = Date.now();
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['expire', 'id_client', 'id_session', 'user_type']);
    expect(res.body).toMatchObject({ id_client: 3, user_type: 'api' });
    expectExpireWithin(res.body.expire, before, after, TWO_HOURS);
    expect(res.body.id_session).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    const c = client(s.url);
    expect(await c.init('api', 3, res.body.id_session)).toMatchObject({ ok: true, id_client: 3 });
    await publishHttp(s.url, 3, uiLogin(8));
    await publishHttp(s.url, 3, uiLogin(9));
    expect((await c.waitFor(2)).map((u) => (u.event.msg as { id_operator?: number }).id_operator)).toEqual([8, 9]);
  });

  it('gives an agent token that sees one operator only', async () => {
    const s = await server();
    const res = await vmToken(s.url, 'api', 'secret2', { user_type: 'agent', id_operator: 8 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id_client: 3, user_type: 'agent', id_operator: 8 });
    const c = client(s.url);
    expect(await c.init('agent', 8, res.body.id_session)).toMatchObject({ ok: true, id_client: 3 });
    // The agent token is for operator 8: init for operator 9 is refused.
    const other = client(s.url);
    expect(await other.init('agent', 9, res.body.id_session)).toMatchObject({ ok: false, error: 'INIT_BAD_TARGET' });
    await publishHttp(s.url, 3, uiLogin(9));
    await publishHttp(s.url, 3, uiLogin(8));
    const [u] = await c.waitFor(1);
    expect(u).toMatchObject({ cpt: 2, event: { msg: { id_operator: 8 } } });
    // A string id_operator (the guide's examples show strings) is accepted too.
    const str = await vmToken(s.url, 'api', 'secret2', { user_type: 'agent', id_operator: '9' });
    expect(str.status).toBe(200);
    expect(str.body.id_operator).toBe(9);
  });

  it('refuses an unknown operator, a missing id_operator and a missing Basic auth clearly', async () => {
    const s = await server(['acme.json', 'globex.json']);
    const unknown = await vmToken(s.url, 'api', 'secret2', { user_type: 'agent', id_operator: 777 });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({ error: 'UNKNOWN_OPERATOR', message: expect.stringContaining('777') });
    // Operator 18 exists, but in another account.
    const foreign = await vmToken(s.url, 'api', 'secret2', { user_type: 'agent', id_operator: 18 });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error).toBe('UNKNOWN_OPERATOR');

    const missing = await vmToken(s.url, 'api', 'secret2', { user_type: 'agent' });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ error: 'INVALID_FIELD', message: expect.stringContaining('id_operator') });

    const noAuth = await http(`${s.url}/vm/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_type: 'api' }),
    });
    expect(noAuth.status).toBe(401);
    expect(noAuth.body).toEqual({ error: 'AUTH_REQUIRED', message: expect.any(String) });
    // A supervisor's credentials are not an API user's.
    const sup = await vmToken(s.url, 'sup', 'secret', { user_type: 'api' });
    expect(sup.status).toBe(401);
  });

  it('refreshes api tokens through POST /ws/ refresh_token, keeping the kind', async () => {
    const s = await server();
    const api = (await vmToken(s.url, 'api', 'secret2', { user_type: 'agent', id_operator: 9 })).body.id_session as string;
    const r = await wsRefresh(s.url, api);
    expect(r.status).toBe(200);
    const c = client(s.url);
    expect(await c.init('agent', 9, r.body.id_session)).toMatchObject({ ok: true });
  });
});

describe('tokens across a restart', () => {
  it('keeps issued tokens valid after the server restarts on the same data directory', async () => {
    const first = await startTestServer(['acme.json']);
    const sup = (await wsInit(first.url, 'sup', 'secret')).body.id_session as string;
    const api = (await vmToken(first.url, 'api', 'secret2', { user_type: 'api' })).body.id_session as string;
    await first.close({ keepData: true });

    const second = await server([], { dataDir: first.dataDir });
    expect(second.port).not.toBe(0);
    const a = client(second.url);
    expect(await a.init('supervisor', 12, sup)).toMatchObject({ ok: true, id_client: 3 });
    const b = client(second.url);
    expect(await b.init('api', 3, api)).toMatchObject({ ok: true, id_client: 3 });
    expect((await wsRefresh(second.url, sup)).status).toBe(200);
    // A token never issued is still refused.
    const c = client(second.url);
    expect(await c.init('supervisor', 12, 'A'.repeat(43))).toMatchObject({ ok: false, error: 'TOKEN_INVALID' });
  });
});
