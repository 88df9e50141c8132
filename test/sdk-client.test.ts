// The SDK against a real server (logins, typed events, snapshot, iterators, filters, token
// renewal with the socket kept open, resume after a cut) and against a scripted Socket.IO
// server (duplicates, string ids, refused tokens, server-side disconnects).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { apiToken, connect, isEvent, normalizeUpdate, VmClientError, type StateChange, type Update, type VmClient } from '../packages/client/src/index.ts';
import { formatExpire } from '../src/protocol/index.ts';
import { publishHttp, startTestServer, uiLogin, type TestServer } from './helpers/server.ts';
import { until } from './helpers/until.ts';


/** Every update a client delivers, through `on('event')`. */
function collect(c: VmClient): Update[] {
  const got: Update[] = [];
  c.on('event', (u) => got.push(u));
  return got;
}

async function publish(s: TestServer, n: number, op = 8): Promise<number[]> {
  const cpts: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await publishHttp(s.url, 3, uiLogin(op));
    expect(r.status).toBe(200);
    cpts.push(r.body.cpt as number);
  }
  return cpts;
}

/** Cuts the client's TCP connection under Socket.IO, as a network failure would. */
function cut(c: VmClient): void {
  const engine = c.socket.io.engine as unknown as { transport?: { ws?: { _socket?: { destroy(): void } } }; close(): void };
  const raw = engine.transport?.ws?._socket;
  if (raw) raw.destroy();
  else engine.close();
}

describe('SDK against the server', () => {
  let server: TestServer;
  const clients: VmClient[] = [];
  const track = (c: VmClient) => (clients.push(c), c);
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await server.close();
  });

  it('logs a supervisor in and delivers typed events in cpt order, with a snapshot of the directory', async () => {
    const c = track(await connect({ url: server.url, login: 'sup', password: 'secret' }));
    expect(c.state).toBe('live');
    expect(c.token).toMatchObject({ userType: 'supervisor', target: 12, idClient: 3 });
    const got = collect(c);
    const cpts = await publish(server, 4);
    await until('4 events', () => got.length >= 4);
    expect(got.map((u) => u.cpt)).toEqual(cpts);
    const first = got[0]!;
    expect(isEvent(first, 'UI', 'login')).toBe(true);
    if (isEvent(first, 'UI', 'login')) expect(first.event.msg.id_operator).toBe(8);

    const snap = await c.snapshot({ source: 'init' });
    expect(snap.source).toBe('init');
    expect(snap.directory?.ops.map((o) => o.nom)).toEqual(['Alice Martin', 'Bob Durand']);
    expect(snap.cpt).toBeLessThan(cpts[0]!);
    const auto = await c.snapshot();
    expect(auto.cpt).toBeGreaterThanOrEqual(snap.cpt);
    expect(auto.directory).toEqual(snap.directory);
  });

  it('rejects bad credentials with the server code, and an agent subscription without operatorId', async () => {
    const e = await connect({ url: server.url, login: 'sup', password: 'nope' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(VmClientError);
    expect(e).toMatchObject({ code: 'BAD_CREDENTIALS', status: 401 });
    await expect(connect({ url: server.url, apiLogin: 'api', apiPassword: 'secret2', userType: 'agent' })).rejects.toMatchObject({ code: 'INVALID_FIELD' });
    await expect(connect({ url: server.url, token: { userType: 'api', target: 3, idSession: 'forged' } })).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });

  it('gives api tokens the account, agent tokens one operator, and honours types and since', async () => {
    const base = (await publish(server, 1))[0]!;
    const api = track(await connect({ url: server.url, apiLogin: 'api', apiPassword: 'secret2', since: base - 1 }));
    const agent = track(await connect({ url: server.url, apiLogin: 'api', apiPassword: 'secret2', userType: 'agent', operatorId: 9 }));
    const onlyOps = track(await connect({ url: server.url, apiLogin: 'api', apiPassword: 'secret2', types: ['operator'] }));
    const [a, g, o] = [collect(api), collect(agent), collect(onlyOps)];
    const c8 = await publish(server, 2, 8);
    const c9 = await publish(server, 2, 9);
    await until('api events', () => a.length >= 5);
    await until('agent events', () => g.length >= 2);
    expect(a.map((u) => u.cpt)).toEqual([base, ...c8, ...c9]);
    expect(g.map((u) => u.cpt)).toEqual(c9);
    expect(agent.token).toMatchObject({ userType: 'agent', target: 9 });
    // An operator event, published after all the UI ones: once the operator-only client has
    // it, none of those came before it.
    const status = await publishHttp(server.url, 3, { type_notification: 'operator', event: 'status', msg: { status: 'available', id_operator: 8 } });
    expect(status.status).toBe(200);
    await until('the operator event', () => o.length >= 1);
    expect(o.map((u) => u.cpt)).toEqual([status.body.cpt]);
  });

  it('iterates with for await: the first consumer gets what came before it, break unsubscribes, close ends the loop', async () => {
    const c = track(await connect({ url: server.url, apiLogin: 'api', apiPassword: 'secret2' }));
    const early = await publish(server, 3);
    await until('early events received', () => c.cpt === early[2]);
    const seen: number[] = [];
    for await (const u of c) {
      seen.push(u.cpt);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual(early);

    // Two loops side by side each get every later event; close() ends both.
    const outs: number[][] = [[], []];
    const loop = async (out: number[]) => {
      for await (const u of c.events()) out.push(u.cpt);
      return out;
    };
    const [l1, l2] = [loop(outs[0]!), loop(outs[1]!)];
    const late = await publish(server, 3);
    await until('late events in both loops', () => outs.every((o) => o.length >= 3));
    c.close();
    expect(await l1).toEqual(late);
    expect(await l2).toEqual(late);
    expect(c.state).toBe('closed');
  });

  it.each(['websocket', 'polling'] as const)('resumes after the network is cut (%s), without a gap or a duplicate', async (transport) => {
    const c = track(await connect({ url: server.url, login: 'sup', password: 'secret', transports: [transport], reconnectionDelay: 50, reconnectionDelayMax: 200 }));
    expect(c.socket.io.engine.transport.name).toBe(transport);
    const got = collect(c);
    const states: StateChange[] = [];
    c.on('state', (s) => states.push(s));
    const expected = await publish(server, 2);
    await until('first events', () => got.length >= 2);
    cut(c);
    // Published while the client is away: replayed on resume.
    expected.push(...(await publish(server, 3)));
    await until('resumed', () => states.some((s) => s.state === 'live' && s.resumed));
    expected.push(...(await publish(server, 2)));
    // The last of them closes the sequence: when it is in, nothing else (no late duplicate) came before it.
    await until('the last event', () => got.some((u) => u.cpt === expected.at(-1)));
    expect(got.map((u) => u.cpt)).toEqual(expected);
    expect(states.map((s) => s.state)).toEqual(['reconnecting', 'live']);
    expect(states[1]).toMatchObject({ resumed: true, since: expected[1] });
    expect(c.stats.resumes).toBe(1);
  });
});

describe('SDK token renewal', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(['acme.json'], { tokenTtlMs: 1500 });
  });
  afterAll(() => server.close());

  const options = async (who: 'supervisor' | 'api' | 'given') => {
    if (who === 'supervisor') return { url: server.url, login: 'sup', password: 'secret', reconnectionDelay: 50 };
    if (who === 'api') return { url: server.url, apiLogin: 'api', apiPassword: 'secret2', reconnectionDelay: 50 };
    // A bare token, as a page would get it in its URL: renewed with refresh_token.
    const { token } = await apiToken(server.url, { login: 'api', password: 'secret2' });
    return { url: server.url, token: { userType: token.userType, target: token.target, idSession: token.idSession }, reconnectionDelay: 50 };
  };
  for (const who of ['supervisor', 'api', 'given'] as const) {
    it(`renews ${who === 'given' ? 'a given' : who === 'api' ? 'an api' : 'a supervisor'} token before expiry on the same socket, and reconnects with the newest one`, async () => {
      const asked = Date.now();
      const c = await connect(await options(who));
      const connected = Date.now();
      try {
        const got = collect(c);
        const socketId = c.socket.id;
        const first = c.token!;
        // Issued and received between asked and connected: 1.5 s, less at most that span.
        expect(first.lifetimeMs).toBeGreaterThanOrEqual(1500 - (connected - asked));
        expect(first.lifetimeMs).toBeLessThanOrEqual(1500);
        const tokens: string[] = [];
        c.on('token', (t) => tokens.push(t.idSession));
        // Two renewals (at ~90 % of 1.5 s each), so the first token has expired by then.
        await until('two renewals', () => tokens.length >= 2, 8_000);
        expect(c.socket.id).toBe(socketId);
        expect(c.state).toBe('live');
        expect(new Set([first.idSession, ...tokens]).size).toBe(3);
        expect(c.token!.idSession).toBe(tokens[tokens.length - 1]);
        const before = await publish(server, 2);
        await until('events on the renewed stream', () => got.length >= 2);
        cut(c);
        await until('resumed', () => c.stats.resumes === 1 && c.state === 'live');
        const after = await publish(server, 1);
        await until('events after resume', () => got.length >= 3);
        expect(got.map((u) => u.cpt)).toEqual([...before, ...after]);
        expect(c.stats.renewals).toBeGreaterThanOrEqual(2);
      } finally {
        c.close();
      }
    });
  }
});

/** A scripted stand-in for the server: POST /vm/token, then whatever `onInit` does. */
async function fakeServer(onInit: (socket: import('socket.io').Socket, args: unknown[], n: number) => void) {
  let tokens = 0;
  const http: HttpServer = createServer((req, res) => {
    tokens++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ id_session: `t${tokens}`, expire: formatExpire(Date.now() + 3_600_000), id_client: '3', user_type: 'api' }));
  });
  const io = new Server(http);
  let inits = 0;
  const initArgs: unknown[][] = [];
  io.on('connection', (socket) => {
    socket.on('init', (...args: unknown[]) => {
      initArgs.push(args.slice(0, -1));
      onInit(socket, args, ++inits);
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    initArgs,
    tokens: () => tokens,
    close: () => new Promise<void>((r) => io.close(() => r())),
  };
}

const ui = (cpt: unknown, op: unknown = 8) => ({ ts: 1, elapse: 0, cpt, event: { type_notification: 'UI', event: 'login', msg: { id_operator: op, id_client: '3', supp: '' } } });

describe('SDK against a scripted server', () => {
  it('drops duplicates and reads string ids and JSON-string payloads; resumes with since after a server-side disconnect', async () => {
    const fake = await fakeServer((socket, args, n) => {
      const ack = args[args.length - 1] as (a: unknown) => void;
      if (n === 1) {
        for (const u of [ui('1'), ui(2), ui(2), ui(1), ui('3', '9'), JSON.stringify(ui(4))]) socket.emit('update', u);
        ack({ ok: true, id_client: 3, cpt: 4 });
        setTimeout(() => socket.disconnect(true), 50);
      } else {
        // The replay overlaps what was delivered (a buggy or older server): cpt 4 is dropped.
        for (const u of [ui(4), ui(5)]) socket.emit('update', u);
        ack({ ok: true, id_client: 3, cpt: 5 });
        // Live, a duplicate and then a last event: once that is in, everything before it has been seen.
        for (const u of [ui(5), ui(6)]) socket.emit('update', u);
      }
    });
    const c = await connect({ url: fake.url, apiLogin: 'u', apiPassword: 'p', reconnectionDelay: 20 });
    try {
      const got = collect(c);
      await until('the last event', () => got.some((u) => u.cpt === 6));
      expect(got.map((u) => u.cpt)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(got[2]!.event.msg).toEqual({ id_operator: 9, id_client: 3, supp: '' });
      expect(c.stats.duplicates).toBe(4);
      expect(c.token).toMatchObject({ idClient: 3, target: 3 });
      expect(fake.initArgs).toEqual([
        ['api', 3, 't1', {}],
        ['api', 3, 't1', { since: 4 }],
      ]);
    } finally {
      c.close();
      await fake.close();
    }
  });

  it('gets a new token when init refuses the one it has, then resumes', async () => {
    const fake = await fakeServer((socket, args, n) => {
      const ack = args[args.length - 1] as (a: unknown) => void;
      if (n === 1) {
        socket.emit('update', ui(7));
        ack({ ok: true, id_client: 3, cpt: 7 });
        setTimeout(() => socket.disconnect(true), 20);
      } else if (n === 2) {
        ack({ ok: false, error: 'TOKEN_INVALID', message: 'The token is unknown, expired or revoked.' });
        socket.emit('init_error', { error: 'TOKEN_INVALID', message: 'expired' });
        setTimeout(() => socket.disconnect(true), 50);
      } else {
        socket.emit('update', ui(8));
        ack({ ok: true, id_client: 3, cpt: 8 });
      }
    });
    const c = await connect({ url: fake.url, apiLogin: 'u', apiPassword: 'p', reconnectionDelay: 20 });
    try {
      const got = collect(c);
      const errors: string[] = [];
      c.on('error', (e) => errors.push(e.code));
      await until('2 events', () => got.length >= 2);
      expect(got.map((u) => u.cpt)).toEqual([7, 8]);
      expect(errors).toEqual(['TOKEN_INVALID']);
      expect(fake.tokens()).toBe(2);
      expect(fake.initArgs.map((a) => a[2])).toEqual(['t1', 't1', 't2']);
      expect(fake.initArgs[2]![3]).toEqual({ since: 7 });
    } finally {
      c.close();
      await fake.close();
    }
  });

  it('closes with a fatal error when init is refused for a reason a new token cannot fix', async () => {
    const fake = await fakeServer((_socket, args, n) => {
      const ack = args[args.length - 1] as (a: unknown) => void;
      if (n === 1) ack({ ok: true, id_client: 3, cpt: 0 });
      else ack({ ok: false, error: 'INIT_BAD_OPTIONS', message: 'types must name at least one type.' });
      if (n === 1) setTimeout(() => _socket.disconnect(true), 20);
    });
    const c = await connect({ url: fake.url, apiLogin: 'u', apiPassword: 'p', reconnectionDelay: 20 });
    const loop = (async () => {
      for await (const _ of c);
    })();
    await expect(loop).rejects.toMatchObject({ code: 'INIT_BAD_OPTIONS', fatal: true });
    expect(c.state).toBe('closed');
    await fake.close();
  });

  it('normalizes updates and narrows them by type', () => {
    expect(normalizeUpdate({ cpt: 'x', event: {} })).toBeUndefined();
    const u = normalizeUpdate({ ts: '10', elapse: '2', cpt: '5', event: { type_notification: 'num', event: 'start', srv: '1', msg: { id_call: '-4', id_num: '31', id_client: 3, service: '33820620620', caller_id_num: '0612', type_dest: 'GROUPE' } } })!;
    expect(u).toEqual({ ts: 10, elapse: 2, cpt: 5, event: { type_notification: 'num', event: 'start', srv: 1, msg: { id_call: -4, id_num: 31, id_client: 3, service: '33820620620', caller_id_num: '0612', type_dest: 'GROUPE' } } });
    // E.164 numbers stay strings; unknown events get their ids read as numbers.
    expect(normalizeUpdate({ cpt: 1, event: { type_notification: 'future', event: 'x', msg: { id_thing: '4', label: '5' } } })!.event.msg).toEqual({ id_thing: 4, label: '5' });
    expect(isEvent(u, 'num')).toBe(true);
    expect(isEvent(u, 'num', 'end')).toBe(false);
  });
});
