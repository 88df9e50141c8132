// Web and data hygiene over real HTTP on a real server: security headers on every answer
// (pages, API, Socket.IO's own), no-store on token answers, CORS by an allow-list (and the
// same list for Socket.IO), frame-ancestors configurable (option, CLI flag, environment);
// CSV cells that a spreadsheet would run are neutralised; numbers are digits, ids positive
// safe integers, dates real calendar dates and "one month" a calendar month; every refusal
// is a sentence a person understands.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ManualClock } from '../src/clock.ts';
import { buildApp } from '../src/http/app.ts';
import { createSqliteStore } from '../src/store/sqlite/index.ts';
import { importAccountFile } from '../src/cli/directory.ts';
import { validateAccountFile } from '../src/directory/load.ts';
import { addMonths, parseDay, parseInstant } from '../src/http/dates.ts';
import { neutraliseCell, toCsv } from '../src/stats/aggregate.ts';
import { ADMIN_TOKEN, FIXTURES, http, publishHttp, startTestServer, vmToken, wsInit, wsRefresh, type HttpAnswer, type TestServer } from './helpers/server.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const adminJson = { ...admin, 'content-type': 'application/json' };
const basic = { authorization: `Basic ${Buffer.from('api:secret2').toString('base64')}`, 'content-type': 'application/json' };

/** What no refusal may say: validator jargon, JSON dumps, non-numbers. */
const JARGON = /equal to constant|requiredProperties|missingProperty|must match (pattern|a schema)|anyOf|Infinity|NaN|\{|\[|<=|>=/;

/** A refusal: the code, one sentence a person can read, and exactly the sentence expected. */
function expectSentence(r: HttpAnswer, status: number, error: string, sentence: string | RegExp) {
  expect({ status: r.status, error: r.body?.error }).toEqual({ status, error });
  expect(Object.keys(r.body).sort()).toEqual(['error', 'message']);
  expect(r.body.message).not.toMatch(JARGON);
  if (typeof sentence === 'string') expect(r.body.message).toBe(sentence);
  else expect(r.body.message).toMatch(sentence);
}

/** The security headers every answer carries (helmet's set, our policy). */
function expectSecurityHeaders(r: HttpAnswer, frameAncestors = "'self'") {
  const csp = String(r.headers['content-security-policy']);
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).toContain(`frame-ancestors ${frameAncestors}`);
  expect(csp).not.toContain('unsafe-eval');
  expect(r.headers['x-content-type-options']).toBe('nosniff');
  expect(r.headers['referrer-policy']).toBe('no-referrer');
  // The toolbar's screen pop keeps a hand on the window it opened (see src/http/security.ts).
  expect(r.headers['cross-origin-opener-policy']).toBe('same-origin-allow-popups');
}

describe('security headers, no-store, CORS (default configuration)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(['acme.json']);
  });
  afterAll(async () => s?.close());

  it('puts the headers on every page and API answer, refusals and Socket.IO answers included', async () => {
    const answers = await Promise.all([
      http(`${s.url}/labo/index.htm`),
      http(`${s.url}/wallboard/`),
      http(`${s.url}/docs`),
      http(`${s.url}/healthz`),
      http(`${s.url}/nowhere`),
      http(`${s.url}/api/v1/realtime`),
      http(`${s.url}/socket.io/socket.io.min.js`),
      http(`${s.url}/socket.io/?EIO=4&transport=polling`),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 404, 401, 200, 200]);
    for (const a of answers) {
      expectSecurityHeaders(a);
      // Framing limited to this origin: the legacy header says it too.
      expect(a.headers['x-frame-options']).toBe('SAMEORIGIN');
    }
    // The labo page's URL carries id_session: the page tells the browser never to send it on.
    expect(answers[0]!.headers['content-type']).toMatch(/^text\/html/);
    // The Socket.IO client script may be loaded by another origin's page (a CRM).
    expect(answers[6]!.headers['cross-origin-resource-policy']).toBe('cross-origin');
  });

  it('marks every answer carrying a token (or refusing one) Cache-Control: no-store', async () => {
    const init = await wsInit(s.url, 'sup', 'secret');
    expect(init.status).toBe(200);
    const refresh = await wsRefresh(s.url, init.body.id_session);
    expect(refresh.status).toBe(200);
    const token = await vmToken(s.url, 'api', 'secret2', { user_type: 'api' });
    expect(token.status).toBe(200);
    const refused = await vmToken(s.url, 'api', 'wrong', { user_type: 'api' });
    expect(refused.status).toBe(401);
    for (const a of [init, refresh, token, refused]) expect(a.headers['cache-control']).toBe('no-store');
  });

  it('answers a CORS preflight instead of 404, and allows no other origin by default', async () => {
    const pre = await http(`${s.url}/vm/token`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    expect(pre.headers['access-control-allow-credentials']).toBeUndefined();
    const get = await http(`${s.url}/healthz`, { headers: { origin: 'https://evil.example' } });
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('Socket.IO no longer reflects any origin with credentials', async () => {
    const poll = await http(`${s.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://evil.example' } });
    expect(poll.status).toBe(200);
    expect(poll.headers['access-control-allow-origin']).toBeUndefined();
    expect(poll.headers['access-control-allow-credentials']).toBeUndefined();
    const pre = await http(`${s.url}/socket.io/?EIO=4&transport=polling`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('CORS allow-list and frame-ancestors, configured', () => {
  const CRM = 'https://crm.example.com';
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(['acme.json'], { web: { corsOrigins: [CRM], frameAncestors: ["'self'", CRM] } });
  });
  afterAll(async () => s?.close());

  it('lets a listed origin through the API and Socket.IO, without credentials; nobody else', async () => {
    const pre = await http(`${s.url}/vm/token`, { method: 'OPTIONS', headers: { origin: CRM, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(CRM);
    expect(String(pre.headers['access-control-allow-headers']).toLowerCase()).toContain('authorization');
    expect(pre.headers['access-control-allow-credentials']).toBeUndefined();
    const token = await http(`${s.url}/vm/token`, { method: 'POST', headers: { ...basic, origin: CRM }, body: JSON.stringify({ user_type: 'api' }) });
    expect(token.status).toBe(200);
    expect(token.headers['access-control-allow-origin']).toBe(CRM);
    // A 429's Retry-After is readable by the CRM's script.
    expect(String(token.headers['access-control-expose-headers'])).toContain('Retry-After');
    const poll = await http(`${s.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: CRM } });
    expect(poll.headers['access-control-allow-origin']).toBe(CRM);
    expect(poll.headers['access-control-allow-credentials']).toBeUndefined();
    for (const other of ['https://crm.example.com.evil.example', 'http://crm.example.com', 'https://evil.example']) {
      const p = await http(`${s.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: other } });
      expect(p.headers['access-control-allow-origin']).toBeUndefined();
      const t = await http(`${s.url}/vm/token`, { method: 'OPTIONS', headers: { origin: other, 'access-control-request-method': 'POST' } });
      expect(t.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('names the CRM in frame-ancestors and drops X-Frame-Options (which cannot name it)', async () => {
    const page = await http(`${s.url}/wallboard/`);
    expectSecurityHeaders(page, `'self' ${CRM}`);
    expect(page.headers['x-frame-options']).toBeUndefined();
  });

  it('refuses a configuration that is not a list of origins or sources, saying why', async () => {
    const store = () => createSqliteStore(mkdtempSync(join(tmpdir(), 'vm-hyg-')));
    await expect(buildApp({ store: store(), web: { corsOrigins: ['crm.example.com'] } })).rejects.toThrow(/scheme:\/\/host/);
    await expect(buildApp({ store: store(), web: { corsOrigins: ['https://crm.example.com/path'] } })).rejects.toThrow(/not an origin/);
    await expect(buildApp({ store: store(), web: { frameAncestors: ["https://crm.example.com; script-src *"] } })).rejects.toThrow(/not a source/);
    await expect(buildApp({ store: store(), web: { frameAncestors: [] } })).rejects.toThrow(/at least one/);
  });
});

describe('vm serve: --frame-ancestors and VM_CORS_ORIGINS', () => {
  it('configures a real server from its flag and its environment', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vm-hyg-cli-'));
    const child = spawn(process.execPath, ['bin/vm.js', 'serve', '--port', '0', '--host', '127.0.0.1', '--data', dataDir, '--json', '--frame-ancestors', 'self,https://crm.example.com'], {
      cwd: ROOT,
      env: { ...process.env, VM_CORS_ORIGINS: 'https://crm.example.com, https://other.example.com', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const listening = await new Promise<{ url: string }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('vm serve did not start within 90 s')), 90_000);
        createInterface({ input: child.stdout! }).on('line', (line) => {
          const msg = JSON.parse(line) as { event?: string; url: string };
          if (msg.event === 'listening') {
            clearTimeout(timer);
            resolve(msg);
          }
        });
        child.once('exit', (code) => reject(new Error(`vm serve exited with ${code}`)));
      });
      const page = await http(`${listening.url}/labo/index.htm`);
      expectSecurityHeaders(page, "'self' https://crm.example.com");
      const pre = await http(`${listening.url}/healthz`, { headers: { origin: 'https://other.example.com' } });
      expect(pre.headers['access-control-allow-origin']).toBe('https://other.example.com');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('refuses a bad flag with a sentence', async () => {
    const child = spawn(process.execPath, ['bin/vm.js', 'serve', '--port', '0', '--cors-origins', 'crm.example.com'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).not.toBe(0);
    expect(err).toMatch(/"crm\.example\.com" is not an origin; write it as scheme:\/\/host\[:port\]/);
  }, 60_000);
});

describe('CSV exports', () => {
  const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);
  const clock = new ManualClock(T0);
  let s: TestServer;
  let dataDir: string;
  const hostile = {
    group: '=HYPERLINK("http://evil.example","click")',
    alice: '@SUM(1+1)*cmd|" /C calc"!A0',
    bob: '-2+3',
    carol: '+33 1',
    dave: '\tTab',
    erin: '\rReturn',
    frank: '＝1+1',
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'vm-hyg-csv-'));
    const file = join(dataDir, 'formula.json');
    const ops = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'] as const;
    writeFileSync(
      file,
      JSON.stringify({
        account: { id: 41, name: 'Formula' },
        groups: [{ id: 410, name: hostile.group }],
        operators: ops.map((k, i) => ({ id: 411 + i, name: hostile[k], groups: [410] })),
        numbers: [{ id: 419, service: '33820000041', route: { type: 'group', id: 410 } }],
        supervisors: [{ id: 420, login: 'f-sup', password: 'f-secret' }],
      }),
    );
    const store = createSqliteStore(dataDir);
    await importAccountFile(store, file);
    await store.close();
    s = await startTestServer([], { dataDir, clock });
  });
  afterAll(async () => s?.close());

  it('prefixes with a quote every text cell a spreadsheet would run; numbers stay numbers', async () => {
    const q = (n: object) => publishHttp(s.url, 41, n);
    for (let op = 411; op <= 416; op++) expect((await q({ type_notification: 'UI', event: 'login', msg: { id_operator: op, supp: '' } })).status).toBe(200);
    const msg = { id_call: 1, id_queue: 410, caller_id_num: '33612345678' };
    expect((await q({ type_notification: 'queue', event: 'insert_call', msg })).status).toBe(200);
    clock.set(T0 + 30_000);
    expect((await q({ type_notification: 'queue', event: 'delete_call', msg: { id_call: 1, id_queue: 410, duration_in_queue: 30 } })).status).toBe(200);
    clock.set(T0 + 60_000);
    const token = (await wsInit(s.url, 'f-sup', 'f-secret')).body.id_session as string;
    const csv = async (what: string) => {
      const r = await http(`${s.url}/api/v1/stats/${what}?from=2026-11-25&to=2026-11-26&interval=1d&id_session=${encodeURIComponent(token)}`, { headers: { accept: 'text/csv' } });
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toContain('text/csv');
      return r.body as string;
    };
    // The history is written once the events are durable: wait for the call's row.
    await expect.poll(() => csv('groups'), { timeout: 15_000 }).toContain('HYPERLINK');
    const g = await csv('groups');
    expect(g).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
    const o = await csv('operators');
    expect(o).toContain(`'@SUM(1+1)*cmd|"" /C calc""!A0`);
    expect(o).toContain(",'-2+3,");
    expect(o).toContain(",'+33 1,");
    expect(o).toContain(",'\tTab,");
    expect(o).toContain(`,"'\rReturn",`);
    expect(o).toContain(",'＝1+1,");
    // No cell of either export starts with a formula character.
    for (const row of [...g.split('\r\n'), ...o.split('\r\n')].filter(Boolean)) {
      for (const cell of row.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)) expect(cell.replace(/^"/, '')).not.toMatch(/^[=+\-@\t\r＝]/);
    }
  });

  it('toCsv: no text cell ever begins with a formula character; other text is unchanged (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ a: fc.string(), b: fc.oneof(fc.integer(), fc.double({ noNaN: true })) }), { minLength: 1, maxLength: 5 }), (rows) => {
        const out = toCsv(rows);
        const lines = out.split('\r\n');
        expect(lines[0]).toBe('a,b');
        for (const r of rows) {
          const cell = neutraliseCell(r.a);
          expect(/^[=+\-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20]/.test(cell)).toBe(false);
          expect(cell === r.a || cell === `'${r.a}`).toBe(true);
        }
        // Numbers are written as numbers, negative ones too.
        expect(out).toContain(`,${String(rows[0]!.b)}\r\n`);
      }),
    );
  });
});

describe('numbers, ids, dates and the sentences that refuse them', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(['acme.json', 'callcenter.json']);
  });
  afterAll(async () => s?.close());

  const post = (path: string, body?: unknown, headers: Record<string, string> = adminJson) =>
    http(`${s.url}${path}`, { method: 'POST', headers: body === undefined ? admin : headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });

  it('caller_id_num and the other numbers are digits at every entry', async () => {
    expectSentence(
      await publishHttp(s.url, 3, { type_notification: 'queue', event: 'insert_call', msg: { id_call: 1, id_queue: 5, caller_id_num: '=1+1' } }),
      400,
      'INVALID_NOTIFICATION',
      'msg.caller_id_num must be digits only (at most 32) for queue/insert_call',
    );
    expectSentence(
      await publishHttp(s.url, 3, { type_notification: 'num', event: 'start', msg: { id_call: 1, id_num: 31, service: '+33820620620', caller_id_num: '33612345678', type_dest: 'GROUPE' } }),
      400,
      'INVALID_NOTIFICATION',
      'msg.service must be 1 to 32 digits for num/start',
    );
    expectSentence(
      await publishHttp(s.url, 3, { type_notification: 'UI', event: 'push', msg: { id_operator: 8, type: 'AUTO', priority: 1, e164: '06 12 34 56 78' } }),
      400,
      'INVALID_NOTIFICATION',
      'msg.e164 must be 1 to 32 digits for UI/push',
    );
    // Digits (and a withheld number, empty) are accepted.
    expect((await publishHttp(s.url, 3, { type_notification: 'queue', event: 'insert_call', msg: { id_call: 1, id_queue: 5, caller_id_num: '33612345678' } })).status).toBe(200);
    expect((await publishHttp(s.url, 3, { type_notification: 'queue', event: 'insert_call', msg: { id_call: 2, id_queue: 5, caller_id_num: '' } })).status).toBe(200);
    expectSentence(
      await http(`${s.url}/vm/calls/in`, { method: 'POST', headers: basic, body: JSON.stringify({ date: '2026-11-25', caller_number: '=1+1' }) }),
      400,
      'INVALID_FIELD',
      'body.caller_number must be 1 to 32 digits.',
    );
    expectSentence(await post('/api/v1/accounts/3/calls', { service: '33820620620', caller: '=1+1' }), 400, 'INVALID_FIELD', 'body.caller must be 1 to 32 digits.');
    expectSentence(await post('/api/v1/accounts/3/operators/8/call', { e164: '+33612345678' }), 400, 'INVALID_FIELD', 'body.e164 must be 1 to 32 digits.');
    const sig = (await import('../src/http/routes/callback-link.ts')).signAccount('callcenter-callback-secret', 7);
    expectSentence(
      await http(`${s.url}/callback/7?sig=${sig}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ e164: '@0612' }) }),
      400,
      'INVALID_FIELD',
      'body.e164 must be 3 to 20 digits.',
    );
  });

  it('ids are positive safe integers in the URL, the query and the body', async () => {
    const positive = (where: string) => `${where} must be a positive whole number.`;
    expectSentence(await post('/api/v1/accounts/3/operators/1e400/login'), 400, 'INVALID_FIELD', positive('op in the URL'));
    expectSentence(await post('/api/v1/accounts/3/operators/9007199254740993/login'), 400, 'INVALID_FIELD', positive('op in the URL'));
    expectSentence(await post('/api/v1/accounts/99999999999999999999/operators/8/login'), 400, 'INVALID_FIELD', positive('id in the URL'));
    expectSentence(await post('/api/v1/accounts/3/operators/0/login'), 400, 'INVALID_FIELD', positive('op in the URL'));
    expectSentence(await post('/api/v1/accounts/3/calls/1e400/hangup'), 400, 'INVALID_FIELD', 'call in the URL must be a whole number.');
    expectSentence(await post('/api/v1/accounts/3/operators/8/pause', { pause: 1e300 }), 400, 'INVALID_FIELD', positive('body.pause'));
    expectSentence(await post('/api/v1/accounts/3/calls', { id_num: 2 ** 53 + 2, caller: '33612345678' }), 400, 'INVALID_FIELD', positive('body.id_num'));
    expectSentence(await post('/api/v1/accounts/3/calls/1/transfer', { type: 'operator', id: 1e300 }), 400, 'INVALID_FIELD', positive('body.id'));
    expectSentence(await http(`${s.url}/vm/operators/1e400`, { headers: basic }), 400, 'INVALID_FIELD', positive('id in the URL'));
    expectSentence(
      await http(`${s.url}/vm/token`, { method: 'POST', headers: basic, body: JSON.stringify({ user_type: 'agent', id_operator: '1e400' }) }),
      400,
      'INVALID_FIELD',
      'body.id_operator must be a positive whole number or a positive number written in digits.',
    );
    expectSentence(
      await publishHttp(s.url, 3, { type_notification: 'UI', event: 'login', msg: { id_operator: 1e300, supp: '' } }),
      400,
      'INVALID_NOTIFICATION',
      'msg.id_operator must be a positive whole number for UI/login',
    );
    // A JSON number too large for a double reads as Infinity: refused, wherever it is.
    expectSentence(
      await post('/api/v1/accounts/3/events', '{"type_notification":"queue","event":"delete_call","msg":{"id_call":1,"id_queue":5,"duration_in_queue":1e400}}'),
      400,
      'INVALID_FIELD',
      'body.msg.duration_in_queue must be a finite number.',
    );
    expectSentence(await publishHttp(s.url, 3, { ...{ type_notification: 'UI', event: 'login', msg: { id_operator: 8, supp: '' } }, srv: -1 }), 400, 'INVALID_FIELD', 'body.srv must be a whole number, 0 or more.');
  });

  it('a holiday in the account file that is not written YYYY-MM-DD is refused with the same words as a date in a request', () => {
    const file = JSON.parse(readFileSync(join(FIXTURES, 'acme.json'), 'utf8'));
    file.numbers[0].hours = { slots: [], closed_dates: ['25/12/2026'] };
    expect(() => validateAccountFile(file)).toThrow(/numbers\[0\]\.hours\.closed_dates\[0\] must be a date written YYYY-MM-DD/);
  });

  it('dates are calendar dates, and "at most one month" is a calendar month', async () => {
    const calls = (body: object) => http(`${s.url}/vm/calls/in`, { method: 'POST', headers: basic, body: JSON.stringify(body) });
    expectSentence(await calls({ date: '2026-02-30' }), 400, 'INVALID_FIELD', 'date "2026-02-30" is not a day of the calendar; write it YYYY-MM-DD.');
    expectSentence(await calls({ date: '2026-13-01' }), 400, 'INVALID_FIELD', /^date "2026-13-01" is not a day of the calendar/);
    expectSentence(await calls({ date: '2026-02-01', date_end: '2026-02-29' }), 400, 'INVALID_FIELD', /^date_end "2026-02-29" is not a day/);
    expectSentence(await calls({ date: '26-02-01' }), 400, 'INVALID_FIELD', 'body.date must be a date written YYYY-MM-DD.');
    // From January 31st, one month later is February 28th (29th in a leap year), not March 3rd.
    expect((await calls({ date: '2026-01-31', date_end: '2026-02-28' })).status).toBe(200);
    expectSentence(await calls({ date: '2026-01-31', date_end: '2026-03-01' }), 400, 'INVALID_FIELD', 'date_end may be one month after date at most (2026-02-28).');
    expect((await calls({ date: '2028-01-31', date_end: '2028-02-29' })).status).toBe(200);
    expectSentence(await calls({ date: '2028-01-31', date_end: '2028-03-01' }), 400, 'INVALID_FIELD', /\(2028-02-29\)\.$/);
    expect((await calls({ date: '2026-03-15', date_end: '2026-04-15' })).status).toBe(200);
    expectSentence(await calls({ date: '2026-03-15', date_end: '2026-04-16' }), 400, 'INVALID_FIELD', /one month after date at most/);

    const token = (await vmToken(s.url, 'api', 'secret2', { user_type: 'api' })).body.id_session as string;
    const stats = (q: string) => http(`${s.url}/api/v1/stats/groups?${q}&id_session=${encodeURIComponent(token)}`);
    expectSentence(await stats('from=2026-02-30'), 400, 'INVALID_FIELD', /^from "2026-02-30" is not a date of the calendar/);
    expectSentence(await stats('from=March%207%2C%202026'), 400, 'INVALID_FIELD', /^from "March 7, 2026" is not a date of the calendar/);
    expectSentence(await stats('from=2026-03-07T24:00:00Z'), 400, 'INVALID_FIELD', /^from "2026-03-07T24:00:00Z" is not a date/);
    expectSentence(await stats('from=2026-03-07&to=2026-03-32'), 400, 'INVALID_FIELD', /^to "2026-03-32" is not a date/);
    expect((await stats('from=2026-03-07T08:30:00%2B01:00&to=2026-03-08')).status).toBe(200);
  });

  it('explains schema refusals in sentences, on every route (no validator jargon)', async () => {
    const xjson = (v: object) => http(`${s.url}/ws/`, { method: 'POST', headers: { 'X-JSON': JSON.stringify(v) } });
    expectSentence(await xjson({ requete: 'init', header: { login: 'sup' }, msg: {} }), 400, 'INVALID_FIELD', 'header.password is required.');
    expectSentence(await xjson({ requete: 'init', msg: {} }), 400, 'INVALID_FIELD', 'header is required.');
    expectSentence(await xjson({ requete: 'refresh_token', header: { id_session: '' } }), 400, 'INVALID_FIELD', 'header.id_session must not be empty.');
    expectSentence(
      await http(`${s.url}/vm/token`, { method: 'POST', headers: basic, body: JSON.stringify({ user_type: 'boss' }) }),
      400,
      'INVALID_FIELD',
      'body.user_type must be one of "api", "agent".',
    );
    expectSentence(await post('/api/v1/accounts/3/calls/1/transfer', { type: 'queue', id: 1 }), 400, 'INVALID_FIELD', 'body.type must be one of "operator", "group", "number".');
    expectSentence(await post('/api/v1/accounts/3/calls/1/transfer', { type: 'number' }), 400, 'INVALID_FIELD', 'body.e164 is required.');
    expectSentence(await post('/api/v1/accounts/3/calls/1/ivr', { dtmf: 'x' }), 400, 'INVALID_FIELD', 'body.dtmf must be one key: a digit, * or #.');
    expectSentence(await post('/api/v1/accounts/3/calls/1/ivr', { speech: 'yes', score: 101 }), 400, 'INVALID_FIELD', 'body.score must be a whole number from 0 to 100.');
    expectSentence(await post('/api/v1/accounts/3/calls/1/ivr', {}), 400, 'INVALID_FIELD', 'body must be an object with dtmf or an object with speech and score.');
    expectSentence(await post('/api/v1/accounts/3/callbacks', { e164: '33612345678', type: 'SOON' }), 400, 'INVALID_FIELD', 'body.type must be one of "AUTO", "MANUAL".');
    expectSentence(await post('/api/v1/accounts/3/callbacks', { e164: '33612345678', priority: 0 }), 400, 'INVALID_FIELD', 'body.priority must be a whole number from 1 to 100.');
    expectSentence(await publishHttp(s.url, 3, { type_notification: 'queue', event: 'insert_call', msg: { id_call: 1, id_queue: 5 } }), 400, 'INVALID_NOTIFICATION', 'msg.caller_id_num is required for queue/insert_call');
    expectSentence(await publishHttp(s.url, 3, { type_notification: 'queue', event: 'delete_call', msg: {} }), 400, 'INVALID_NOTIFICATION', 'msg.id_call and msg.id_queue are required for queue/delete_call');
    expectSentence(
      await publishHttp(s.url, 3, { type_notification: 'queue', event: 'connect_call', msg: { id_call: 1, id_queue: 5, id_operator: 8, status: 'ringing' } }),
      400,
      'INVALID_NOTIFICATION',
      'msg.status must be "connected" for queue/connect_call',
    );
    expectSentence(await publishHttp(s.url, 3, { type_notification: 'UI', event: 'login', msg: { id_operator: 8, supp: {} } }), 400, 'INVALID_NOTIFICATION', 'msg.supp must be a string or a whole number for UI/login');
    const token = (await vmToken(s.url, 'api', 'secret2', { user_type: 'api' })).body.id_session as string;
    expectSentence(await http(`${s.url}/api/v1/stats/groups?interval=2h&id_session=${token}`), 400, 'INVALID_FIELD', 'query parameter interval must be one of "15m", "1h", "1d".');
    expectSentence(await http(`${s.url}/vm/calls/in`, { method: 'POST', headers: basic, body: '{}' }), 400, 'INVALID_FIELD', 'body.date is required.');
    expectSentence(await http(`${s.url}/vm/token`, { method: 'POST', headers: basic, body: '' }), 400, 'BAD_REQUEST', /^The body is empty/);
  });

  it('explains account-file refusals in the same sentences (vm import)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vm-hyg-import-'));
    const store = createSqliteStore(dir);
    const acme = async () => JSON.parse(readFileSync(`${FIXTURES}acme.json`, 'utf8'));
    const refusal = async (file: unknown) => {
      const path = join(dir, 'bad.json');
      writeFileSync(path, JSON.stringify(file));
      return importAccountFile(store, path).then(
        () => 'imported',
        (e: { code: string; message: string }) => `${e.code} ${e.message}`,
      );
    };
    try {
      const f1 = await acme();
      f1.operators[0].id = '8';
      expect(await refusal(f1)).toBe('INVALID_ACCOUNT_FILE operators[0].id must be a whole number from 1 to 2147483647.');
      const f2 = await acme();
      delete f2.account;
      expect(await refusal(f2)).toBe('INVALID_ACCOUNT_FILE account is required.');
      const f3 = await acme();
      f3.numbers[0].route = { type: 'group' };
      expect(await refusal(f3)).toBe('INVALID_ACCOUNT_FILE numbers[0].route.id: is required for a group route');
      expect(await refusal([1, 2])).toBe('INVALID_ACCOUNT_FILE the file must be a JSON object.');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parseDay / parseInstant / addMonths agree with the calendar (property)', () => {
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }), (y, m, d) => {
        const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
        const last = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
        const text = `${pad(y, 4)}-${pad(m)}-${pad(d)}`;
        const t = new Date(0);
        t.setUTCFullYear(y, m - 1, d);
        expect(parseDay(text)).toBe(d <= last ? t.getTime() : undefined);
        expect(parseInstant(`${text}T12:00:00Z`)).toBe(d <= last ? t.getTime() + 12 * 3_600_000 : undefined);
        if (d <= last && y < 9999) {
          const next = new Date(addMonths(t.getTime(), 1));
          // Exactly one calendar month on: the next month, the same day or that month's last.
          expect((next.getUTCFullYear() * 12 + next.getUTCMonth()) - (y * 12 + m - 1)).toBe(1);
          expect(next.getUTCDate()).toBe(Math.min(d, new Date(Date.UTC(next.getUTCFullYear(), next.getUTCMonth() + 1, 0)).getUTCDate()));
        }
      }),
    );
  });
});
