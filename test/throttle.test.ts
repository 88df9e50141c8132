// Nobody locks out the real user (issue 9, item 8): failed logins are throttled per
// (login, source) and per source with lockouts that double; the admin token is throttled
// per source; X-Forwarded-For is believed only from the proxies listed in trustProxy; an
// Engine.IO session is bound to the address that opened it. Real server, real HTTP, and
// distinct loopback source addresses (127.0.0.x) for the attacker and the real user.
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import WebSocket from 'ws';
import { io, type Socket } from 'socket.io-client';
import type { InitAck } from '../src/protocol/index.ts';
import { ManualClock } from '../src/clock.ts';
import { closedAfterEach } from './helpers/per-test.ts';
import { ADMIN_TOKEN, http, publishHttp, uiLogin, vmToken, wsInit } from './helpers/server.ts';

const { server, client } = closedAfterEach();
const sockets: Socket[] = [];
// Closed before the clients and servers: vitest runs afterEach hooks last-registered first.
afterEach(() => {
  for (const c of sockets.splice(0)) c.close();
});

/** Opens a WebSocket stream from `localAddress` with extra request headers, and inits. */
function streamInit(url: string, opts: { localAddress: string; headers?: Record<string, string> }, ...args: unknown[]): Promise<InitAck> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, localAddress: opts.localAddress, extraHeaders: opts.headers } as never);
  sockets.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => socket.emit('init', ...args, (ack: InitAck) => resolve(ack)));
    socket.once('connect_error', reject);
  });
}

const ATTACKER = '127.0.0.2';
const USER = '127.0.0.3';
const basic = (login: string, password: string) => `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;

/** GET /vm/operators with HTTP Basic, as an integration polls it. */
function vmOperators(url: string, login: string, password: string, localAddress?: string) {
  return http(`${url}/vm/operators`, { headers: { authorization: basic(login, password) }, ...(localAddress ? { localAddress } : {}) });
}

function adminPublish(url: string, token: string, localAddress: string) {
  return http(`${url}/api/v1/accounts/3/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(uiLogin(8)),
    localAddress,
  });
}

describe('failed logins from one address', () => {
  it('do not lock the right password out from another address (default limits)', async () => {
    const s = await server();
    const statuses: number[] = [];
    // 50 failures from the attacker, on every way in: supervisor login, API token, Basic auth.
    for (let i = 0; i < 50; i++) {
      const r = i % 3 === 0 ? await wsInit(s.url, 'sup', `guess${i}`, { localAddress: ATTACKER }) : i % 3 === 1 ? await vmToken(s.url, 'api', `guess${i}`, { user_type: 'api' }, ATTACKER) : await vmOperators(s.url, 'api', `guess${i}`, ATTACKER);
      expect([401, 429]).toContain(r.status);
      statuses.push(r.status);
    }
    expect(statuses).toContain(429);
    // The attacker is refused even with the right password (no verdict while locked) …
    expect((await wsInit(s.url, 'sup', 'secret', { localAddress: ATTACKER })).status).toBe(429);
    // … and the real users, elsewhere, are not.
    expect((await wsInit(s.url, 'sup', 'secret', { localAddress: USER })).status).toBe(200);
    expect((await vmToken(s.url, 'api', 'secret2', { user_type: 'api' }, USER)).status).toBe(200);
    expect((await vmOperators(s.url, 'api', 'secret2', USER)).status).toBe(200);
  });

  it('lock the attacker out for longer each time (Retry-After doubles), while the user keeps logging in', async () => {
    const clock = new ManualClock();
    const s = await server(['acme.json'], { clock, throttle: { perLogin: 3, windowMs: 60_000 } });
    const waits: number[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 3; i++) expect((await vmToken(s.url, 'api', `bad${round}${i}`, { user_type: 'api' }, ATTACKER)).status).toBe(401);
      const blocked = await vmToken(s.url, 'api', 'secret2', { user_type: 'api' }, ATTACKER);
      expect(blocked.status).toBe(429);
      expect(blocked.body).toEqual({ error: 'TOO_MANY_ATTEMPTS', message: expect.stringMatching(/retry in \d+ s/) });
      waits.push(Number(blocked.headers['retry-after']));
      expect((await vmToken(s.url, 'api', 'secret2', { user_type: 'api' }, USER)).status).toBe(200);
      expect((await vmOperators(s.url, 'api', 'secret2', USER)).status).toBe(200);
      // Still locked one second before the end of the lockout; free after it.
      clock.advance(waits[round]! * 1000 - 1000);
      expect((await vmToken(s.url, 'api', 'secret2', { user_type: 'api' }, ATTACKER)).status).toBe(429);
      clock.advance(1000);
    }
    expect(waits).toEqual([60, 120, 240, 480]);
    // Once free, the right password works again from that address too, and wipes its record.
    expect((await vmToken(s.url, 'api', 'secret2', { user_type: 'api' }, ATTACKER)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await vmToken(s.url, 'api', 'bad', { user_type: 'api' }, ATTACKER)).status).toBe(401);
    expect(Number((await vmToken(s.url, 'api', 'secret2', { user_type: 'api' }, ATTACKER)).headers['retry-after'])).toBe(60);
  });

  it('lock the whole source after perIp failures over many logins, for longer each time', async () => {
    const clock = new ManualClock();
    const s = await server(['acme.json'], { clock, throttle: { perLogin: 100, perIp: 5, windowMs: 60_000 } });
    const waits: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++) expect((await wsInit(s.url, `user${round}-${i}`, 'x', { localAddress: ATTACKER })).status).toBe(401);
      const r = await wsInit(s.url, 'someone-else', 'x', { localAddress: ATTACKER });
      expect(r.status).toBe(429);
      waits.push(Number(r.headers['retry-after']));
      expect((await wsInit(s.url, 'sup', 'secret', { localAddress: USER })).status).toBe(200);
      clock.advance(waits[round]! * 1000);
    }
    expect(waits).toEqual([60, 120, 240]);
  });
});

describe('wrong admin tokens', () => {
  it('are throttled per source: 429 with Retry-After, even for the right token from there; other sources unaffected', async () => {
    const s = await server();
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await adminPublish(s.url, `guess-${i}`, ATTACKER)).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual(Array(20).fill(429));
    const blocked = await adminPublish(s.url, ADMIN_TOKEN, ATTACKER);
    expect(blocked.status).toBe(429);
    expect(blocked.body).toEqual({ error: 'TOO_MANY_ATTEMPTS', message: expect.any(String) });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await adminPublish(s.url, ADMIN_TOKEN, USER)).status).toBe(200);
  });

  it('are throttled on the call-control API too (a bearer that is neither a session nor the admin token)', async () => {
    const s = await server();
    const hangup = (token: string, localAddress: string) =>
      http(`${s.url}/api/v1/accounts/3/calls/1/hangup`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, localAddress });
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) statuses.push((await hangup(`guess-${i}`, ATTACKER)).status);
    expect(statuses.slice(0, 10).every((x) => x === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual(Array(5).fill(429));
    // A session token still works from the locked source (it is not a guess at the admin token).
    const token = (await vmToken(s.url, 'api', 'secret2', { user_type: 'api' }, ATTACKER)).body.id_session as string;
    expect((await hangup(token, ATTACKER)).status).not.toBe(429);
    expect((await hangup(ADMIN_TOKEN, USER)).status).not.toBe(429);
  });
});

describe('X-Forwarded-For', () => {
  const PROXY = '127.0.0.4';
  const xff = (ip: string) => ({ 'X-Forwarded-For': ip });

  it('is ignored from a peer that is not a listed proxy, for HTTP and for the stream', async () => {
    const s = await server(['acme.json'], { trustProxy: [PROXY] });
    // A login through the real proxy, for a client at 127.0.0.9.
    const viaProxy = await http(`${s.url}/ws/`, {
      method: 'POST',
      headers: { ...xff('127.0.0.9'), 'X-JSON': JSON.stringify({ requete: 'init', header: { login: 'sup', password: 'secret', account_type: 'supervisor' }, msg: {} }) },
      localAddress: PROXY,
    });
    expect(viaProxy.status).toBe(200);
    const token = viaProxy.body.id_session as string;
    // Someone else claims to be 127.0.0.9 by the header: the token stays bound to 127.0.0.9.
    expect(await streamInit(s.url, { localAddress: ATTACKER, headers: xff('127.0.0.9') }, 'supervisor', 12, token)).toMatchObject({ ok: false, error: 'TOKEN_IP_MISMATCH' });
    // The real client, through the proxy, is served.
    expect(await streamInit(s.url, { localAddress: PROXY, headers: xff('127.0.0.9') }, 'supervisor', 12, token)).toMatchObject({ ok: true });

    // On HTTP the spoofer's failures count against its own address, not the one it names.
    for (let i = 0; i < 10; i++) {
      await http(`${s.url}/ws/`, {
        method: 'POST',
        headers: { ...xff('127.0.0.9'), 'X-JSON': JSON.stringify({ requete: 'init', header: { login: 'sup', password: 'bad', account_type: 'supervisor' }, msg: {} }) },
        localAddress: ATTACKER,
      });
    }
    expect((await wsInit(s.url, 'sup', 'secret', { localAddress: ATTACKER })).status).toBe(429);
    const stillFine = await http(`${s.url}/ws/`, {
      method: 'POST',
      headers: { ...xff('127.0.0.9'), 'X-JSON': JSON.stringify({ requete: 'init', header: { login: 'sup', password: 'secret', account_type: 'supervisor' }, msg: {} }) },
      localAddress: PROXY,
    });
    expect(stillFine.status).toBe(200);
  });

  it('is honoured from a listed proxy: each client behind it is its own source', async () => {
    const s = await server(['acme.json'], { trustProxy: `10.9.9.9, ${PROXY}` });
    const login = (password: string, forwardedFor: string) =>
      http(`${s.url}/ws/`, {
        method: 'POST',
        headers: { ...xff(forwardedFor), 'X-JSON': JSON.stringify({ requete: 'init', header: { login: 'sup', password, account_type: 'supervisor' }, msg: {} }) },
        localAddress: PROXY,
      });
    for (let i = 0; i < 10; i++) expect((await login('bad', '127.0.0.20')).status).toBe(401);
    expect((await login('secret', '127.0.0.20')).status).toBe(429);
    const other = await login('secret', '127.0.0.21');
    expect(other.status).toBe(200);
    // The token is bound to the forwarded address.
    const direct = client(s.url, { localAddress: '127.0.0.21' });
    expect(await direct.init('supervisor', 12, other.body.id_session)).toMatchObject({ ok: true });
  });
});

/** A raw HTTP request to the Engine.IO endpoint; resolves with status and body text. */
function engineRequest(url: string, opts: { method: string; body?: string; localAddress: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method, localAddress: opts.localAddress, headers: { 'content-type': 'text/plain;charset=UTF-8' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

describe('a long-polling session', () => {
  it('is refused to requests from another address (posting into it, or upgrading it), and keeps serving its owner', async () => {
    const s = await server();
    // (socket.io-client's polling transport cannot choose its source address: the owner is 127.0.0.1.)
    const token = (await vmToken(s.url, 'api', 'secret2', { user_type: 'api' })).body.id_session as string;
    const owner = client(s.url, { transports: ['polling'] });
    expect(await owner.init('api', 3, token)).toMatchObject({ ok: true });
    const sid = (owner.socket.io.engine as unknown as { id: string }).id;
    expect(sid).toMatch(/\S+/);
    const endpoint = `${s.url}/socket.io/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`;

    // Another address posts a packet into the owner's session: refused.
    const refusal = { error: 'SESSION_IP_MISMATCH', message: 'This stream session was opened from another IP address.' };
    const post = await engineRequest(endpoint, { method: 'POST', body: '42["subscribe_stats"]', localAddress: ATTACKER });
    expect(post.status).toBe(403);
    expect(JSON.parse(post.body)).toEqual(refusal);
    // Another address polls it: refused (it would take the owner's events).
    const poll = await engineRequest(endpoint, { method: 'GET', localAddress: ATTACKER });
    expect(poll.status).toBe(403);
    expect(JSON.parse(poll.body)).toEqual(refusal);
    // Another address upgrades it to a WebSocket: refused.
    const ws = new WebSocket(`${s.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket&sid=${encodeURIComponent(sid)}`, { localAddress: ATTACKER });
    const upgrade = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => resolve(-1));
    });
    ws.terminate();
    expect(upgrade).toBe(400);

    // The owner is still connected and receives.
    expect(owner.socket.connected).toBe(true);
    const r = await publishHttp(s.url, 3, uiLogin(8));
    expect(r.status).toBe(200);
    const [u] = await owner.waitFor(1);
    expect(u!.cpt).toBe(r.body.cpt);
  });
});
