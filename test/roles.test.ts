// Roles end to end, on a real server on port 0: every route of the HTTP API against every
// role (allowed: never 401/403 FORBIDDEN; refused: 403 FORBIDDEN before anything runs), the
// account, self and scope checks, an operator's own sign-in, agent tokens asked with a
// bearer token and kept alive while used, logout, and a supervisor scoped to one group who
// sees nothing of the other on the stream, the snapshot, the stats and the history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, bearerCall, http, publishHttp, startTestServer, vmToken, wsInit, type TestServer } from './helpers/server.ts';
import { connect, type TestClient } from './helpers/clients.ts';
import { until } from './helpers/until.ts';
import { credentialFingerprint, hashToken, KEEP_MAX_MS, TOKEN_TTL_MS } from '../src/auth/service.ts';
import { ManualClock } from '../src/clock.ts';
import { ROLES, type Role } from '../src/auth/principal.ts';
import type { Update } from '../src/protocol/index.ts';

const ACCOUNT = 9;
const A = `/api/v1/accounts/${ACCOUNT}`;

/** POST /ws/ as an operator (extension: account_type "operator"). */
const operatorLogin = (url: string, login: string, password: string) =>
  http(`${url}/ws/`, { method: 'POST', headers: { 'X-JSON': JSON.stringify({ requete: 'init', header: { login, password, account_type: 'operator' }, msg: {} }) } });

/** POST /vm/token with a bearer token (a CRM asking for its toolbar's agent token). */
const agentToken = (url: string, bearer: string, body: object) =>
  http(`${url}/vm/token`, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

const call = bearerCall;

/** Every route of the HTTP API that takes credentials, with the roles it takes. Bodies are such that an allowed call does no harm. */
const ROUTES: { method: string; path: string; body?: unknown; roles: Role[] }[] = [
  // The telephony side drives the engine: the platform only.
  ...[
    ['POST', `${A}/calls`, {}],
    ['POST', `${A}/calls/1/answer`, undefined],
    ['POST', `${A}/calls/1/hangup`, undefined],
    ['POST', `${A}/calls/1/ring-failed`, {}],
    ['POST', `${A}/calls/1/transfer`, {}],
    ['POST', `${A}/calls/1/ivr`, {}],
    ['POST', `${A}/events`, {}],
  ].map(([method, path, body]) => ({ method: method as string, path: path as string, body, roles: ['platform'] as Role[] })),
  // The toolbar: the operator itself (92), a supervisor, the API user, the platform.
  ...['login', 'logout', 'unpause', 'answer', 'hangup', 'reject', 'hold', 'unhold', 'end-wrapup', 'consult/complete', 'consult/cancel', 'pushes/1/accept', 'pushes/1/refuse'].map((a) => ({ method: 'POST', path: `${A}/operators/92/${a}`, roles: ['operator', 'supervisor', 'api', 'platform'] as Role[] })),
  ...['pause', 'transfer', 'consult', 'call', 'disposition'].map((a) => ({ method: 'POST', path: `${A}/operators/92/${a}`, body: {}, roles: ['operator', 'supervisor', 'api', 'platform'] as Role[] })),
  // A supervisor's hand on an operator: not the operator themself.
  ...['suspend', 'unsuspend'].map((a) => ({ method: 'POST', path: `${A}/operators/92/${a}`, body: {}, roles: ['supervisor', 'api', 'platform'] as Role[] })),
  { method: 'POST', path: `${A}/callbacks`, body: {}, roles: ['supervisor', 'api', 'platform'] },
  { method: 'DELETE', path: `${A}/callbacks/1`, roles: ['supervisor', 'api', 'platform'] },
  { method: 'GET', path: `${A}/calls`, roles: ['supervisor', 'api', 'platform'] },
  // The audit of actions on operators and calls: supervisors (their scope), the account's admins, the platform.
  { method: 'GET', path: `${A}/audit`, roles: ['supervisor', 'admin', 'platform'] },
  { method: 'GET', path: `${A}/operators/92/softphone`, roles: ['operator', 'platform'] },
  // A supervisor listening to an operator's call (no telephony here: refused past auth).
  ...['POST', 'PUT', 'DELETE'].map((method) => ({ method, path: `${A}/operators/92/listen`, ...(method === 'DELETE' ? {} : { body: { mode: 'listen' } }), roles: ['supervisor', 'admin', 'platform'] as Role[] })),
  { method: 'GET', path: `${A}/recordings/1`, roles: ['operator', 'supervisor', 'api', 'platform'] },
  { method: 'PUT', path: A, body: {}, roles: ['admin', 'platform'] },
  { method: 'GET', path: '/api/v1/realtime', roles: ['operator', 'supervisor', 'api'] },
  { method: 'GET', path: '/api/v1/me', roles: ['operator', 'supervisor', 'api', 'admin'] },
  { method: 'GET', path: '/api/v1/stats/groups', roles: ['supervisor', 'api'] },
  { method: 'GET', path: '/api/v1/stats/operators', roles: ['supervisor', 'api'] },
  { method: 'GET', path: '/api/v1/stats/series', roles: ['supervisor', 'api'] },
  { method: 'GET', path: '/vm/operators', roles: ['supervisor', 'api'] },
  { method: 'GET', path: '/vm/operators/92', roles: ['supervisor', 'api'] },
  { method: 'GET', path: '/vm/operators_init', roles: ['supervisor', 'api'] },
  { method: 'GET', path: '/vm/operators_init/92', roles: ['supervisor', 'api'] },
  ...['in', 'out', 'status'].map((d) => ({ method: 'POST', path: `/vm/calls/${d}`, body: { date: '2026-01-05' }, roles: ['supervisor', 'api'] as Role[] })),
];

let srv: TestServer;
const tokens = {} as Record<Role | 'scoped' | 'otherAccount', string>;

beforeAll(async () => {
  srv = await startTestServer(['roles.json', 'acme.json']);
  tokens.platform = ADMIN_TOKEN;
  tokens.api = (await vmToken(srv.url, 'roles-api', 'api-secret', { user_type: 'api' })).body.id_session;
  tokens.supervisor = (await wsInit(srv.url, 'roles-sup', 'sup-secret')).body.id_session;
  tokens.scoped = (await wsInit(srv.url, 'roles-sales', 'sales-secret')).body.id_session;
  tokens.operator = (await agentToken(srv.url, tokens.supervisor, { user_type: 'agent', id_operator: 92 })).body.id_session;
  tokens.otherAccount = (await vmToken(srv.url, 'api', 'secret2', { user_type: 'api' })).body.id_session;
  // Admin tokens are the admin console's to issue (next issue): one is stored as it will be.
  const sup = (await srv.app.services.store.directory.findSupervisor('roles-sup'))!;
  tokens.admin = 'an-admin-token-of-account-9-for-the-test';
  await srv.app.services.store.tokens.save({
    hash: hashToken(tokens.admin), kind: 'admin', accountId: ACCOUNT, subject: sup.id, ip: '127.0.0.1', expiresAt: Date.now() + TOKEN_TTL_MS,
    login: sup.login, cred: credentialFingerprint(sup.passwordHash), revoked: false, issuer: 'supervisor', keepUntil: 0,
  });
  for (const [k, v] of Object.entries(tokens)) expect(v, k).toEqual(expect.any(String));
});
afterAll(async () => {
  await srv.close();
});

describe('every route × every role', () => {
  it('the table names every route of the API that takes credentials', () => {
    const doc = srv.app.http.swagger() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).filter((m) => m !== 'parameters').map((m) => `${m.toUpperCase()} ${path}`),
    ).filter((r) => / \/(api|vm)\//.test(r) && !r.startsWith('POST /vm/token') && !r.startsWith('DELETE /vm/token'));
    const generic = (p: string) => p.replace(`/accounts/${ACCOUNT}`, '/accounts/{id}').replace('/operators/92/', '/operators/{op}/').replace('/calls/1/', '/calls/{call}/')
      .replace('/pushes/1/', '/pushes/{push}/').replace('/callbacks/1', '/callbacks/{push}').replace('/recordings/1', '/recordings/{id_call}').replace(/\/operators(_init)?\/92$/, '/operators$1/{id}');
    const table = new Set(ROUTES.map((r) => `${r.method} ${generic(r.path)}`));
    expect(documented.filter((r) => !table.has(r))).toEqual([]);
  });

  for (const role of ROLES) {
    it(`${role}: allowed where the table says, 403 FORBIDDEN everywhere else`, async () => {
      for (const r of ROUTES) {
        const got = await call(srv.url, tokens[role], r.method, r.path, r.body);
        const what = `${role} ${r.method} ${r.path} → ${got.status} ${JSON.stringify(got.body).slice(0, 200)}`;
        if (r.roles.includes(role)) {
          expect(got.status, what).not.toBe(401);
          expect(got.body?.error, what).not.toBe('FORBIDDEN');
        } else {
          expect(got.status, what).toBe(403);
          expect(got.body, what).toEqual({ error: 'FORBIDDEN', message: expect.any(String) });
        }
      }
    });
  }

  it('refuses another account, another operator, and an operator outside a supervisor’s groups', async () => {
    const forbidden = { status: 403, body: { error: 'FORBIDDEN' } };
    expect(await call(srv.url, tokens.otherAccount, 'POST', `${A}/operators/92/login`)).toMatchObject(forbidden);
    expect(await call(srv.url, tokens.otherAccount, 'GET', `${A}/calls`)).toMatchObject(forbidden);
    expect(await call(srv.url, tokens.operator, 'POST', `${A}/operators/93/login`)).toMatchObject(forbidden);
    expect(await call(srv.url, tokens.scoped, 'POST', `${A}/operators/93/login`)).toMatchObject(forbidden);
    expect(await call(srv.url, tokens.scoped, 'POST', `${A}/operators/93/listen`, { mode: 'listen' })).toMatchObject(forbidden);
    expect((await call(srv.url, tokens.scoped, 'POST', `${A}/operators/92/unpause`)).body.error).not.toBe('FORBIDDEN');
    expect(await call(srv.url, tokens.scoped, 'POST', `${A}/callbacks`, { e164: '33622222222', group: 91 })).toMatchObject(forbidden);
    expect(await agentToken(srv.url, tokens.scoped, { user_type: 'agent', id_operator: 93 })).toMatchObject(forbidden);
    expect(await agentToken(srv.url, tokens.operator, { user_type: 'agent', id_operator: 92 })).toMatchObject(forbidden);
    expect(await agentToken(srv.url, tokens.supervisor, { user_type: 'api' })).toMatchObject(forbidden);
    // No credentials, or a guess: 401, never a word about the body.
    expect(await http(`${srv.url}${A}/calls`, { method: 'POST' })).toMatchObject({ status: 401, body: { error: 'AUTH_REQUIRED' } });
    expect(await call(srv.url, 'a-guess', 'GET', '/api/v1/realtime')).toMatchObject({ status: 401, body: { error: 'TOKEN_INVALID' } });
    expect(await call(srv.url, 'a-guess', 'POST', `${A}/events`, {})).toMatchObject({ status: 401, body: { error: 'AUTH_REQUIRED' } });
  });

  it('an operator token reads its own state and its groups’ queues, and opens its own stream', async () => {
    const rt = await call(srv.url, tokens.operator, 'GET', '/api/v1/realtime');
    expect(rt.status).toBe(200);
    expect(rt.body.operators.map((o: { id: number }) => o.id)).toEqual([92]);
    expect(rt.body.groups.map((g: { id: number }) => g.id)).toEqual([90]);
    // GET /api/v1/me: who the token is, for a page opened with only the token (the toolbar's ?token_session=).
    const me = await call(srv.url, tokens.operator, 'GET', '/api/v1/me');
    expect(me).toMatchObject({ status: 200, body: { role: 'operator', id_client: ACCOUNT, id_operator: 92, name: 'Ana', pauses: [{ id: 99, label: 'Break' }], groups: [{ id: 90, name: 'Sales' }], operators: [{ id: 92, name: 'Ana' }] } });
    expect((await call(srv.url, tokens.supervisor, 'GET', '/api/v1/me')).body).toMatchObject({ role: 'supervisor', id_operator: null, groups: [{ id: 90 }, { id: 91 }] });
    // Transfer and consultation targets: the whole account's groups and operators, names only.
    expect((me.body as { targets: { groups: { id: number }[]; operators: { id: number }[] } }).targets.groups.map((g) => g.id)).toEqual([90, 91]);
    const c = connect(srv.url);
    try {
      expect(await c.init('agent', 92, tokens.operator)).toMatchObject({ ok: true, id_client: ACCOUNT });
    } finally {
      c.close();
    }
    const admin = connect(srv.url);
    try {
      expect(await admin.init('supervisor', 95, tokens.admin)).toMatchObject({ ok: false, error: 'FORBIDDEN' });
    } finally {
      admin.close();
    }
  });
});

describe('operators sign in', () => {
  it('with the login and password of the account file; the password is hashed and never exported', async () => {
    const ok = await operatorLogin(srv.url, 'ana', 'ana-secret');
    expect(ok).toMatchObject({ status: 200, body: { target: 92, id_client: ACCOUNT, id_session: expect.any(String) } });
    expect(await operatorLogin(srv.url, 'ana', 'wrong')).toMatchObject({ status: 401, body: { error: 'BAD_CREDENTIALS' } });
    // An operator without a password has no sign-in; a supervisor's login is not an operator's.
    expect(await operatorLogin(srv.url, 'cy', '')).toMatchObject({ status: 401, body: { error: 'BAD_CREDENTIALS' } });
    expect(await operatorLogin(srv.url, 'roles-sup', 'sup-secret')).toMatchObject({ status: 401, body: { error: 'BAD_CREDENTIALS' } });
    const dir = await srv.app.services.store.directory.getDirectory(ACCOUNT);
    expect(JSON.stringify(dir)).not.toContain('ana-secret');
    expect(dir?.operators?.[0]).not.toHaveProperty('password');
    const stored = await srv.app.services.store.directory.findOperatorLogin('ana');
    expect(stored).toMatchObject({ accountId: ACCOUNT, operatorId: 92, passwordHash: expect.stringMatching(/^scrypt\$/) });

    // The token acts for Ana only; logout revokes it.
    const token = ok.body.id_session as string;
    expect((await call(srv.url, token, 'POST', `${A}/operators/92/unpause`)).body.error).not.toBe('FORBIDDEN');
    expect(await call(srv.url, token, 'POST', `${A}/operators/93/unpause`)).toMatchObject({ status: 403, body: { error: 'FORBIDDEN' } });
    expect((await http(`${srv.url}/vm/token/${token}`, { method: 'DELETE' })).status).toBe(204);
    expect(await call(srv.url, token, 'GET', '/api/v1/realtime')).toMatchObject({ status: 401, body: { error: 'TOKEN_REVOKED' } });
  });
});

describe('agent tokens with keep', () => {
  it('slide while used (up to 24 h), expire when unused, and end at logout', async () => {
    const clock = new ManualClock();
    const s = await startTestServer(['roles.json'], { clock });
    try {
      const sup = (await wsInit(s.url, 'roles-sup', 'sup-secret')).body.id_session as string;
      const kept = await agentToken(s.url, sup, { user_type: 'agent', id_operator: 92, keep: 1 });
      expect(kept).toMatchObject({ status: 200, body: { user_type: 'agent', id_operator: 92, id_client: ACCOUNT } });
      const plain = (await agentToken(s.url, sup, { user_type: 'agent', id_operator: 92 })).body.id_session as string;
      const keep = kept.body.id_session as string;
      const use = (t: string) => call(s.url, t, 'GET', '/api/v1/realtime');
      // Used every hour: the kept token lives on past 2 h, the plain one does not.
      let hours = 0;
      for (; hours < 30; hours++) {
        clock.advance(3_600_000);
        if ((await use(keep)).status !== 200) break;
      }
      expect(hours).toBe(KEEP_MAX_MS / 3_600_000 - 1);
      expect((await use(plain)).body.error).toBe('TOKEN_INVALID');

      // Unused, a kept token expires as any token; and a logout ends it at once.
      const idle = (await agentToken(s.url, (await wsInit(s.url, 'roles-sup', 'sup-secret')).body.id_session, { user_type: 'agent', id_operator: 92, keep: 1 })).body.id_session as string;
      clock.advance(TOKEN_TTL_MS);
      expect((await use(idle)).body.error).toBe('TOKEN_INVALID');
      const sup2 = (await wsInit(s.url, 'roles-sup', 'sup-secret')).body.id_session as string;
      const ended = (await agentToken(s.url, sup2, { user_type: 'agent', id_operator: 92, keep: 1 })).body.id_session as string;
      expect((await use(ended)).status).toBe(200);
      expect((await http(`${s.url}/vm/token/${ended}`, { method: 'DELETE' })).status).toBe(204);
      expect((await use(ended)).body.error).toBe('TOKEN_REVOKED');
    } finally {
      await s.close();
    }
  });
});

describe('a supervisor scoped to a group', () => {
  it('sees nothing outside its groups on the stream, the snapshot, the stats and the history', async () => {
    const scopedLive = connect(srv.url);
    const whole = connect(srv.url);
    try {
      expect(await scopedLive.init('supervisor', 96, tokens.scoped, { types: ['operator', 'UI', 'PUSHCALL', 'queue', 'trunk', 'num', 'input'] })).toMatchObject({ ok: true });
      const start = (await whole.init('api', ACCOUNT, tokens.api, { types: ['operator', 'UI', 'PUSHCALL', 'queue', 'trunk', 'num', 'input'] })) as { cpt: number };
      const admin = (path: string, body?: unknown) => call(srv.url, ADMIN_TOKEN, 'POST', `${A}${path}`, body);
      // One call in each group, each answered by its operator and hung up.
      for (const [op, service] of [[92, '33800000097'], [93, '33800000098']] as const) {
        const login = await admin(`/operators/${op}/login`);
        expect([200, 409]).toContain(login.status);
        await admin(`/operators/${op}/unpause`);
        const c = await admin('/calls', { service, caller: `336000000${op}` });
        expect(c.status).toBe(200);
        await until(`operator ${op} ringing`, () => whole.updates.some((u) => u.event.type_notification === 'operator' && u.event.msg.status === 'ringing' && u.event.msg.id_operator === op));
        expect((await admin(`/operators/${op}/answer`)).status).toBe(200);
        expect((await admin(`/operators/${op}/hangup`)).status).toBe(200);
        await until(`call ${c.body.id_call} ended`, () => whole.updates.some((u) => u.event.type_notification === 'num' && u.event.event === 'end' && u.event.msg.id_call === c.body.id_call));
      }
      // A last event in scope: once the scoped socket has it, it has everything before it.
      const marker = await publishHttp(srv.url, ACCOUNT, { type_notification: 'UI', event: 'logout', msg: { id_operator: 92, supp: '' } });
      expect(marker.status).toBe(200);
      await until('the marker on the scoped socket', () => scopedLive.updates.some((u) => u.cpt === marker.body.cpt));
      const inScope = (u: Update) => {
        const m = u.event.msg as { id_queue?: number; id_operator?: number };
        return u.event.type_notification === 'queue' ? m.id_queue === 90 : ['operator', 'UI', 'PUSHCALL'].includes(u.event.type_notification) && m.id_operator === 92;
      };
      const after = whole.updates.filter((u) => u.cpt > start.cpt);
      expect(after.some((u) => !inScope(u))).toBe(true);
      expect(scopedLive.updates.map((u) => u.cpt)).toEqual(after.filter(inScope).map((u) => u.cpt));
      // A replay from the same cpt gives the same.
      const replay = connect(srv.url);
      try {
        await replay.init('supervisor', 96, tokens.scoped, { since: start.cpt, types: ['operator', 'UI', 'PUSHCALL', 'queue', 'trunk', 'num', 'input'] });
        await until('the marker replayed', () => replay.updates.some((u) => u.cpt === marker.body.cpt));
        expect(replay.updates.map((u) => u.cpt)).toEqual(scopedLive.updates.map((u) => u.cpt));
      } finally {
        replay.close();
      }
    } finally {
      scopedLive.close();
      whole.close();
    }

    const get = (path: string, token = tokens.scoped) => call(srv.url, token, 'GET', path);
    const ids = (rows: { id?: number; id_queue?: number; id_operator?: number; id_op?: number }[], k: 'id' | 'id_queue' | 'id_operator' | 'id_op') => [...new Set(rows.map((r) => r[k]))].sort();
    const rt = (await get('/api/v1/realtime')).body;
    expect(ids(rt.groups, 'id')).toEqual([90]);
    expect(ids(rt.operators, 'id')).toEqual([92]);
    expect(rt.trunks).toEqual([]);
    expect(ids((await get('/vm/operators_init')).body, 'id')).toEqual([92]);
    expect(ids((await get('/vm/operators')).body, 'id')).toEqual([92]);
    expect((await get('/vm/operators/93')).status).toBe(404);
    const day = new Date().toISOString().slice(0, 10);
    // The history is written as the stream completes calls: wait until the whole account has both.
    const history = (token: string) => call(srv.url, token, 'POST', '/vm/calls/in', { date: day });
    await until('both calls in the history', async () => (await history(tokens.api)).body.length >= 2);
    expect((await history(tokens.scoped)).body.map((r: { group_name: string }) => r.group_name)).toEqual(['Sales']);
    expect(ids((await call(srv.url, tokens.scoped, 'POST', '/vm/calls/status', { date: day })).body, 'id_op')).toEqual([92]);
    expect(ids((await call(srv.url, tokens.api, 'POST', '/vm/calls/status', { date: day })).body, 'id_op')).toEqual([92, 93]);
    expect(ids((await get(`/api/v1/stats/groups?from=${day}&interval=1d`)).body.rows, 'id_queue')).toEqual([90]);
    expect(ids((await get(`/api/v1/stats/groups?from=${day}&interval=1d`, tokens.api)).body.rows, 'id_queue')).toEqual([90, 91]);
    expect(ids((await get(`/api/v1/stats/operators?from=${day}&interval=1d`)).body.rows, 'id_operator')).toEqual([92]);
    expect((await get(`/api/v1/calls`.replace('/api/v1', A))).status).toBe(200);
  });
});
