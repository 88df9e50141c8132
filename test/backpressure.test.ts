// Backpressure on the stream (issue 9, items 2 and 3): a `since` replay is paced by its
// client, and a client that stops reading is cut at a per-socket cap with a stated reason,
// while its neighbours keep receiving everything. Real server, real clients that really
// stop reading (their TCP socket paused, or long-polling stopped); the server's buffered
// bytes are measured at the Engine.IO layer by the test itself, independently of the
// gateway's own accounting.
import { afterEach, describe, expect, it } from 'vitest';
import type { Socket as EngineSocket } from 'engine.io';
import { connect, type TestClient } from './helpers/clients.ts';
import { startTestServer, wsInit, type TestServer } from './helpers/server.ts';
import { connect as sdkConnect, type Update, type VmClient } from '../packages/client/src/index.ts';

const ACCOUNT = 3;
const BIG = 'x'.repeat(1000);
/** A PUSHCALL/request of ~3 KB on the wire, so a few thousand fill the kernel's buffers. */
const bigEvent = (i: number) => ({
  type_notification: 'PUSHCALL',
  event: 'request',
  msg: { id_push: i, id_operator: 0, e164: '33123456789', priority: 1, type: 'AUTO', vars: { a: BIG, b: BIG, c: BIG } },
});

let srv: TestServer | undefined;
const closers: (() => void)[] = [];
afterEach(async () => {
  closers.splice(0).forEach((c) => c());
  await srv?.close();
  srv = undefined;
});

/** Polls `cond` until it holds (bounded). */
async function until(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Records, for every Engine.IO connection, the most bytes the server held for it: packets
 * in its write buffer plus what the websocket has not written out (ws `bufferedAmount`).
 */
function meter(s: TestServer) {
  // What the process holds for a connection: the Engine.IO write buffer and the bytes the
  // websocket has not handed to the kernel.
  const peaks = new Map<string, number>();
  const conns = new Map<string, EngineSocket>();
  const size = (p: { data?: unknown }) => (typeof p.data === 'string' ? p.data.length : 0);
  s.app.io.engine.on('connection', (conn: EngineSocket) => {
    const id = (conn as unknown as { id: string }).id;
    conns.set(id, conn);
    conn.on('packetCreate', (p: { data?: unknown }) => {
      let bytes = size(p);
      for (const q of (conn as unknown as { writeBuffer: { data?: unknown }[] }).writeBuffer) bytes += size(q);
      const ws = (conn.transport as unknown as { socket?: { bufferedAmount?: number } }).socket;
      if (conn.transport.name === 'websocket') bytes += ws?.bufferedAmount ?? 0;
      peaks.set(id, Math.max(peaks.get(id) ?? 0, bytes));
    });
  });
  return {
    peak: (c: TestClient) => peaks.get(c.socket.io.engine.id) ?? 0,
    conn: (c: TestClient) => conns.get(c.socket.io.engine.id),
  };
}

async function supervisor(s: TestServer) {
  const r = await wsInit(s.url, 'sup', 'secret');
  expect(r.status).toBe(200);
  return r.body as { target: number; id_session: string };
}

async function publishBig(s: TestServer, from: number, n: number): Promise<void> {
  const all: Promise<number>[] = [];
  for (let i = 0; i < n; i++) all.push(s.app.services.publisher.publish(ACCOUNT, bigEvent(from + i)));
  await Promise.all(all);
}

/** Publishes batches of big events until the gateway cuts a slow consumer; returns how many it published. */
async function publishUntilCut(s: TestServer, batch: number, max: number, who: string): Promise<number> {
  let sent = 0;
  while (s.app.gateway.slowConsumersCut === 0) {
    if (sent >= max) throw new Error(`${who} was never cut`);
    await publishBig(s, sent + 1, batch);
    sent += batch;
  }
  return sent;
}

function client(s: TestServer, transports = ['websocket']): TestClient {
  const c = connect(s.url, { transports });
  closers.push(() => c.close());
  return c;
}

const connected = (c: TestClient) => (c.socket.connected ? Promise.resolve() : new Promise<void>((r) => c.socket.once('connect', () => r())));
/** The ws WebSocket under a socket.io-client websocket connection (pause() stops reading). */
const wsOf = (c: TestClient) => (c.socket.io.engine.transport as unknown as { ws: { pause(): void; resume(): void } }).ws;
const streamErrors = (c: TestClient) => {
  const got: { error: string; message: string }[] = [];
  c.socket.on('stream_error' as never, (e: { error: string; message: string }) => void got.push(e));
  return got;
};

describe('a since replay is paced by its client', () => {
  it('waits while the client does not read, holds less than the cap, and resumes with every event once, in order', async () => {
    const cap = 1024 * 1024;
    srv = await startTestServer(['acme.json'], { maxBufferedBytes: cap, slowConsumerGraceMs: 60_000 });
    const s = srv;
    const m = meter(s);
    const N = 5000; // ~15 MB: more than the loopback socket buffers hold
    await publishBig(s, 1, N);
    const { target, id_session } = await supervisor(s);

    const c = client(s);
    const errors = streamErrors(c);
    await connected(c);
    wsOf(c).pause();
    const ack = c.init('supervisor', target, id_session, { since: 0 });
    // The replay filled the transport and the kernel's buffers: the server holds data for
    // this socket that the client is not taking.
    const conn = m.conn(c)!;
    const unwritten = () => (conn.transport as unknown as { socket: { bufferedAmount: number } }).socket.bufferedAmount;
    await until(() => unwritten() > 0, 'the kernel to refuse more for the paused client');
    expect(c.updates.length).toBeLessThan(N);
    wsOf(c).resume();
    await expect(ack).resolves.toMatchObject({ ok: true, cpt: N });
    const got = await c.waitFor(N, 120_000);
    expect(got.map((u) => u.cpt)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect(errors).toEqual([]);
    expect(s.app.gateway.slowConsumersCut).toBe(0);
    // What the server held for this socket stayed below the cap (measured here, not by the gateway).
    expect(m.peak(c)).toBeGreaterThan(0);
    expect(m.peak(c)).toBeLessThan(cap);
  }, 180_000);

  it('paces a long-polling replay too: every event once, in order, never more than the cap held', async () => {
    const cap = 512 * 1024;
    srv = await startTestServer(['acme.json'], { maxBufferedBytes: cap });
    const s = srv;
    const m = meter(s);
    const N = 1500;
    await publishBig(s, 1, N);
    const { target, id_session } = await supervisor(s);
    const c = client(s, ['polling']);
    const errors = streamErrors(c);
    const ack = await c.init('supervisor', target, id_session, { since: 0 });
    expect(ack).toMatchObject({ ok: true, cpt: N });
    const got = await c.waitFor(N, 120_000);
    expect(got.map((u) => u.cpt)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect(errors).toEqual([]);
    expect(m.peak(c)).toBeLessThan(cap);
  }, 180_000);
});

describe('a client that stops reading is cut at its cap', () => {
  it('websocket: the stalled client gets SLOW_CONSUMER and is disconnected; its neighbour receives everything', async () => {
    const cap = 1024 * 1024;
    srv = await startTestServer(['acme.json'], { maxBufferedBytes: cap, slowConsumerGraceMs: 60_000 });
    const s = srv;
    const m = meter(s);
    const tok = await supervisor(s);
    const stalled = client(s);
    const normal = client(s);
    const errors = streamErrors(stalled);
    const disconnect = new Promise<string>((r) => stalled.socket.once('disconnect', r));
    expect(await stalled.init('supervisor', tok.target, tok.id_session)).toMatchObject({ ok: true });
    expect(await normal.init('supervisor', tok.target, tok.id_session)).toMatchObject({ ok: true });
    wsOf(stalled).pause();

    const BATCH = 100;
    let sent = await publishUntilCut(s, BATCH, 30_000, 'the stalled client');
    // The server held at most the cap plus the one batch fanned out when it was crossed.
    expect(m.peak(stalled)).toBeLessThan(cap + BATCH * 3200);
    await publishBig(s, sent + 1, BATCH);
    sent += BATCH;
    // The client reads again: what was already on its way, then the reason, then the disconnect.
    wsOf(stalled).resume();
    expect(await disconnect).toBe('io server disconnect');
    expect(errors).toEqual([expect.objectContaining({ error: 'SLOW_CONSUMER', message: expect.stringMatching(/resume with since/) })]);
    const cut = stalled.updates.map((u) => u.cpt);
    expect(cut).toEqual(Array.from({ length: cut.length }, (_, i) => i + 1));
    expect(cut.length).toBeLessThan(sent);

    const got = await normal.waitFor(sent, 120_000);
    expect(got.map((u) => u.cpt)).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
  }, 180_000);

  it('long-polling: a client that stops polling is cut, and the server no longer holds its backlog', async () => {
    const cap = 1024 * 1024;
    srv = await startTestServer(['acme.json'], { maxBufferedBytes: cap });
    const s = srv;
    const m = meter(s);
    const tok = await supervisor(s);
    const stalled = client(s, ['polling']);
    const normal = client(s, ['polling']);
    expect(await stalled.init('supervisor', tok.target, tok.id_session)).toMatchObject({ ok: true });
    expect(await normal.init('supervisor', tok.target, tok.id_session)).toMatchObject({ ok: true });
    const conn = m.conn(stalled)!;
    // Stop polling (what engine.io-client does before an upgrade), for good.
    await new Promise<void>((r) => (stalled.socket.io.engine.transport as unknown as { pause(cb: () => void): void }).pause(r));

    const BATCH = 50;
    let sent = await publishUntilCut(s, BATCH, 10_000, 'the stalled client');
    expect(m.peak(stalled)).toBeLessThan(cap + BATCH * 3200);
    // The Socket.IO socket is gone and what it never polled is dropped, not kept.
    const sock = [...s.app.io.sockets.sockets.values()].find((x) => x.conn === conn);
    expect(sock).toBeUndefined();
    const held = (conn as unknown as { writeBuffer: { data?: unknown }[] }).writeBuffer.reduce((n, p) => n + (typeof p.data === 'string' ? p.data.length : 0), 0);
    expect(held).toBeLessThan(4096);
    await publishBig(s, sent + 1, BATCH);
    sent += BATCH;
    const got = await normal.waitFor(sent, 120_000);
    expect(got.map((u) => u.cpt)).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
  }, 180_000);

  it('an SDK client that was cut resumes with since and gets every event exactly once, in order', async () => {
    const cap = 1024 * 1024;
    srv = await startTestServer(['acme.json'], { maxBufferedBytes: cap, slowConsumerGraceMs: 60_000 });
    const s = srv;
    const sdk: VmClient = await sdkConnect({ url: s.url, login: 'sup', password: 'secret', transports: ['websocket'], reconnectionDelay: 50 });
    closers.push(() => void sdk.close());
    const seen: Update[] = [];
    const codes: string[] = [];
    sdk.on('event', (u) => seen.push(u));
    sdk.on('error', (e) => codes.push(e.code));
    const ws = () => ((sdk as unknown as { socket: TestClient['socket'] }).socket.io.engine.transport as unknown as { ws: { pause(): void; resume(): void } }).ws;
    ws().pause();

    const BATCH = 100;
    let sent = await publishUntilCut(s, BATCH, 30_000, 'the SDK client');
    ws().resume();
    await publishBig(s, sent + 1, BATCH);
    sent += BATCH;
    await until(() => seen.length >= sent && sdk.stats.resumes >= 1, `the SDK to resume and receive ${sent} events (has ${seen.length})`, 120_000);
    expect(seen.map((u) => u.cpt)).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
    expect(codes).toContain('SLOW_CONSUMER');
  }, 180_000);
});
