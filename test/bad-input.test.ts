// Bad input of every kind, over real HTTP and real Socket.IO clients: each gets a clear 4xx
// JSON `{error, message}` (or an `init_error` on the socket), never a crash, never a stack
// trace, and the clients already subscribed keep receiving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, disconnected, type TestClient } from './helpers/clients.ts';
import { ADMIN_TOKEN, http, publishHttp, startTestServer, uiLogin, vmToken, wsInit, type HttpAnswer, type TestServer } from './helpers/server.ts';

/** Every refusal: a 4xx, JSON, exactly `{error, message}` with a code and a sentence, no stack. */
function expectRefusal(r: HttpAnswer, status: number, error: string, message?: RegExp) {
  expect({ status: r.status, body: r.body }).toEqual({ status, body: { error, message: expect.any(String) } });
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  expect(r.body.message.length).toBeGreaterThan(5);
  expect(r.body.message).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  if (message) expect(r.body.message).toMatch(message);
}

const xjson = (url: string, value: string) => http(`${url}/ws/`, { method: 'POST', headers: { 'X-JSON': value } });
const initX = (header: unknown, requete: unknown = 'init') => JSON.stringify({ requete, header, msg: {} });

describe('bad input', () => {
  let s: TestServer;
  let watcher: TestClient;
  let published = 0;

  beforeAll(async () => {
    s = await startTestServer(['acme.json', 'globex.json']);
    // A client subscribed before all the garbage: it must keep receiving throughout.
    const token = (await vmToken(s.url, 'api', 'secret2', { user_type: 'api' })).body.id_session as string;
    watcher = connect(s.url);
    expect(await watcher.init('api', 3, token)).toMatchObject({ ok: true });
  });
  afterAll(async () => {
    watcher.close();
    await s.close();
  });

  /** Publishes one event and checks the subscribed client gets it, in cpt order. */
  async function stillDelivering() {
    const r = await publishHttp(s.url, 3, uiLogin(8));
    expect(r.status).toBe(200);
    published++;
    const got = await watcher.waitFor(published);
    expect(got.map((u) => u.cpt)).toEqual(Array.from({ length: published }, (_, i) => i + 1));
    expect((await http(`${s.url}/healthz`)).body).toEqual({ ok: true });
  }

  describe('POST /ws/ X-JSON', () => {
    it('refuses a missing, empty, non-JSON or non-object X-JSON with 400 BAD_X_JSON', async () => {
      expectRefusal(await http(`${s.url}/ws/`, { method: 'POST' }), 400, 'BAD_X_JSON', /missing/);
      expectRefusal(await xjson(s.url, ''), 400, 'BAD_X_JSON');
      expectRefusal(await xjson(s.url, '{"requete":"init",'), 400, 'BAD_X_JSON', /not valid JSON/);
      expectRefusal(await xjson(s.url, '[1,2]'), 400, 'BAD_X_JSON', /object/);
      expectRefusal(await xjson(s.url, '"init"'), 400, 'BAD_X_JSON', /object/);
      expectRefusal(await xjson(s.url, 'null'), 400, 'BAD_X_JSON', /object/);
      // The guide's curly quotes, pasted as is (UTF-8 bytes on the wire).
      expectRefusal(await xjson(s.url, Buffer.from('{“requete”:”init”}', 'utf8').toString('latin1')), 400, 'BAD_X_JSON');
      await stillDelivering();
    });

    it('refuses an X-JSON over 8 KiB with 431, and headers over 20 KiB too (before any route runs)', async () => {
      const big = initX({ login: 'x'.repeat(9 * 1024), password: 'p', account_type: 'supervisor' });
      expect(big.length).toBeGreaterThan(8 * 1024);
      expectRefusal(await xjson(s.url, big), 431, 'X_JSON_TOO_LARGE');
      const huge = initX({ login: 'x'.repeat(21 * 1024), password: 'p', account_type: 'supervisor' });
      expectRefusal(await xjson(s.url, huge), 431, 'X_JSON_TOO_LARGE');
      const enormous = initX({ login: 'x'.repeat(200 * 1024), password: 'p' });
      const r = await xjson(s.url, enormous);
      expect(r.status).toBe(431);
      expect(r.body.error).toBe('X_JSON_TOO_LARGE');
      await stillDelivering();
    });

    it('refuses wrong field types with 400 INVALID_FIELD naming the field', async () => {
      expectRefusal(await xjson(s.url, initX({ login: 12, password: 'secret' })), 400, 'INVALID_FIELD', /header\.login/);
      expectRefusal(await xjson(s.url, initX({ login: 'sup', password: ['secret'] })), 400, 'INVALID_FIELD', /header\.password/);
      expectRefusal(await xjson(s.url, initX({ login: 'sup', password: 'secret', account_type: 7 })), 400, 'INVALID_FIELD', /account_type/);
      expectRefusal(await xjson(s.url, initX(null)), 400, 'INVALID_FIELD', /header/);
      expectRefusal(await xjson(s.url, initX({ login: 'sup' })), 400, 'INVALID_FIELD', /password/);
      expectRefusal(await xjson(s.url, JSON.stringify({ requete: 'init' })), 400, 'INVALID_FIELD', /header/);
      expectRefusal(await xjson(s.url, initX({ id_session: 42 }, 'refresh_token')), 400, 'INVALID_FIELD', /header\.id_session/);
      expectRefusal(await xjson(s.url, initX({}, 'refresh_token')), 400, 'INVALID_FIELD', /id_session/);
      await stillDelivering();
    });

    it('refuses an unknown or missing requete with 400 UNKNOWN_REQUETE', async () => {
      expectRefusal(await xjson(s.url, initX({}, 'drop_tables')), 400, 'UNKNOWN_REQUETE', /drop_tables/);
      expectRefusal(await xjson(s.url, JSON.stringify({ header: {} })), 400, 'UNKNOWN_REQUETE');
      expectRefusal(await xjson(s.url, initX({}, { $ne: 1 })), 400, 'UNKNOWN_REQUETE');
      expectRefusal(await xjson(s.url, initX({}, 'x'.repeat(5000))), 400, 'UNKNOWN_REQUETE');
      expect((await xjson(s.url, initX({}, 'x'.repeat(5000)))).body.message.length).toBeLessThan(200);
      await stillDelivering();
    });

    it('ignores the body, whatever it is', async () => {
      const header = initX({ login: 'sup', password: 'secret', account_type: 'supervisor' });
      for (const [type, body] of [
        ['application/json', '{garbage'],
        ['text/plain', 'x'.repeat(10_000)],
        ['application/octet-stream', '\u0000\u0001\u0002'],
      ]) {
        const r = await http(`${s.url}/ws/`, { method: 'POST', headers: { 'X-JSON': header, 'content-type': type! }, body });
        expect(r.status).toBe(200);
        expect(r.body.target).toBe(12);
      }
    });

    it('answers unknown routes and methods with a JSON 404', async () => {
      expectRefusal(await http(`${s.url}/ws/`), 404, 'NOT_FOUND');
      expectRefusal(await http(`${s.url}/nothing/here`), 404, 'NOT_FOUND');
    });
  });

  describe('POST /vm/token', () => {
    const basic = `Basic ${Buffer.from('api:secret2').toString('base64')}`;
    const token = (body: string | undefined, headers: Record<string, string> = {}) =>
      http(`${s.url}/vm/token`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic, ...headers }, body });

    it('refuses garbage bodies with 400', async () => {
      expectRefusal(await token('{garbage'), 400, 'BAD_REQUEST', /JSON/);
      expectRefusal(await token(''), 400, 'BAD_REQUEST');
      expectRefusal(await token('[]'), 400, 'INVALID_FIELD');
      expectRefusal(await token('null'), 400, 'INVALID_FIELD');
      expectRefusal(await token('{}'), 400, 'INVALID_FIELD', /user_type/);
      expectRefusal(await token('{"user_type":"boss"}'), 400, 'INVALID_FIELD', /user_type/);
      expectRefusal(await token('{"user_type":"agent","id_operator":"eight"}'), 400, 'INVALID_FIELD', /id_operator/);
      expectRefusal(await token('{"user_type":"agent","id_operator":-8}'), 400, 'INVALID_FIELD', /id_operator/);
      expectRefusal(await token('{"user_type":"agent","id_operator":{"$gt":0}}'), 400, 'INVALID_FIELD', /id_operator/);
      expectRefusal(await token('user_type=api', { 'content-type': 'application/x-www-form-urlencoded' }), 400, 'BAD_REQUEST', /Content-Type/);
      expectRefusal(await token(JSON.stringify({ user_type: 'api', pad: 'x'.repeat(2 * 1024 * 1024) })), 413, 'PAYLOAD_TOO_LARGE');
      await stillDelivering();
    });

    it('refuses missing or malformed credentials with 401', async () => {
      expectRefusal(await token('{"user_type":"api"}', { authorization: '' }), 401, 'AUTH_REQUIRED');
      expectRefusal(await token('{"user_type":"api"}', { authorization: 'Basic !!!not-base64' }), 401, 'AUTH_REQUIRED');
      expectRefusal(await token('{"user_type":"api"}', { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` }), 401, 'AUTH_REQUIRED');
      expectRefusal(await token('{"user_type":"api"}', { authorization: 'Bearer not-a-token' }), 401, 'TOKEN_INVALID');
      // A bearer token asks for agent tokens (a CRM embedding the toolbar): a supervisor's or an
      // API user's; the admin token is neither.
      expectRefusal(await token('{"user_type":"agent","id_operator":8}', { authorization: `Bearer ${ADMIN_TOKEN}` }), 403, 'FORBIDDEN');
    });
  });

  describe('admin events API', () => {
    const post = (body: unknown, opts: { account?: string | number; auth?: string } = {}) =>
      http(`${s.url}/api/v1/accounts/${opts.account ?? 3}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: opts.auth ?? `Bearer ${ADMIN_TOKEN}` },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });

    it('refuses unknown types and events and wrong field types with 400, assigning no cpt', async () => {
      expectRefusal(await post({ type_notification: 'weather', event: 'rain', msg: {} }), 400, 'INVALID_NOTIFICATION', /type_notification/);
      expectRefusal(await post({ type_notification: 'UI', event: 'dance', msg: { id_operator: 8, supp: '' } }), 400, 'INVALID_NOTIFICATION', /event/);
      expectRefusal(await post({ type_notification: 'UI', event: 'login', msg: { id_operator: 'eight', supp: '' } }), 400, 'INVALID_NOTIFICATION', /id_operator/);
      expectRefusal(await post({ type_notification: 'UI', event: 'login', msg: { supp: '' } }), 400, 'INVALID_NOTIFICATION', /id_operator/);
      expectRefusal(
        await post({ type_notification: 'operator', event: 'status', msg: { status: 'sleeping', id_operator: 8 } }),
        400,
        'INVALID_NOTIFICATION',
        /status/,
      );
      expectRefusal(await post({ type_notification: 'UI', event: 'login', msg: 'hello' }), 400, 'INVALID_FIELD', /msg/);
      expectRefusal(await post({ type_notification: 'UI', msg: {} }), 400, 'INVALID_FIELD', /event/);
      expectRefusal(await post('{not json'), 400, 'BAD_REQUEST', /JSON/);
      expectRefusal(await post({ ...uiLogin(8), msg: { id_operator: 8, supp: '', id_client: 4 } }), 400, 'ACCOUNT_MISMATCH');
      expectRefusal(await post(uiLogin(8), { account: 999 }), 404, 'UNKNOWN_ACCOUNT');
      expectRefusal(await post(uiLogin(8), { account: 'abc' }), 400, 'INVALID_FIELD');
      expectRefusal(await post({ ...uiLogin(8), pad: 'x'.repeat(100 * 1024) }), 413, 'PAYLOAD_TOO_LARGE');
      // None of the refused events took a cpt: the next one is the next number.
      const before = published;
      await stillDelivering();
      expect(watcher.updates.at(-1)!.cpt).toBe(before + 1);
    });

    it('refuses a missing or wrong bearer with 401 before looking at the body', async () => {
      expectRefusal(await post(uiLogin(8), { auth: '' }), 401, 'AUTH_REQUIRED');
      expectRefusal(await post(uiLogin(8), { auth: 'Bearer wrong-token' }), 401, 'AUTH_REQUIRED');
      expectRefusal(await post(uiLogin(8), { auth: ADMIN_TOKEN }), 401, 'AUTH_REQUIRED');
      expectRefusal(await post(uiLogin(8), { auth: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` }), 401, 'AUTH_REQUIRED');
      // Garbage from someone without the token says nothing about the garbage.
      expectRefusal(await post('{not json', { auth: '' }), 401, 'AUTH_REQUIRED');
      expectRefusal(await post({ type_notification: 'weather' }, { auth: 'Bearer wrong' }), 401, 'AUTH_REQUIRED');
      expectRefusal(await post(uiLogin(8), { auth: 'Bearer wrong', account: 'abc' }), 401, 'AUTH_REQUIRED');
      await stillDelivering();
    });
  });

  describe('garbage init over Socket.IO', () => {
    let token: string;
    beforeAll(async () => {
      token = (await vmToken(s.url, 'api', 'secret2', { user_type: 'api' })).body.id_session as string;
    });

    const cases: [string, () => unknown[], string, RegExp?][] = [
      ['no arguments', () => [], 'INIT_MALFORMED'],
      ['an unknown user type', () => ['boss', 3, token], 'INIT_MALFORMED', /boss/],
      ['a numeric user type', () => [5, 3, token], 'INIT_MALFORMED'],
      ['an object user type', () => [{ type: 'api' }, 3, token], 'INIT_MALFORMED'],
      ['a non-numeric target', () => ['api', 'abc', token], 'INIT_MALFORMED', /target/],
      ['a negative target', () => ['api', -3, token], 'INIT_MALFORMED', /target/],
      ['a fractional target', () => ['api', 3.5, token], 'INIT_MALFORMED', /target/],
      ['an object target', () => ['api', { id: 3 }, token], 'INIT_MALFORMED', /target/],
      ['the wrong target', () => ['api', 4, token], 'INIT_BAD_TARGET'],
      ['the wrong user type for the token', () => ['supervisor', 3, token], 'INIT_BAD_TARGET'],
      ['an unknown token', () => ['api', 3, 'not-a-token'], 'TOKEN_INVALID'],
      ['a numeric token', () => ['api', 3, 123456], 'TOKEN_INVALID'],
      ['a null token', () => ['api', 3, null], 'TOKEN_INVALID'],
      ['a 100 kB token', () => ['api', 3, 'x'.repeat(100_000)], 'TOKEN_INVALID'],
      ['a string since', () => ['api', 3, token, { since: '5' }], 'INIT_BAD_OPTIONS', /since/],
      ['a negative since', () => ['api', 3, token, { since: -1 }], 'INIT_BAD_OPTIONS', /since/],
      ['a fractional since', () => ['api', 3, token, { since: 2.5 }], 'INIT_BAD_OPTIONS', /since/],
      ['unknown types', () => ['api', 3, token, { types: ['UI', 'weather'] }], 'INIT_BAD_OPTIONS', /weather/],
      ['types as a string', () => ['api', 3, token, { types: 'UI' }], 'INIT_BAD_OPTIONS', /types/],
      ['empty types', () => ['api', 3, token, { types: [] }], 'INIT_BAD_OPTIONS', /types/],
      ['options as a string', () => ['api', 3, token, 'since=5'], 'INIT_BAD_OPTIONS'],
      ['options as an array', () => ['api', 3, token, [1, 2]], 'INIT_BAD_OPTIONS'],
      ['too many arguments', () => ['api', 3, token, {}, 'extra'], 'INIT_MALFORMED', /arguments/],
      ['far too many arguments', () => ['api', 3, token, {}, ...Array.from({ length: 50 }, (_, i) => i)], 'INIT_MALFORMED'],
    ];

    for (const [what, args, code, message] of cases) {
      it(`answers init with ${what} by init_error ${code} and a disconnect`, async () => {
        const c = connect(s.url);
        try {
          const ack = await c.init(...args());
          expect(ack).toMatchObject({ ok: false, error: code });
          const err = await c.waitForError();
          expect(err).toEqual({ error: code, message: expect.any(String) });
          if (message) expect(err.message).toMatch(message);
          await disconnected(c);
        } finally {
          c.close();
        }
      });
    }

    it('sends init_error without an ack function too, and to a v2 client', async () => {
      const v4 = connect(s.url);
      await new Promise<void>((r) => v4.socket.once('connect', () => r()));
      v4.socket.emit('init', 'api', 3, 'nope');
      expect((await v4.waitForError()).error).toBe('TOKEN_INVALID');
      await disconnected(v4);
      const v2 = connect(s.url, { version: 'v2' });
      await new Promise<void>((r) => v2.socket.once('connect', () => r()));
      v2.socket.emit('init', 'boss', 'x');
      expect((await v2.waitForError()).error).toBe('INIT_MALFORMED');
      await disconnected(v2);
      v4.close();
      v2.close();
      await stillDelivering();
    });

    it('refuses a second init on an initialised socket without disturbing it', async () => {
      const c = connect(s.url);
      try {
        expect(await c.init('api', 3, token)).toMatchObject({ ok: true });
        expect(await c.init('api', 3, token)).toMatchObject({ ok: false, error: 'ALREADY_INITIALISED' });
        const n = published;
        await stillDelivering();
        expect((await c.waitFor(1)).map((u) => u.cpt)).toEqual([n + 1]);
      } finally {
        c.close();
      }
    });

    it('survives garbage on the Engine.IO polling transport', async () => {
      const hs = await http(`${s.url}/socket.io/?EIO=4&transport=polling`);
      expect(hs.status).toBe(200);
      const sid = JSON.parse(String(hs.body).slice(1)).sid as string;
      const bad = await http(`${s.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8' },
        body: '4garbage\u001e42["init",',
      });
      expect(bad.status).toBeLessThan(500);
      const unknown = await http(`${s.url}/socket.io/?EIO=4&transport=polling&sid=nope`, { method: 'POST', body: '40' });
      expect(unknown.status).toBe(400);
      await stillDelivering();
    });
  });

  it('disconnects a socket that sends no init in time with init_error INIT_TIMEOUT', async () => {
    const t = await startTestServer(['acme.json'], { initTimeoutMs: 300 });
    // Beside each connection's 300 ms init timer, the server process arms a 250 ms mark in
    // the same turn: Node runs timers in order of expiry, so a refusal that comes before the
    // mark came too early, however fast or slow the machine.
    const refusals: { marked: boolean }[] = [];
    t.app.io.on('connection', (socket) => {
      let marked = false;
      setTimeout(() => (marked = true), 250).unref();
      const emit = socket.emit.bind(socket) as (ev: string, ...args: unknown[]) => boolean;
      (socket as unknown as { emit: typeof emit }).emit = (ev, ...args) => {
        if (ev === 'init_error') refusals.push({ marked });
        return emit(ev, ...args);
      };
    });
    const token = (await vmToken(t.url, 'api', 'secret2', { user_type: 'api' })).body.id_session as string;
    // The initialised socket connects first: its init timer, had init not cancelled it, would
    // fire before the silent one's.
    const quick = connect(t.url);
    let silent: TestClient | undefined;
    try {
      expect(await quick.init('api', 3, token)).toMatchObject({ ok: true });
      silent = connect(t.url);
      const err = await silent.waitForError(3_000);
      expect(err).toEqual({ error: 'INIT_TIMEOUT', message: expect.stringMatching(/0\.3 s/) });
      await disconnected(silent);
      expect(refusals).toEqual([{ marked: true }]);
      // An initialised socket is not timed out: it still receives, and was sent no init_error
      // (which would have come before this event on the same socket).
      await publishHttp(t.url, 3, uiLogin(9));
      expect((await quick.waitFor(1))[0]!.cpt).toBe(1);
      expect(quick.errors).toEqual([]);
      expect(quick.socket.connected).toBe(true);
    } finally {
      silent?.close();
      quick.close();
      await t.close();
    }
  });
});

describe('10,000 failed logins', () => {
  // How fast the 429s come is for a benchmark to say; this checks what is answered, and that
  // the password checks stop at the limit.
  it('answers them mostly with a 429 while a subscribed client keeps receiving', async () => {
    const s = await startTestServer(['acme.json']);
    const token = (await vmToken(s.url, 'api', 'secret2', { user_type: 'api' })).body.id_session as string;
    const watcher = connect(s.url);
    try {
      expect(await watcher.init('api', 3, token)).toMatchObject({ ok: true });

      // One event published alongside each batch of the flood.
      const cpts: number[] = [];
      const statuses = new Map<number, number>();
      const batch = 250;
      for (let i = 0; i < 10_000; i += batch) {
        const [answers, published] = await Promise.all([
          Promise.all(
            Array.from({ length: batch }, (_, j) =>
              (i + j) % 2 ? wsInit(s.url, `intruder${i + j}`, 'guess') : vmToken(s.url, 'api', `guess${i + j}`, { user_type: 'api' }),
            ),
          ),
          publishHttp(s.url, 3, uiLogin(8)),
        ]);
        expect(published.status).toBe(200);
        cpts.push(published.body.cpt);
        for (const a of answers) {
          expect([401, 429]).toContain(a.status);
          expect(Object.keys(a.body).sort()).toEqual(['error', 'message']);
          if (a.status === 429) expect(Number(a.headers['retry-after'])).toBeGreaterThan(0);
          statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        }
      }

      expect((statuses.get(401) ?? 0) + (statuses.get(429) ?? 0)).toBe(10_000);
      // The per-IP limit (50 by default) is where password checks stop.
      expect(statuses.get(401) ?? 0).toBeLessThanOrEqual(50);
      expect(statuses.get(429)).toBeGreaterThanOrEqual(9_950);

      // The subscribed client got every event published during the flood, in order.
      expect(cpts.length).toBe(10_000 / batch);
      const got = await watcher.waitFor(cpts.length);
      expect(got.map((u) => u.cpt)).toEqual(cpts);
      expect(cpts).toEqual(Array.from({ length: cpts.length }, (_, i) => i + 1));

      // The flooding IP is blocked; the real supervisor from another address is not.
      expect((await wsInit(s.url, 'sup', 'secret')).status).toBe(429);
      expect((await wsInit(s.url, 'sup', 'secret', { localAddress: '127.0.0.2' })).status).toBe(200);
    } finally {
      watcher.close();
      await s.close();
    }
    // 10,000 requests: a minute on a loaded 2-core machine; what is answered is checked, not how fast.
  }, 90_000);
});
