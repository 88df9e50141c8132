// The notification stream end to end: real server, real v4 and v2 clients, the guide's
// request shapes, events published through the admin API and the publisher.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type TestClient, type Version } from './helpers/clients.ts';
import { publishHttp, startTestServer, uiLogin, vmToken, wsInit, type TestServer } from './helpers/server.ts';
import { validateNotification, type Update } from '../src/protocol/index.ts';

let srv: TestServer;
const clients: TestClient[] = [];
const client = (opts?: Parameters<typeof connect>[1]) => {
  const c = connect(srv.url, opts);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  srv = await startTestServer(['acme.json', 'globex.json']);
});
afterAll(async () => {
  clients.forEach((c) => c.close());
  await srv.close();
});

async function supervisorToken(login = 'sup', password = 'secret') {
  const r = await wsInit(srv.url, login, password);
  expect(r.status).toBe(200);
  return r.body as { target: number; id_session: string; id_client: number };
}

async function apiToken(body: object = { user_type: 'api' }, login = 'api', password = 'secret2') {
  const r = await vmToken(srv.url, login, password, body);
  expect(r.status).toBe(200);
  return r.body as { id_session: string; id_client: number; id_operator?: number };
}

const publish = (account: number, n: object) => srv.app.services.publisher.publish(account, n);

const cpts = (us: Update[]) => us.map((u) => u.cpt);
const consecutive = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe.each<Version>(['v4', 'v2'])('a %s client written from the guide', (version) => {
  it.each(['websocket', 'polling'])('authenticates over %s and receives published events in cpt order', async (transport) => {
    const { target, id_session } = await supervisorToken();
    const c = client({ version, transports: [transport] });
    // The guide: set the update callback, then emit init('supervisor', target, id_session).
    const ack = await c.init('supervisor', target, id_session);
    expect(ack).toMatchObject({ ok: true, id_client: 3 });
    const base = ack.ok ? ack.cpt : -1;
    for (let i = 0; i < 20; i++) await publish(3, uiLogin(8));
    const got = await c.waitFor(20);
    expect(cpts(got)).toEqual(consecutive(base + 1, 20));
    for (const u of got) {
      expect(u.elapse).toBeGreaterThanOrEqual(0);
      expect(Math.abs(u.ts - Date.now() / 1000)).toBeLessThan(5);
      expect(validateNotification(u.event).ok).toBe(true);
      expect(u.event).toEqual({ type_notification: 'UI', event: 'login', msg: { id_operator: 8, supp: '', id_client: 3 } });
    }
  });
});

describe('subscriptions', () => {
  it("never delivers an account's events to another account", async () => {
    const acme = client();
    const globex = client();
    const a = await supervisorToken();
    const g = await supervisorToken('globex-sup', 'g-secret');
    expect(g.id_client).toBe(4);
    await acme.init('supervisor', a.target, a.id_session);
    await globex.init('supervisor', g.target, g.id_session);
    await publish(4, uiLogin(18));
    await publish(3, uiLogin(9));
    await publish(4, uiLogin(18));
    const gs = await globex.waitFor(2);
    const as = await acme.waitFor(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(gs.every((u) => u.event.msg.id_client === 4)).toBe(true);
    expect(acme.updates.every((u) => u.event.msg.id_client === 3)).toBe(true);
    expect(as).toHaveLength(1);
  });

  it('refuses a token used with the wrong target or user type', async () => {
    const a = await supervisorToken();
    const c = client();
    const ack = await c.init('supervisor', 4, a.id_session);
    expect(ack).toMatchObject({ ok: false, error: 'INIT_BAD_TARGET' });
    expect((await c.waitForError()).error).toBe('INIT_BAD_TARGET');
    const api = await apiToken();
    const d = client();
    expect(await d.init('supervisor', 3, api.id_session)).toMatchObject({ ok: false, error: 'INIT_BAD_TARGET' });
  });

  it('gives an agent token only its operator’s events', async () => {
    const t = await apiToken({ user_type: 'agent', id_operator: 8 });
    expect(t.id_operator).toBe(8);
    const agent = client();
    const ack = await agent.init('agent', 8, t.id_session);
    expect(ack.ok).toBe(true);
    await publish(3, uiLogin(9));
    await publish(3, { type_notification: 'queue', event: 'insert_call', msg: { id_call: 77, id_queue: 5, caller_id_num: '33600000001' } });
    const mine = await publish(3, uiLogin(8));
    await publish(3, { type_notification: 'operator', event: 'status', msg: { status: 'available', id_operator: 9 } });
    const mine2 = await publish(3, { type_notification: 'queue', event: 'connect_call', msg: { id_call: 77, id_queue: 5, id_operator: 8, status: 'connected' } });
    await agent.waitFor(2);
    await new Promise((r) => setTimeout(r, 100));
    expect(cpts(agent.updates)).toEqual([mine, mine2]);
  });

  it('sends num and input only when asked for, and honours types', async () => {
    const api = await apiToken();
    const all = client();
    const only = client();
    const optIn = client();
    await all.init('api', 3, api.id_session);
    await only.init('api', 3, api.id_session, { types: ['queue'] });
    await optIn.init('api', 3, api.id_session, { types: ['num', 'input', 'queue'] });
    const num = { type_notification: 'num', event: 'start', msg: { id_call: 5, id_num: 31, service: '33820620620', caller_id_num: '33600000002', type_dest: 'GROUPE' } };
    const asr = { type_notification: 'input', event: 'asr', msg: { id_call: 5, id: 1, input: 'sales', score: 93 } };
    const q = { type_notification: 'queue', event: 'insert_call', msg: { id_call: 5, id_queue: 5, caller_id_num: '33600000002' } };
    const c1 = await publish(3, num);
    const c2 = await publish(3, asr);
    const c3 = await publish(3, q);
    const c4 = await publish(3, uiLogin(8));
    await optIn.waitFor(3);
    await all.waitFor(2);
    await only.waitFor(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(cpts(all.updates)).toEqual([c3, c4]);
    expect(cpts(only.updates)).toEqual([c3]);
    expect(cpts(optIn.updates)).toEqual([c1, c2, c3]);
    // num events carry srv inside `event`, as in the guide.
    expect(optIn.updates[0]!.event).toMatchObject({ type_notification: 'num', event: 'start', srv: 1 });
  });
});

describe('resume with since', () => {
  it('replays exactly the missed events in order, then live ones', async () => {
    const api = await apiToken();
    const c = client();
    const ack = await c.init('api', 3, api.id_session);
    if (!ack.ok) throw new Error('init failed');
    await publish(3, uiLogin(8));
    const first = await c.waitFor(1);
    const last = first[0]!.cpt;
    c.close();
    const published: number[] = [];
    for (let i = 0; i < 1000; i++) published.push(await publish(3, uiLogin(i % 2 ? 8 : 9)));
    const d = client();
    const ack2 = await d.init('api', 3, api.id_session, { since: last });
    expect(ack2).toMatchObject({ ok: true, cpt: published[999] });
    const replayed = await d.waitFor(1000);
    expect(cpts(replayed)).toEqual(published);
    expect(replayed.every((u) => u.elapse >= 0)).toBe(true);
    const live = await publish(3, uiLogin(8));
    await d.waitFor(1001);
    expect(d.updates[1000]!.cpt).toBe(live);
    await new Promise((r) => setTimeout(r, 100));
    expect(d.updates).toHaveLength(1001);
  });

  it('has no gap and no duplicate when events are published during the replay', async () => {
    const api = await apiToken();
    const start = srv.app.services.publisher.lastCpt(3);
    // More than the in-memory window, so the replay reads the log page by page.
    const burst = Array.from({ length: 6000 }, (_, i) => publish(3, uiLogin(i % 2 ? 8 : 9)));
    await Promise.all(burst);
    const d = client();
    const during: Promise<number>[] = [];
    const acked = d.init('api', 3, api.id_session, { since: start });
    // Keep publishing while the replay runs.
    for (let i = 0; i < 300; i++) {
      during.push(publish(3, uiLogin(8)));
      if (i % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    await acked;
    const end = Math.max(...(await Promise.all(during)));
    const got = await d.waitFor(end - start, 20_000);
    expect(cpts(got)).toEqual(consecutive(start + 1, end - start));
  });

  it('rejects a malformed since', async () => {
    const api = await apiToken();
    const c = client();
    expect(await c.init('api', 3, api.id_session, { since: -4 })).toMatchObject({ ok: false, error: 'INIT_BAD_OPTIONS' });
  });
});

describe('the publishing seam over HTTP', () => {
  it('answers the cpt once the event is durable, and the stream carries it', async () => {
    const api = await apiToken();
    const c = client();
    await c.init('api', 3, api.id_session);
    const r = await publishHttp(srv.url, 3, { type_notification: 'trunk', event: 'insert_call', msg: { id_call: 269, id_trunk: 2, caller_id_num: '33783655555', call_duration: 0, duration_in_queue: 0 } });
    expect(r.status).toBe(200);
    const [u] = await c.waitFor(1);
    expect(u!.cpt).toBe(r.body.cpt);
    const logged = await srv.app.services.store.events.readAfter(3, r.body.cpt - 1, 1);
    expect(logged[0]?.notification).toEqual(u!.event);
  });

  it('rejects events that do not match the catalogue, naming what is wrong', async () => {
    const bad = await publishHttp(srv.url, 3, { type_notification: 'queue', event: 'insert_call', msg: { id_call: 'x', id_queue: 5, caller_id_num: '1' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'INVALID_NOTIFICATION' });
    expect(bad.body.message).toContain('id_call');
    const unknown = await publishHttp(srv.url, 3, { type_notification: 'queue', event: 'explode', msg: {} });
    expect(unknown.body.error).toBe('INVALID_NOTIFICATION');
    expect(unknown.body.message).toContain('explode');
    const mismatch = await publishHttp(srv.url, 3, { ...uiLogin(8), msg: { id_operator: 8, supp: '', id_client: 4 } });
    expect(mismatch.body.error).toBe('ACCOUNT_MISMATCH');
    const noAccount = await publishHttp(srv.url, 999, uiLogin(8));
    expect(noAccount).toMatchObject({ status: 404, body: { error: 'UNKNOWN_ACCOUNT' } });
  });
});
