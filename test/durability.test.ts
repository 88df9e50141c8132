// Item 1 of issue 9: one bad event must never sink anyone else's. Poisonous requests (vars
// nested 5,000 deep, huge strings) are refused with a 400 before anything is queued, next to
// concurrent good traffic of two accounts, one of them a simulated center; every
// acknowledged event is in the log and on the stream, in order, and the streams stay
// lawful. A log that refuses an account's events fails only that account's, and an engine
// command whose events cannot be stored is answered with an error, never a 200.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type App } from '../src/http/app.ts';
import { createSqliteStore } from '../src/store/sqlite/index.ts';
import { importAccountFile } from '../src/cli/directory.ts';
import { startSimulations } from '../src/cli/serve.ts';
import { Publisher } from '../src/stream/publisher.ts';
import { systemClock } from '../src/clock.ts';
import type { Store, LoggedEvent } from '../src/store/types.ts';
import type { Notification, Update } from '../src/protocol/index.ts';
import { ADMIN_TOKEN, FIXTURES, http, publishHttp, startTestServer, vmToken, type TestServer } from './helpers/server.ts';
import { connect, type TestClient } from './helpers/clients.ts';
import { LawfulChecker } from './engine-lawful.ts';

const ALL_TYPES = ['operator', 'UI', 'queue', 'trunk', 'num', 'input', 'PUSHCALL'];
const SIM = 7; // callcenter.json: simulated center, web callback on
const OTHER = 3; // acme.json
const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** JSON text of a value nested `levels` deep (written as text: JSON.stringify itself overflows). */
const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

const post = (url: string, path: string, body: unknown) =>
  http(`${url}${path}`, { method: 'POST', headers: admin, body: typeof body === 'string' ? body : JSON.stringify(body) });

async function streamOf(url: string, account: number, login: string, password: string): Promise<{ client: TestClient; last: number }> {
  const t = await vmToken(url, login, password, { user_type: 'api' });
  const client = connect(url);
  const ack = await client.init('api', account, t.body.id_session, { since: 0, types: ALL_TYPES });
  expect(ack).toMatchObject({ ok: true });
  return { client, last: (ack as { cpt: number }).cpt };
}

async function until(what: string, probe: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function lawful(account: number, updates: Update[]): string[] {
  const checker = new LawfulChecker(account);
  for (const u of updates) checker.observe(u.event as Notification);
  return checker.finalErrors();
}

describe('poisonous payloads next to good traffic', () => {
  it('refuses them with a 400 before queuing; every acknowledged event is in the log and on the stream, in order, and lawful', { timeout: 180_000 }, async () => {
    let srv: TestServer | undefined = await startTestServer(['callcenter.json', 'acme.json']);
    const dataDir = srv.dataDir;
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    cleanups.push(async () => srv?.close({ keepData: true }));
    await startSimulations(srv.app, [SIM]);
    const url = srv.url;
    const liveSim = await streamOf(url, SIM, 'cc-api', 'cc-secret2');
    const liveOther = await streamOf(url, OTHER, 'api', 'secret2');

    const poison = {
      deepVars: `{"e164":"33612345678","vars":{"nested":${deep(5000)}}}`,
      hugeVars: { e164: '33612345678', vars: { big: 'x'.repeat(200_000) } },
      deepMsg: `{"type_notification":"PUSHCALL","event":"request","msg":{"id_push":1,"id_operator":0,"e164":"33612345678","priority":1,"type":"AUTO","vars":${deep(5000)}}}`,
      hugeMsg: { type_notification: 'queue', event: 'alert_op', msg: { id_queue: 70, validity: 1, note: 'y'.repeat(50_000) } },
    };
    const refusals: { status: number; body: { error: string; message: string } }[] = [];
    const ackedAlerts: { account: number; cpt: number; tag: string }[] = [];
    const ackedCalls: { account: number; id: number }[] = [];
    const ackedPushes: number[] = [];
    const failures: string[] = [];

    const poisonLoop = async () => {
      for (let i = 0; i < 20; i++) {
        const answers = await Promise.all([
          post(url, `/api/v1/accounts/${SIM}/callbacks`, poison.deepVars),
          post(url, `/api/v1/accounts/${OTHER}/callbacks`, poison.deepVars),
          post(url, `/api/v1/accounts/${SIM}/callbacks`, poison.hugeVars),
          post(url, `/api/v1/accounts/${SIM}/events`, poison.deepMsg),
          post(url, `/api/v1/accounts/${OTHER}/events`, poison.deepMsg),
          publishHttp(url, OTHER, poison.hugeMsg),
        ]);
        refusals.push(...answers);
      }
    };
    const goodPublishes = async (account: number, queue: number, n: number) => {
      for (let i = 0; i < n; i++) {
        const tag = `a${account}-${i}`;
        const batch = await Promise.all(
          Array.from({ length: 5 }, (_, j) => publishHttp(url, account, { type_notification: 'queue', event: 'alert_op', msg: { id_queue: queue, validity: 1, tag: `${tag}-${j}` } })),
        );
        batch.forEach((r, j) => (r.status === 200 ? ackedAlerts.push({ account, cpt: r.body.cpt, tag: `${tag}-${j}` }) : failures.push(`publish ${account}: ${r.status} ${JSON.stringify(r.body)}`)));
      }
    };
    const goodCommands = async () => {
      const login = await post(url, `/api/v1/accounts/${OTHER}/operators/8/login`, {});
      if (login.status !== 200) failures.push(`login: ${login.status} ${JSON.stringify(login.body)}`);
      for (let i = 0; i < 30; i++) {
        const [a, b, c] = await Promise.all([
          post(url, `/api/v1/accounts/${OTHER}/calls`, { service: '33820620620', caller: `3361000${String(i).padStart(4, '0')}` }),
          post(url, `/api/v1/accounts/${SIM}/calls`, { service: '33800000075', caller: `3362000${String(i).padStart(4, '0')}` }),
          post(url, `/api/v1/accounts/${SIM}/callbacks`, { e164: `3363000${String(i).padStart(4, '0')}`, vars: { source: 'test', i } }),
        ]);
        if (a.status === 200) ackedCalls.push({ account: OTHER, id: a.body.id_call });
        else failures.push(`call ${OTHER}: ${a.status} ${JSON.stringify(a.body)}`);
        if (b.status === 200) ackedCalls.push({ account: SIM, id: b.body.id_call });
        else failures.push(`call ${SIM}: ${b.status} ${JSON.stringify(b.body)}`);
        if (c.status === 200) ackedPushes.push(c.body.id_push);
        else failures.push(`callback: ${c.status} ${JSON.stringify(c.body)}`);
      }
    };
    await Promise.all([poisonLoop(), goodPublishes(SIM, 70, 40), goodPublishes(OTHER, 5, 40), goodCommands()]);

    expect(failures).toEqual([]);
    expect(refusals).toHaveLength(120);
    for (const r of refusals) {
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('PAYLOAD_OUT_OF_BOUNDS');
      expect(r.body.message).toMatch(/ (is nested deeper than 32 levels|is a string of \d+ characters; at most 8192 are accepted)\.$/);
    }

    // The live streams (real Socket.IO clients) got what was acknowledged, in cpt order.
    const { publisher } = srv.app.services;
    const lastSim = publisher.deliveredCpt(SIM);
    const lastOther = publisher.deliveredCpt(OTHER);
    await until('live streams caught up', () => (liveSim.client.updates.at(-1)?.cpt ?? 0) >= lastSim && (liveOther.client.updates.at(-1)?.cpt ?? 0) >= lastOther);
    for (const live of [liveSim, liveOther]) {
      expect(live.client.updates.map((u) => u.cpt)).toEqual(Array.from({ length: live.client.updates.length }, (_, i) => i + 1));
    }
    liveSim.client.close();
    liveOther.client.close();

    // A clean shutdown drains the simulation; the log, replayed after a restart, holds
    // every acknowledged event and is lawful from its first event to its last.
    await srv.close({ keepData: true });
    srv = await startTestServer([], { dataDir });
    const replaySim = await streamOf(srv.url, SIM, 'cc-api', 'cc-secret2');
    const replayOther = await streamOf(srv.url, OTHER, 'api', 'secret2');
    const sim = await replaySim.client.waitFor(replaySim.last, 30_000);
    const other = await replayOther.client.waitFor(replayOther.last, 30_000);
    replaySim.client.close();
    replayOther.client.close();
    for (const got of [sim, other]) expect(got.map((u) => u.cpt)).toEqual(Array.from({ length: got.length }, (_, i) => i + 1));
    // What the live clients saw is the log's prefix, event for event.
    expect(liveSim.client.updates.map((u) => u.event)).toEqual(sim.slice(0, liveSim.client.updates.length).map((u) => u.event));
    expect(liveOther.client.updates.map((u) => u.event)).toEqual(other.slice(0, liveOther.client.updates.length).map((u) => u.event));

    const byAccount = { [SIM]: sim, [OTHER]: other } as Record<number, Update[]>;
    for (const a of ackedAlerts) expect(byAccount[a.account]![a.cpt - 1]!.event.msg).toMatchObject({ tag: a.tag });
    for (const c of ackedCalls) {
      const starts = byAccount[c.account]!.filter((u) => u.event.type_notification === 'num' && u.event.event === 'start' && u.event.msg.id_call === c.id);
      expect(starts, `num/start of call ${c.id} on ${c.account}`).toHaveLength(1);
    }
    for (const id of ackedPushes) {
      expect(sim.some((u) => u.event.type_notification === 'PUSHCALL' && u.event.msg.id_push === id), `PUSHCALL/request ${id}`).toBe(true);
    }
    expect(lawful(SIM, sim)).toEqual([]);
    expect(lawful(OTHER, other)).toEqual([]);
  });
});

/** A real SQLite log that refuses, on demand, any batch holding one account's events. */
function failingFor(store: Store, refused: Set<number>): Store {
  const append = store.events.append.bind(store.events);
  return {
    ...store,
    events: {
      ...store.events,
      readAfter: store.events.readAfter.bind(store.events),
      lastCpts: store.events.lastCpts.bind(store.events),
      prune: store.events.prune.bind(store.events),
      firstCptAt: store.events.firstCptAt.bind(store.events),
      async append(events: readonly LoggedEvent[], bodies: readonly string[]) {
        const bad = events.find((e) => refused.has(e.accountId));
        if (bad) throw new Error(`disk refused account ${bad.accountId}`);
        return append(events, bodies);
      },
    },
  };
}

describe('failure isolation', () => {
  it('a batch the log refuses fails only the account it belongs to; the others are durable and numbering stays gapless', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vm-isolation-'));
    const real = createSqliteStore(dir);
    cleanups.push(async () => {
      await real.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const refused = new Set([4]);
    const store = failingFor(real, refused);
    const publisher = new Publisher({ log: store.events, clock: systemClock, accountExists: () => true });
    await publisher.init();
    const fanned: number[] = [];
    publisher.onDurable((events) => fanned.push(...events.filter((e) => e.accountId === 3).map((e) => e.cpt)));
    const ev = (tag: string) => ({ type_notification: 'queue', event: 'alert_op', msg: { id_queue: 5, validity: 1, tag } });
    // One shared batch: both accounts' events interleaved, plus one that cannot be serialised.
    const circular: Record<string, unknown> = { id_queue: 5, validity: 1 };
    circular.self = circular;
    const results = await Promise.allSettled([
      ...Array.from({ length: 50 }, (_, i) => publisher.publish(3, ev(`ok-${i}`))),
      ...Array.from({ length: 50 }, (_, i) => publisher.publish(4, ev(`refused-${i}`))),
      publisher.publishValid(3, { type_notification: 'queue', event: 'alert_op', msg: circular } as unknown as Notification),
    ]);
    const ok3 = results.slice(0, 50);
    expect(ok3.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(ok3.map((r) => (r as PromiseFulfilledResult<number>).value)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(results.slice(50, 100).every((r) => r.status === 'rejected')).toBe(true);
    expect(results[100]).toMatchObject({ status: 'rejected', reason: { code: 'INVALID_NOTIFICATION' } });
    expect(fanned).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const logged = await real.events.readAfter(3, 0, 100);
    expect(logged.map((e) => (e.notification.msg as { tag?: string }).tag)).toEqual(Array.from({ length: 50 }, (_, i) => `ok-${i}`));
    expect(await real.events.readAfter(4, 0, 100)).toEqual([]);
    // Account 4 recovers with its numbering intact.
    refused.clear();
    expect(await publisher.publish(4, ev('after'))).toBe(1);
    expect(await publisher.publish(3, ev('after'))).toBe(51);
    await publisher.close();
  });
});

describe('what the publisher keeps of a durable event', () => {
  it('the log stores each body it was given; the recent-events ring and the fan-out keep the event without its body', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vm-kept-'));
    const store = createSqliteStore(dir);
    cleanups.push(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const publisher = new Publisher({ log: store.events, clock: systemClock, accountExists: () => true });
    await publisher.init();
    const fanned: LoggedEvent[] = [];
    publisher.onDurable((events) => fanned.push(...events));
    const ev = (tag: string) => ({ type_notification: 'queue', event: 'alert_op', msg: { id_queue: 5, validity: 1, tag } });
    const tags = Array.from({ length: 70 }, (_, i) => `t-${i}`); // more than one 64-row chunk
    await Promise.all(tags.map((t) => publisher.publish(3, ev(t))));
    const logged = await store.events.readAfter(3, 0, 100);
    expect(logged.map((e) => [e.cpt, (e.notification.msg as { tag?: string }).tag])).toEqual(tags.map((t, i) => [i + 1, t]));
    const recent = publisher.recentAfter(3, 0)!;
    expect(recent.map((e) => e.cpt)).toEqual(tags.map((_, i) => i + 1));
    expect(fanned.map((e) => e.cpt)).toEqual(tags.map((_, i) => i + 1));
    for (const e of [...recent, ...fanned]) expect(Object.keys(e).sort()).toEqual(['accountId', 'at', 'cpt', 'notification']);
    await publisher.close();
  });
});

describe('engine commands and durability', () => {
  it('answers a command whose events cannot be stored with EVENTS_NOT_DURABLE, rebuilds the account from the log, and stays lawful', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vm-not-durable-'));
    const real = createSqliteStore(dir);
    await importAccountFile(real, FIXTURES + 'callcenter.json');
    const refused = new Set<number>();
    const app: App = await buildApp({ store: failingFor(real, refused), adminToken: ADMIN_TOKEN });
    const port = await app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${port}`;
    cleanups.push(async () => {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const live = await streamOf(url, SIM, 'cc-api', 'cc-secret2');
    cleanups.push(() => live.client.close());

    expect(await post(url, `/api/v1/accounts/${SIM}/operators/71/login`, {})).toMatchObject({ status: 200 });
    const call = await post(url, `/api/v1/accounts/${SIM}/calls`, { service: '33800000075', caller: '33611111111' });
    expect(call.status).toBe(200);

    refused.add(SIM);
    const lost = await post(url, `/api/v1/accounts/${SIM}/calls`, { service: '33800000075', caller: '33622222222' });
    expect(lost).toMatchObject({ status: 503, body: { error: 'EVENTS_NOT_DURABLE' } });
    // While the log refuses, the account cannot be rebuilt: commands are refused, not lost.
    const meanwhile = await post(url, `/api/v1/accounts/${SIM}/operators/72/login`, {});
    expect(meanwhile.status).toBe(503);

    refused.clear();
    // The fresh engine starts from a settled log: the open call ended, operator 71 logged out.
    const again = await post(url, `/api/v1/accounts/${SIM}/operators/71/login`, {});
    expect(again).toMatchObject({ status: 200, body: { ok: true } });
    const t = await vmToken(url, 'cc-api', 'cc-secret2', { user_type: 'api' });
    const snap = await http(`${url}/api/v1/realtime?id_session=${t.body.id_session}`);
    expect(snap.status).toBe(200);
    const g70 = (snap.body.groups as { id: number; waiting: number }[]).find((g) => g.id === 70)!;
    expect(g70.waiting).toBe(0);
    const ops = snap.body.operators as { id: number; state: string }[];
    expect(ops.find((o) => o.id === 71)?.state).toBe('available');
    expect(ops.find((o) => o.id === 72)?.state).toBe('logged_out');

    const last = app.services.publisher.deliveredCpt(SIM);
    const got = await live.client.waitFor(last);
    expect(got.map((u) => u.cpt)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    const checker = new LawfulChecker(SIM);
    for (const u of got) checker.observe(u.event as Notification);
    expect(checker.errors).toEqual([]);
    // The first call got its end; no event of the refused call was ever logged.
    const ends = got.filter((u) => u.event.type_notification === 'num' && u.event.event === 'end').map((u) => (u.event.msg as { id_call: number }).id_call);
    expect(ends).toContain(call.body.id_call);
    expect(got.some((u) => u.event.type_notification === 'num' && u.event.msg.caller_id_num === '33622222222')).toBe(false);
  });
});
