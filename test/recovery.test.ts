// Item 5 of issue 9: no phantom calls after a crash. A real `vm serve --simulate` child is
// killed with SIGKILL under traffic, then stopped with SIGTERM under traffic, on the same
// data directory. After each restart the live state shows no waiting call nor operator on a
// call that no longer exists, history has a closed row for every call, and the log from
// cpt 1 passes the PROTOCOL §5 lawfulness checker across every restart. A clean shutdown
// closes everything itself, before the process exits.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore } from '../src/store/sqlite/index.ts';
import { importAccountFile } from '../src/cli/directory.ts';
import type { LoggedEvent } from '../src/store/types.ts';
import type { Notification } from '../src/protocol/index.ts';
import { ADMIN_TOKEN, FIXTURES, http, vmToken } from './helpers/server.ts';
import { connect } from './helpers/clients.ts';
import { killChildren, serveChild, stopChild } from './helpers/child.ts';
import { LawfulChecker } from './engine-lawful.ts';

const ACCOUNT = 7; // callcenter.json
const SERVICE = '33800000075';
const dataDir = mkdtempSync(join(tmpdir(), 'vm-recovery-'));
afterAll(() => {
  killChildren();
  rmSync(dataDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The account's whole log, read from the data directory while no server runs. */
async function readLog(): Promise<{ events: LoggedEvent[]; settled: number }> {
  const store = createSqliteStore(dataDir);
  const events: LoggedEvent[] = [];
  for (let after = 0; ; ) {
    const page = await store.events.readAfter(ACCOUNT, after, 5000);
    if (page.length === 0) break;
    events.push(...page);
    after = page[page.length - 1]!.cpt;
  }
  const settled = await store.engines.settledCpt(ACCOUNT);
  await store.close();
  return { events, settled };
}

function checked(events: readonly { notification: Notification }[]): LawfulChecker {
  const c = new LawfulChecker(ACCOUNT);
  for (const e of events) c.observe(e.notification);
  return c;
}

type Snapshot = { groups: { id: number; waiting: number; operators: { on_call: number; ringing: number } }[]; operators: { id: number; state: string }[]; trunks: { calls: number }[] };

async function realtime(url: string): Promise<Snapshot> {
  const t = await vmToken(url, 'cc-api', 'cc-secret2', { user_type: 'api' });
  const r = await http(`${url}/api/v1/realtime?id_session=${t.body.id_session}`);
  expect(r.status).toBe(200);
  return r.body as Snapshot;
}

/** Simulated traffic plus calls placed over the API, until calls wait and operators are on calls. */
async function busyCenter(url: string): Promise<void> {
  const post = (path: string, body: object) =>
    http(`${url}/api/v1/accounts/${ACCOUNT}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  for (let i = 0; i < 6; i++) expect((await post('/calls', { service: SERVICE, caller: `3361234${String(i).padStart(4, '0')}` })).status).toBe(200);
  expect((await post('/callbacks', { e164: '33655555555' })).status).toBe(200);
  await until('waiting calls and an operator on a call', async () => {
    const s = await realtime(url);
    const waiting = s.groups.some((g) => g.waiting > 0);
    const busy = s.operators.some((o) => o.state === 'on_call' || o.state === 'ringing' || o.state === 'calling');
    return waiting && busy ? true : undefined;
  });
}

/** After a restart: nothing phantom live, the stream lawful from cpt 1, a closed history row per call. */
async function expectCoherent(url: string): Promise<void> {
  const s = await realtime(url);
  for (const g of s.groups) expect(g, `group ${g.id}`).toMatchObject({ waiting: 0, operators: { on_call: 0, ringing: 0 } });
  for (const o of s.operators) expect(o.state, `operator ${o.id}`).toBe('logged_out');
  for (const t of s.trunks) expect(t.calls).toBe(0);

  const t = await vmToken(url, 'cc-api', 'cc-secret2', { user_type: 'api' });
  const c = connect(url);
  const ack = (await c.init('api', ACCOUNT, t.body.id_session, { since: 0, types: ['operator', 'UI', 'queue', 'trunk', 'num', 'input', 'PUSHCALL'] })) as { ok: boolean; cpt: number };
  expect(ack.ok).toBe(true);
  const got = await c.waitFor(ack.cpt, 30_000);
  c.close();
  expect(got.map((u) => u.cpt)).toEqual(Array.from({ length: ack.cpt }, (_, i) => i + 1));
  const checker = checked(got.map((u) => ({ notification: u.event as Notification })));
  expect(checker.finalErrors()).toEqual([]);

  const inbound = new Set(got.filter((u) => u.event.type_notification === 'num' && u.event.event === 'start').map((u) => (u.event.msg as { id_call: number }).id_call));
  const day = new Date().toISOString().slice(0, 10);
  const auth = `Basic ${Buffer.from('cc-api:cc-secret2').toString('base64')}`;
  const rows = await until('a history row for every call', async () => {
    const r = await http(`${url}/vm/calls/in`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ date: day }) });
    const list = r.body as { id_appel: number; status: string }[];
    return list.length >= inbound.size ? list : undefined;
  });
  expect(new Set(rows.map((r) => r.id_appel))).toEqual(inbound);
  expect(rows).toHaveLength(inbound.size);
}

describe('restart coherence', () => {
  it('closes with lawful events what a kill -9 left open; a SIGTERM closes everything itself', { timeout: 240_000 }, async () => {
    const store = createSqliteStore(dataDir);
    await importAccountFile(store, FIXTURES + 'callcenter.json');
    await store.close();

    // kill -9 under simulated traffic.
    let s = await serveChild(dataDir, ['--simulate', String(ACCOUNT)]);
    await busyCenter(s.url);
    await stopChild(s.child, 'SIGKILL');
    const crashed = await readLog();
    // The crash did leave calls and operators open in the log.
    expect(checked(crashed.events).finalErrors().length).toBeGreaterThan(0);

    s = await serveChild(dataDir);
    await expectCoherent(s.url);
    await stopChild(s.child, 'SIGTERM');

    // SIGTERM under simulated traffic: the shutdown itself ends every call and logs every
    // operator out, durably, before the process exits.
    s = await serveChild(dataDir, ['--simulate', String(ACCOUNT)]);
    await busyCenter(s.url);
    expect(await stopChild(s.child, 'SIGTERM')).toEqual({ code: 0, signal: null });
    const stopped = await readLog();
    const afterStop = checked(stopped.events);
    expect(afterStop.errors).toEqual([]);
    expect(afterStop.finalErrors()).toEqual([]);
    expect([...afterStop.ops.values()].filter((o) => o.loggedIn)).toEqual([]);
    expect(stopped.settled).toBe(stopped.events.at(-1)!.cpt);

    s = await serveChild(dataDir);
    await expectCoherent(s.url);
    // Nothing was left for the start to close: the log did not grow.
    expect((await readLogWhile()).length).toBe(stopped.events.length);
    await stopChild(s.child, 'SIGTERM');
  });
});

/** The log's length read while a server runs (SQLite WAL allows a concurrent reader). */
async function readLogWhile(): Promise<LoggedEvent[]> {
  return (await readLog()).events;
}
