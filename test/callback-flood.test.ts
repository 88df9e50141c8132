// The public web-callback link under a flood (issue 9, item 9): rate-limited per source
// and per account with a 429 + Retry-After, and a number that already waits for its
// callback is not queued again. Real server, real HTTP, distinct loopback sources.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CALLBACK_PER_SOURCE, signAccount } from '../src/http/routes/callback-link.ts';
import { FIXTURES, http, startTestServer, type HttpAnswer, type TestServer } from './helpers/server.ts';

const SIG = signAccount('callcenter-callback-secret', 7);
const servers: TestServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The call-center fixture with changes, as a file startTestServer can import. */
function accountFile(change: (file: any) => void): string {
  const file = JSON.parse(readFileSync(join(FIXTURES, 'callcenter.json'), 'utf8'));
  change(file);
  const dir = mkdtempSync(join(tmpdir(), 'vm-cb-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'callcenter.json'), JSON.stringify(file));
  return relative(FIXTURES, join(dir, 'callcenter.json'));
}

async function server(files = ['callcenter.json']): Promise<TestServer> {
  const s = await startTestServer(files);
  servers.push(s);
  return s;
}

function ask(s: TestServer, e164: string, localAddress: string, sig = SIG): Promise<HttpAnswer> {
  return http(`${s.url}/callback/7?sig=${sig}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ e164 }), localAddress });
}

async function pushesOf(s: TestServer): Promise<number[]> {
  return (await s.app.services.engines.get(7))!.activePushes();
}

function expectRateLimited(r: HttpAnswer, maxWaitS: number): void {
  expect(r.status).toBe(429);
  expect(r.body).toEqual({ error: 'RATE_LIMITED', message: expect.stringMatching(/retry in \d+ s\.$/) });
  const wait = Number(r.headers['retry-after']);
  expect(Number.isInteger(wait)).toBe(true);
  expect(wait).toBeGreaterThan(0);
  expect(wait).toBeLessThanOrEqual(maxWaitS);
}

describe('the web-callback link under a flood', () => {
  it('takes a handful of requests from one source and answers the rest 429 with Retry-After, queuing nothing more', async () => {
    const s = await server();
    const answers: HttpAnswer[] = [];
    for (let i = 0; i < 400; i += 50) {
      answers.push(...(await Promise.all(Array.from({ length: 50 }, (_, j) => ask(s, `3361${String(i + j).padStart(7, '0')}`, '127.0.0.2')))));
    }
    const ok = answers.filter((r) => r.status === 200);
    expect(ok).toHaveLength(CALLBACK_PER_SOURCE.max);
    for (const r of answers.filter((a) => a.status !== 200)) expectRateLimited(r, CALLBACK_PER_SOURCE.windowMs / 1000);
    expect((await pushesOf(s)).sort((a, b) => a - b)).toEqual(ok.map((r) => r.body.id_push as number).sort((a, b) => a - b));
    // Requests with a wrong signature count against their source too.
    expectRateLimited(await ask(s, '33612345678', '127.0.0.2', 'x'.repeat(22)), CALLBACK_PER_SOURCE.windowMs / 1000);
    // Another visitor is served.
    expect((await ask(s, '33698765432', '127.0.0.3')).status).toBe(200);
  });

  it('takes at most the account’s hourly quota from many sources; unsigned requests do not use it up', async () => {
    const s = await server([accountFile((f) => (f.web_callback.max_requests_per_hour = 12))]);
    // Strangers without the signature: refused, and the account's quota is untouched.
    for (let i = 0; i < 4; i++) expect((await ask(s, `3362000000${i}`, '127.0.0.40', 'y'.repeat(22))).status).toBe(403);
    const answers: HttpAnswer[] = [];
    for (let src = 10; src < 16; src++) {
      for (let i = 0; i < 3; i++) answers.push(await ask(s, `3363${src}00000${i}`, `127.0.0.${src}`));
    }
    expect(answers.filter((r) => r.status === 200)).toHaveLength(12);
    const refused = answers.filter((r) => r.status !== 200);
    expect(refused).toHaveLength(6);
    for (const r of refused) {
      expectRateLimited(r, 3600);
      expect(r.body.message).toMatch(/account/);
    }
    expect(await pushesOf(s)).toHaveLength(12);
  });

  it('answers a request for a number that already waits with its push, and queues nothing new', async () => {
    const s = await server();
    const first = await ask(s, '33655555555', '127.0.0.2');
    expect(first.status).toBe(200);
    expect(first.body.merged).toBeUndefined();
    const again = await ask(s, '33655555555', '127.0.0.3');
    expect(again).toMatchObject({ status: 200, body: { ok: true, id_push: first.body.id_push, merged: true } });
    const other = await ask(s, '33666666666', '127.0.0.3');
    expect(other.status).toBe(200);
    expect(other.body.id_push).not.toBe(first.body.id_push);
    expect((await pushesOf(s)).sort((a, b) => a - b)).toEqual([first.body.id_push, other.body.id_push].sort((a, b) => a - b));
    // Once that push is over (cancelled here), the number may ask again.
    const engine = (await s.app.services.engines.get(7))!;
    expect(engine.callbackCancel(first.body.id_push)).toEqual({ ok: true });
    const later = await ask(s, '33655555555', '127.0.0.4');
    expect(later.status).toBe(200);
    expect(later.body.id_push).not.toBe(first.body.id_push);
    expect(later.body.merged).toBeUndefined();
  });
});
