// Call recordings over HTTP: `GET /api/v1/accounts/:id/recordings/:id_call` with call
// control's auth (admin, supervisor/api token of the account; others refused), the file
// byte for byte, Range requests; `/vm/calls/in|out` rows flag recorded calls; retention
// forgets rows and files as it prunes the event log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ManualClock } from '../src/clock.ts';
import { recordingPath } from '../src/recordings/files.ts';
import { parseRange } from '../src/http/routes/recordings.ts';
import { ADMIN_TOKEN, http, startTestServer, vmToken, wsInit, type TestServer } from './helpers/server.ts';
import { until } from './helpers/until.ts';

const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);
const clock = new ManualClock(T0);
let srv: TestServer;
let file: string;
const content = Buffer.from(Array.from({ length: 70_001 }, (_, i) => (i * 7919) & 0xff));
const url = (account: number, call: number | string) => `${srv.url}/api/v1/accounts/${account}/recordings/${call}`;
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

/** A raw GET keeping the body's bytes. */
async function get(target: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const r = await fetch(target, { headers });
  return { status: r.status, headers: r.headers, bytes: Buffer.from(await r.arrayBuffer()) };
}

const num = (event: string, id_call: number) => ({ type_notification: 'num', event, msg: { id_call, id_num: 31, service: '33820620620', caller_id_num: '33612345678', type_dest: 'GROUPE' } });
const q = (event: string, id_call: number, extra: object = {}) => ({ type_notification: 'queue', event, msg: { id_call, id_queue: 5, caller_id_num: '33612345678', ...extra } });

beforeAll(async () => {
  srv = await startTestServer(['acme.json', 'globex.json'], { clock });
  file = recordingPath(srv.dataDir, 3, 100);
  writeFileSync(file, content);
  await srv.app.services.store.recordings.add({ accountId: 3, idCall: 100, file, durationMs: 60_000, bytes: content.length, createdAt: T0 });
  // Two calls in the history; only 100 is recorded.
  for (const [t, n] of [[2, num('start', 100)], [5, q('insert_call', 100)], [9, q('delete_call', 100)], [9, num('end', 100)], [20, num('start', 101)], [22, q('insert_call', 101)], [30, q('delete_call', 101)], [30, num('end', 101)]] as const) {
    clock.set(T0 + t * 1000);
    await srv.app.services.publisher.publish(3, n);
  }
  await srv.app.services.stats.flush();
});
afterAll(() => srv.close());

describe('GET /api/v1/accounts/:id/recordings/:id_call', () => {
  it('refuses without a token, with another account’s token, with an agent token, with a wrong token', async () => {
    const none = await http(url(3, 100));
    expect(none).toMatchObject({ status: 401, body: { error: 'AUTH_REQUIRED' } });
    const globex = (await vmToken(srv.url, 'globex-api', 'g-secret2', { user_type: 'api' })).body.id_session;
    expect(await http(url(3, 100), { headers: bearer(globex) })).toMatchObject({ status: 403, body: { error: 'FORBIDDEN' } });
    const agent = (await vmToken(srv.url, 'api', 'secret2', { user_type: 'agent', id_operator: 8 })).body.id_session;
    expect(await http(url(3, 100), { headers: bearer(agent) })).toMatchObject({ status: 403, body: { error: 'FORBIDDEN' } });
    expect(await http(url(3, 100), { headers: bearer('not-a-token') })).toMatchObject({ status: 401 });
  });

  it('sends the file byte for byte to the admin, a supervisor and an api token of the account', async () => {
    const sup = (await wsInit(srv.url, 'sup', 'secret')).body.id_session as string;
    const api = (await vmToken(srv.url, 'api', 'secret2', { user_type: 'api' })).body.id_session as string;
    for (const token of [ADMIN_TOKEN, sup, api]) {
      const r = await get(url(3, 100), bearer(token));
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('audio/wav');
      expect(r.headers.get('content-length')).toBe(String(content.length));
      expect(r.headers.get('accept-ranges')).toBe('bytes');
      expect(r.bytes.equals(readFileSync(file))).toBe(true);
    }
  });

  it('answers byte ranges with 206, and 416 past the end', async () => {
    const h = bearer(ADMIN_TOKEN);
    const mid = await get(url(3, 100), { ...h, range: 'bytes=1000-1999' });
    expect(mid.status).toBe(206);
    expect(mid.headers.get('content-range')).toBe(`bytes 1000-1999/${content.length}`);
    expect(mid.headers.get('content-length')).toBe('1000');
    expect(mid.bytes.equals(content.subarray(1000, 2000))).toBe(true);
    const open = await get(url(3, 100), { ...h, range: 'bytes=70000-' });
    expect([open.status, open.bytes.length, open.bytes[0]]).toEqual([206, 1, content[70_000]]);
    const suffix = await get(url(3, 100), { ...h, range: 'bytes=-10' });
    expect(suffix.bytes.equals(content.subarray(-10))).toBe(true);
    const past = await http(url(3, 100), { headers: { ...h, range: 'bytes=70001-' } });
    expect(past).toMatchObject({ status: 416, body: { error: 'RANGE_NOT_SATISFIABLE' } });
    expect(past.headers['content-range']).toBe(`bytes */${content.length}`);
    // Several ranges: the whole file is a valid answer.
    const many = await get(url(3, 100), { ...h, range: 'bytes=0-1,5-6' });
    expect([many.status, many.bytes.length]).toEqual([200, content.length]);
  });

  it('says 404 RECORDING_UNKNOWN for a call without one, and for one whose file is gone', async () => {
    const h = { headers: bearer(ADMIN_TOKEN) };
    expect(await http(url(3, 101), h)).toMatchObject({ status: 404, body: { error: 'RECORDING_UNKNOWN', message: 'No recording of call 101 is kept for account 3.' } });
    expect(await http(url(3, -101), h)).toMatchObject({ status: 404, body: { error: 'RECORDING_UNKNOWN' } });
    await srv.app.services.store.recordings.add({ accountId: 3, idCall: 102, file: recordingPath(srv.dataDir, 3, 102), durationMs: 1, bytes: 1, createdAt: T0 });
    expect(await http(url(3, 102), h)).toMatchObject({ status: 404, body: { error: 'RECORDING_UNKNOWN' } });
    expect(await http(url(3, 'abc'), h)).toMatchObject({ status: 400 });
  });

  it('parses ranges by the RFC: suffixes, open ends, clamped ends, what it does not honour', () => {
    expect(parseRange(undefined, 10)).toBe('whole');
    expect(parseRange('bytes=2-4', 10)).toEqual({ start: 2, end: 4 });
    expect(parseRange('bytes=2-400', 10)).toEqual({ start: 2, end: 9 });
    expect(parseRange('bytes=-3', 10)).toEqual({ start: 7, end: 9 });
    expect(parseRange('bytes=-30', 10)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=10-', 10)).toBe('unsatisfiable');
    expect(parseRange('bytes=5-2', 10)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 10)).toBe('unsatisfiable');
    expect(parseRange('items=1-2', 10)).toBe('whole');
    expect(parseRange('bytes=-', 10)).toBe('whole');
  });
});

describe('history rows', () => {
  it('flag recorded calls with where to get the recording; other rows are unchanged', async () => {
    const r = await http(`${srv.url}/vm/calls/in`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('api:secret2').toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ date: '2026-11-25' }),
    });
    expect(r.status).toBe(200);
    const rows = r.body as Record<string, unknown>[];
    expect(rows.map((x) => x.id_appel)).toEqual([100, 101]);
    expect(rows[0]).toMatchObject({ recording: true, recording_url: '/api/v1/accounts/3/recordings/100' });
    expect(Object.keys(rows[1]!)).not.toContain('recording');
    expect(Object.keys(rows[1]!)).not.toContain('recording_url');
    // The URL works as given.
    expect((await get(`${srv.url}${rows[0]!.recording_url as string}`, bearer(ADMIN_TOKEN))).status).toBe(200);
  });
});

describe('retention', () => {
  it('forgets recordings older than the event log keeps, rows and files, and keeps newer ones', async () => {
    const s = await startTestServer(['acme.json'], { clock: new ManualClock(T0) });
    const oldFile = recordingPath(s.dataDir, 3, 1);
    const newFile = recordingPath(s.dataDir, 3, 2);
    writeFileSync(oldFile, 'old');
    writeFileSync(newFile, 'new');
    const store = s.app.services.store;
    await store.recordings.add({ accountId: 3, idCall: 1, file: oldFile, durationMs: 1, bytes: 3, createdAt: T0 - 8 * 86_400_000 });
    await store.recordings.add({ accountId: 3, idCall: 2, file: newFile, durationMs: 1, bytes: 3, createdAt: T0 - 6 * 86_400_000 });
    await s.close({ keepData: true });
    // A restart runs the housekeeping (the event log's 7 days by default) at once.
    const again = await startTestServer([], { dataDir: s.dataDir, clock: new ManualClock(T0) });
    try {
      await until('the old recording is purged', async () => !existsSync(oldFile) && (await again.app.services.store.recordings.get(3, 1)) === undefined);
      expect(readFileSync(newFile, 'utf8')).toBe('new');
      expect(await again.app.services.store.recordings.get(3, 2)).toBeDefined();
    } finally {
      await again.close({ keepData: true });
    }
    // A shorter retention (vm serve --retention 5d) takes the newer one too.
    const shorter = await startTestServer([], { dataDir: s.dataDir, clock: new ManualClock(T0), retentionMs: 5 * 86_400_000 });
    try {
      await until('the newer recording is purged', async () => !existsSync(newFile) && (await shorter.app.services.store.recordings.get(3, 2)) === undefined);
    } finally {
      await shorter.close();
    }
  });
});
