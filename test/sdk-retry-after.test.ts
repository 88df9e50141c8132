// The SDK honours Retry-After (issue 9, item 8): after a 429 on a token renewal or on a
// new login, it sends nothing more to the server until the time the server gave. The
// scripted server keeps the window itself: it counts every request that arrives while
// its window is open, then answers again.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { connect, type VmClient } from '../packages/client/src/index.ts';
import { formatExpire } from '../src/protocol/index.ts';
import { until } from './helpers/until.ts';

const RETRY_AFTER_S = 3;


/**
 * A scripted server. `throttle(n)` says whether the n-th token request is answered 429
 * with Retry-After; from that answer until Retry-After has (almost) passed, the window is
 * open and every token request arriving is counted in `early` (and answered 429 again).
 */
async function scriptedServer(opts: { lifetimeMs: number; throttle: (n: number) => boolean; onInit: (socket: import('socket.io').Socket, ack: (a: unknown) => void, n: number) => void }) {
  let requests = 0;
  let early = 0;
  let windowOpen = false;
  const seen: string[] = [];
  const http: HttpServer = createServer((req: IncomingMessage, res) => {
    const n = ++requests;
    const xjson = req.headers['x-json'];
    seen.push(req.url === '/vm/token' ? 'vm/token' : String(JSON.parse(String(xjson)).requete));
    res.setHeader('content-type', 'application/json');
    res.setHeader('date', new Date().toUTCString());
    if (windowOpen) {
      early++;
      res.statusCode = 429;
      res.setHeader('retry-after', '1');
      return res.end(JSON.stringify({ error: 'TOO_MANY_ATTEMPTS', message: 'Too many failed attempts; retry in 1 s.' }));
    }
    if (opts.throttle(n)) {
      windowOpen = true;
      // Closed a little before Retry-After runs out: the client's clock starts later than ours.
      setTimeout(() => (windowOpen = false), RETRY_AFTER_S * 1000 - 200);
      res.statusCode = 429;
      res.setHeader('retry-after', String(RETRY_AFTER_S));
      return res.end(JSON.stringify({ error: 'TOO_MANY_ATTEMPTS', message: `Too many failed attempts; retry in ${RETRY_AFTER_S} s.` }));
    }
    const expire = formatExpire(Date.now() + opts.lifetimeMs);
    const token = `t${n}`;
    if (req.url === '/vm/token') return res.end(JSON.stringify({ id_session: token, expire, id_client: 3, user_type: 'api' }));
    if (seen[seen.length - 1] === 'init') {
      return res.end(JSON.stringify({ ops: [], groupes: [], trunks: [], pauses: [], target: 12, id_client: 3, expire, id_session: token }));
    }
    return res.end(JSON.stringify({ id_session: token, expire }));
  });
  const io = new Server(http);
  let inits = 0;
  io.on('connection', (socket) => {
    socket.on('init', (...args: unknown[]) => opts.onInit(socket, args[args.length - 1] as (a: unknown) => void, ++inits));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    seen,
    early: () => early,
    close: () => new Promise<void>((r) => io.close(() => r())),
  };
}

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

describe('SDK and 429', () => {
  it('waits Retry-After before renewing again after a throttled renewal', async () => {
    // The renewal (refresh_token, the 2nd request) is throttled; the token then has ~0.15 s left,
    // which used to mean a retry every second.
    const server = await scriptedServer({ lifetimeMs: 1500, throttle: (n) => n === 2, onInit: (_s, ack) => ack({ ok: true, id_client: 3, cpt: 0 }) });
    closers.push(server.close);
    const c: VmClient = await connect({ url: server.url, login: 'sup', password: 'secret' });
    closers.push(() => c.close());
    const errors: string[] = [];
    c.on('error', (e) => errors.push(e.code));
    const tokens: string[] = [];
    c.on('token', (t) => tokens.push(t.idSession));
    await until('a renewal after the throttled one', () => tokens.length >= 1);
    expect(errors).toContain('TOO_MANY_ATTEMPTS');
    expect(server.seen.slice(0, 3)).toEqual(['init', 'refresh_token', 'refresh_token']);
    expect(server.early()).toBe(0);
  });

  it('waits Retry-After before logging in again after a throttled login (token refused at init)', async () => {
    const server = await scriptedServer({
      lifetimeMs: 3_600_000,
      // The login after the refusal (the 2nd /vm/token) is throttled.
      throttle: (n) => n === 2,
      onInit: (socket, ack, n) => {
        if (n === 1) {
          ack({ ok: true, id_client: 3, cpt: 0 });
          setTimeout(() => socket.disconnect(true), 20);
        } else if (n === 2) {
          ack({ ok: false, error: 'TOKEN_INVALID', message: 'The token is unknown, expired or revoked.' });
          socket.emit('init_error', { error: 'TOKEN_INVALID', message: 'revoked' });
          setTimeout(() => socket.disconnect(true), 20);
        } else ack({ ok: true, id_client: 3, cpt: 0 });
      },
    });
    closers.push(server.close);
    const c = await connect({ url: server.url, apiLogin: 'api', apiPassword: 'secret2', reconnectionDelay: 20, reconnectionDelayMax: 100 });
    closers.push(() => c.close());
    const errors: string[] = [];
    c.on('error', (e) => errors.push(e.code));
    await until('live again after the throttled login', () => c.stats.resumes >= 1 && c.state === 'live');
    expect(errors).toEqual(['TOKEN_INVALID', 'TOO_MANY_ATTEMPTS']);
    expect(server.seen).toEqual(['vm/token', 'vm/token', 'vm/token']);
    expect(server.early()).toBe(0);
  });
});
