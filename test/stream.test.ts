// The notification stream end to end: real server, real v4 and v2 clients, the guide's
// request shapes, events published through the admin API and the publisher.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type TestClient, type Version } from './helpers/clients.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN, FIXTURES, publishHttp, startTestServer, uiLogin, vmToken, wsInit, type TestServer } from './helpers/server.ts';
import { validateNotification, type Update } from '../src/protocol/index.ts';
import { buildApp, type AppOptions } from '../src/http/app.ts';
import { createSqliteStore } from '../src/store/sqlite/index.ts';
import { importAccountFile } from '../src/cli/directory.ts';
import type { EventLog } from '../src/store/types.ts';

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

/**
 * A server of its own (port 0, fresh data directory) whose event log's readAfter is replaced
 * by `wrap(inner)`; everything else goes to the real SQLite log.
 */
async function startServerWithLog(wrap: (inner: EventLog['readAfter']) => EventLog['readAfter'], opts: Partial<AppOptions> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'vm-test-'));
  const store = createSqliteStore(dataDir);
  await importAccountFile(store, FIXTURES + 'acme.json');
  const inner = store.events;
  const readAfter = wrap(inner.readAfter.bind(inner));
  const events = new Proxy(inner, {
    get: (t, p) => (p === 'readAfter' ? readAfter : typeof Reflect.get(t, p) === 'function' ? Reflect.get(t, p).bind(t) : Reflect.get(t, p)),
  });
  const app = await buildApp({ adminToken: ADMIN_TOKEN, ...opts, store: { ...store, events } });
  const port = await app.listen(0, '127.0.0.1');
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const consecutive = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe.each<Version>(['v4', 'v2'])('a %s client written from the guide', (version) => {
  it.each(['websocket', 'polling'])('authenticates over %s and receives published events in cpt order', async (transport) => {
    const { target, id_session } = await supervisorToken();
    const c = client({ version, transports: [transport] });
    // The guide: set the update callback, then emit init('supervisor', target, id_session).
    const ack = await c.init('supervisor', target, id_session);
    expect(ack).toMatchObject({ ok: true, id_client: 3 });
    const base = ack.ok ? ack.cpt : -1;
    const before = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 20; i++) await publish(3, uiLogin(8));
    const got = await c.waitFor(20);
    const after = Math.ceil(Date.now() / 1000);
    expect(cpts(got)).toEqual(consecutive(base + 1, 20));
    for (const u of got) {
      expect(u.elapse).toBeGreaterThanOrEqual(0);
      // ts is in seconds, taken between the first publish and the last receipt.
      expect(u.ts).toBeGreaterThanOrEqual(before);
      expect(u.ts).toBeLessThanOrEqual(after);
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
    // A last event for each account, after all the others: once it has arrived, anything
    // published before it (a leak included) would have arrived too.
    const lastGlobex = await publish(4, uiLogin(18));
    const lastAcme = await publish(3, uiLogin(8));
    const gs = await globex.waitFor(3);
    const as = await acme.waitFor(2);
    expect(gs.every((u) => u.event.msg.id_client === 4)).toBe(true);
    expect(acme.updates.every((u) => u.event.msg.id_client === 3)).toBe(true);
    expect(as).toHaveLength(2);
    expect(as[1]!.cpt).toBe(lastAcme);
    expect(gs).toHaveLength(3);
    expect(gs[2]!.cpt).toBe(lastGlobex);
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
    // The agent's own last event: once it is in, everything published before it has been decided.
    const last = await publish(3, uiLogin(8));
    await agent.waitFor(3);
    expect(cpts(agent.updates)).toEqual([mine, mine2, last]);
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
    // A queue event all three take, published last: it closes each one's sequence.
    const last = await publish(3, { ...q, msg: { ...q.msg, id_call: 6 } });
    await optIn.waitFor(4);
    await all.waitFor(3);
    await only.waitFor(2);
    expect(cpts(all.updates)).toEqual([c3, c4, last]);
    expect(cpts(only.updates)).toEqual([c3, last]);
    expect(cpts(optIn.updates)).toEqual([c1, c2, c3, last]);
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
    // One more live event: when it arrives, nothing (no late duplicate) has come in between.
    const next = await publish(3, uiLogin(9));
    await d.waitFor(1002);
    expect(cpts(d.updates)).toEqual([...published, live, next]);
  });

  it('has no gap and no duplicate when events are published during the replay', async () => {
    // A server of its own whose event log is wrapped: every replay read is held while the
    // test publishes, so events are provably published (durable and fanned out) while the
    // replay is in progress and before the socket has joined the live rooms.
    const reads: { after: number; limit: number; got: number; publishedDuring: number[] }[] = [];
    const own = await startServerWithLog(
      (inner) =>
        async function readAfter(accountId, after, limit) {
          const read = { after, limit, got: -1, publishedDuring: [] as number[] };
          reads.push(read);
          // The replay is now waiting on this read: publish 40 events before letting it go.
          for (let i = 0; i < 40; i++) read.publishedDuring.push(await own.app.services.publisher.publish(3, uiLogin(8)));
          const rows = await inner(accountId, after, limit);
          read.got = rows.length;
          return rows;
        },
      { recentPerAccount: 64 },
    );
    try {
      const token = (await vmToken(own.url, 'api', 'secret2', { user_type: 'api' })).body.id_session as string;
      const start = own.app.services.publisher.lastCpt(3);
      // Far more than the in-memory window, so the replay reads the log page by page.
      const pre = await Promise.all(Array.from({ length: 2500 }, (_, i) => own.app.services.publisher.publish(3, uiLogin(i % 2 ? 8 : 9))));
      expect(pre).toEqual(consecutive(start + 1, 2500));
      expect(reads).toEqual([]); // publishing never reads the log

      const d = connect(own.url);
      clients.push(d);
      const a = await d.init('api', 3, token, { since: start });
      if (!a.ok) throw new Error(`init refused: ${a.error}`);
      const during = reads.flatMap((r) => r.publishedDuring);
      // The replay read the log in several pages, each held while events were published.
      expect(reads.filter((r) => r.got > 0).length).toBeGreaterThanOrEqual(3);
      // Each read is the replay's next page (nothing else read the log meanwhile).
      expect(reads[0]!.after).toBe(start);
      for (let i = 1; i < reads.length; i++) expect(reads[i]!.after).toBe(reads[i - 1]!.after + reads[i - 1]!.got);
      // They were all published before the socket joined: the ack's cpt covers them.
      expect(a.cpt).toBeGreaterThanOrEqual(Math.max(...during));
      // A live event after the ack closes the sequence.
      const sentinel = await own.app.services.publisher.publish(3, uiLogin(9));
      const got = await d.waitFor(sentinel - start, 20_000);
      // Exactly once each, in cpt order, the replayed ones first, then those published during the replay, then the live one.
      expect(cpts(got)).toEqual(consecutive(start + 1, sentinel - start));
      expect(cpts(got)).toEqual([...pre, ...during, sentinel]);
      expect(d.updates).toHaveLength(sentinel - start);
    } finally {
      await own.close();
    }
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
