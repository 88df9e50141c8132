// The audit of actions on operators and calls, on a real server on port 0: what an entry
// records (who, what, on whom, from where, the result), that an operator acting on itself
// and an unrecognised token are not recorded, a supervisor of some groups reading its
// scope only (and suspending in its own groups only), pages, and refusals of the route.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntryAnswer } from '../src/http/routes/audit.ts';
import { ADMIN_TOKEN, bearerCall, http, startTestServer, vmToken, wsInit, type TestServer } from './helpers/server.ts';

const ACCOUNT = 9;
const A = `/api/v1/accounts/${ACCOUNT}`;

type Entry = AuditEntryAnswer;

let s: TestServer;
const t = {} as Record<'sup' | 'scoped' | 'api' | 'ana' | 'other', string>;
const post = (token: string, path: string, body?: unknown) => bearerCall(s.url, token, 'POST', `${A}${path}`, body);
const audit = async (token: string, query = ''): Promise<{ entries: Entry[]; next_before: number | null }> => {
  const r = await bearerCall(s.url, token, 'GET', `${A}/audit${query}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
};

beforeAll(async () => {
  s = await startTestServer(['roles.json', 'acme.json']);
  t.sup = (await wsInit(s.url, 'roles-sup', 'sup-secret')).body.id_session;
  t.scoped = (await wsInit(s.url, 'roles-sales', 'sales-secret')).body.id_session;
  t.api = (await vmToken(s.url, 'roles-api', 'api-secret', { user_type: 'api' })).body.id_session;
  t.ana = (await wsInit(s.url, 'ana', 'ana-secret', { accountType: 'operator' })).body.id_session;
  t.other = (await vmToken(s.url, 'api', 'secret2', { user_type: 'api' })).body.id_session;
  for (const [k, v] of Object.entries(t)) expect(v, k).toEqual(expect.any(String));
});
afterAll(() => s?.close());

describe('the audit', () => {
  it('records who did what to whom, from where, and the result; not an operator on itself', async () => {
    const start = Date.now();
    // Ana logs herself in and out and in (her toolbar): nothing recorded.
    for (const a of ['login', 'logout', 'login']) expect((await post(t.ana, `/operators/92/${a}`)).status).toBe(200);
    expect((await audit(ADMIN_TOKEN)).entries).toEqual([]);

    expect(await post(t.sup, '/operators/92/pause', { pause: 99 })).toMatchObject({ status: 200 });
    expect(await post(t.sup, '/operators/92/unpause')).toMatchObject({ status: 200 });
    expect(await post(t.sup, '/operators/92/unpause')).toMatchObject({ status: 409, body: { error: 'OPERATOR_NOT_PAUSED' } });
    // Ana's token on Bob: refused, and recorded as an attempt.
    expect(await post(t.ana, '/operators/93/login')).toMatchObject({ status: 403 });
    // The platform on a call that is not there, and an API user's callback request.
    expect(await post(ADMIN_TOKEN, '/calls/424242/hangup')).toMatchObject({ status: 404, body: { error: 'CALL_UNKNOWN' } });
    expect(await post(t.api, '/operators/92/logout')).toMatchObject({ status: 200 });
    // Unrecognised credentials name nobody: not recorded.
    expect(await post('a-guess', '/operators/92/login')).toMatchObject({ status: 401 });

    const { entries } = await audit(t.sup);
    const now = Date.now();
    for (const e of entries) {
      expect(Date.parse(e.at)).toBeGreaterThanOrEqual(start - 1000);
      expect(Date.parse(e.at)).toBeLessThanOrEqual(now + 1000);
      expect(e.ip).toBe('127.0.0.1');
    }
    const sup = { role: 'supervisor', id: 95, login: 'roles-sup' };
    expect(entries.map(({ id: _id, at: _at, ip: _ip, ...e }) => e)).toEqual([
      { actor: { role: 'api', id: 0, login: 'roles-api' }, action: 'logout', operator: 92, call: null, group: null, pause: null, details: {}, result: 'ok' },
      { actor: { role: 'platform', id: 0, login: '' }, action: 'call-hangup', operator: null, call: 424242, group: null, pause: null, details: {}, result: 'CALL_UNKNOWN' },
      { actor: { role: 'operator', id: 92, login: 'ana' }, action: 'login', operator: 93, call: null, group: null, pause: null, details: {}, result: 'FORBIDDEN' },
      { actor: sup, action: 'unpause', operator: 92, call: null, group: null, pause: null, details: {}, result: 'OPERATOR_NOT_PAUSED' },
      { actor: sup, action: 'unpause', operator: 92, call: null, group: null, pause: null, details: {}, result: 'ok' },
      { actor: sup, action: 'pause', operator: 92, call: null, group: null, pause: 99, details: { pause: 99 }, result: 'ok' },
    ]);
    expect(entries.map((e) => e.id)).toEqual([...entries.map((e) => e.id)].sort((a, b) => b - a));
  });

  it('a supervisor of some groups suspends in its groups only, and reads about its operators and groups only', async () => {
    expect(await post(t.scoped, '/operators/92/suspend', { group: 91 })).toMatchObject({ status: 403, body: { error: 'FORBIDDEN', message: expect.stringContaining('Group 91') } });
    expect(await post(t.scoped, '/operators/92/suspend', { group: 90 })).toMatchObject({ status: 200 });
    expect(await post(t.scoped, '/operators/92/unsuspend', { group: 90 })).toMatchObject({ status: 200 });
    expect(await post(t.scoped, '/operators/93/pause', { pause: 99 })).toMatchObject({ status: 403 });
    const whole = (await audit(t.sup)).entries;
    const scoped = (await audit(t.scoped)).entries;
    expect(whole.slice(0, 4).map((e) => [e.actor.login, e.action, e.operator, e.group, e.result])).toEqual([
      ['roles-sales', 'pause', 93, null, 'FORBIDDEN'],
      ['roles-sales', 'unsuspend', 92, 90, 'ok'],
      ['roles-sales', 'suspend', 92, 90, 'ok'],
      ['roles-sales', 'suspend', 92, 91, 'FORBIDDEN'],
    ]);
    // Operator 92 is in Sales (90): every entry about it; nothing about 93, nor the account's calls.
    const inScope = whole.filter((e) => e.operator === 92 || e.group === 90);
    expect(inScope.length).toBeLessThan(whole.length);
    expect(scoped).toEqual(inScope);
    // The admin token sees what the whole account's supervisor sees.
    expect((await audit(ADMIN_TOKEN)).entries).toEqual(whole);
  });

  it('pages backwards with limit and before, and refuses bad pages and other principals', async () => {
    const all = (await audit(t.sup, '?limit=200')).entries;
    expect(all.length).toBeGreaterThanOrEqual(8);
    const paged: Entry[] = [];
    let before: number | null = null;
    for (let i = 0; i < 20; i++) {
      const page: { entries: Entry[]; next_before: number | null } = await audit(t.sup, `?limit=3${before !== null ? `&before=${before}` : ''}`);
      expect(page.entries.length).toBeLessThanOrEqual(3);
      paged.push(...page.entries);
      before = page.next_before;
      if (before === null) break;
    }
    expect(before).toBeNull();
    expect(paged).toEqual(all);
    expect((await audit(t.sup, `?limit=${all.length}`)).next_before).toBeNull();

    const get = (token: string, q = '') => bearerCall(s.url, token, 'GET', `${A}/audit${q}`);
    for (const q of ['?limit=0', '?limit=201', '?before=0', '?limit=x']) expect(await get(t.sup, q), q).toMatchObject({ status: 400, body: { error: 'INVALID_FIELD' } });
    expect(await get(t.ana)).toMatchObject({ status: 403, body: { error: 'FORBIDDEN' } });
    expect(await get(t.api)).toMatchObject({ status: 403, body: { error: 'FORBIDDEN' } });
    expect(await get(t.other)).toMatchObject({ status: 403, body: { error: 'FORBIDDEN' } });
    expect(await http(`${s.url}${A}/audit`)).toMatchObject({ status: 401, body: { error: 'AUTH_REQUIRED' } });
  });
});
