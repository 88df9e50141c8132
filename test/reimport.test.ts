// Re-import while serving: a real server, a real socket.io client on the stream, and the
// real `vm import` CLI writing a changed account file into the data directory the server
// has open. The running engine takes the new directory without dropping the call in
// progress: the removed operator on that call finishes it, then is logged out and gone; a
// new operator and a new number work at once; a removed operator and number are refused;
// the stream stays lawful (PROTOCOL §5).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Notification, Update } from '../src/protocol/index.ts';
import { ADMIN_TOKEN, FIXTURES, http, startTestServer, vmToken, type TestServer } from './helpers/server.ts';
import { connect, type TestClient } from './helpers/clients.ts';
import { eventually, vmCli } from './helpers/cli.ts';
import { LawfulChecker } from './engine-lawful.ts';

const ACCOUNT = 3;
const ALL_TYPES = ['operator', 'UI', 'PUSHCALL', 'queue', 'trunk', 'num', 'input'];

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer(['acme.json'], { changeWatchMs: 100 });
});
afterAll(() => s.close());

function control(path: string, body?: object) {
  return http(`${s.url}/api/v1/accounts/${ACCOUNT}${path}`, {
    method: body === undefined && path === '/calls' ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

const event = (u: Update) => u.event as Notification;
const isUi = (u: Update, ev: string, op: number) => event(u).type_notification === 'UI' && event(u).event === ev && (event(u).msg as { id_operator: number }).id_operator === op;

describe('re-import while serving', () => {
  let stream: TestClient;

  it('applies a re-import to the running engine without dropping the call in progress', async () => {
    const tok = await vmToken(s.url, 'api', 'secret2', { user_type: 'api' });
    expect(tok.status).toBe(200);
    stream = connect(s.url);
    expect(await stream.init('api', ACCOUNT, tok.body.id_session, { types: ALL_TYPES })).toMatchObject({ ok: true });

    // Alice (8) takes a call on 33820620620; Bob (9) is available.
    expect((await control('/operators/8/login', {})).status).toBe(200);
    const call = await control('/calls', { service: '33820620620', caller: '33612345678' });
    expect(call.status).toBe(200);
    const idCall = call.body.id_call as number;
    expect((await control('/operators/8/answer', {})).body).toEqual({ ok: true, id_call: idCall });
    expect((await control('/operators/9/login', {})).status).toBe(200);

    // The new file: Alice and number 31 removed, Carol (10) and number 32 added, group 6 gone.
    const file = JSON.parse(readFileSync(FIXTURES + 'acme.json', 'utf8'));
    file.operators = [
      { id: 9, name: 'Bob Durand', groups: [5] },
      { id: 10, name: 'Carol New', groups: [5] },
    ];
    file.groups = [{ id: 5, name: 'Sales' }];
    file.numbers = [{ id: 32, service: '33820620699', route: { type: 'group', id: 5 } }];
    const path = join(s.dataDir, '..', `acme-reimport-${process.pid}.json`);
    writeFileSync(path, JSON.stringify(file));
    const imported = await vmCli('import', path, '--data', s.dataDir, '--json');
    expect(imported.stderr).toBe('');
    expect(JSON.parse(imported.stdout)).toMatchObject({ account: ACCOUNT, changed: true });

    // The running engine learns of it: Carol can log in (refused as unknown until then).
    const login = await eventually('the new operator to log in', async () => {
      const r = await control('/operators/10/login', {});
      if (r.status === 200) return r;
      expect(r.body.error).toBe('OPERATOR_UNKNOWN');
      return undefined;
    });
    expect(login.body).toEqual({ ok: true });

    // The call in progress is still there, Alice still on it; she cannot log in again.
    const calls = await control('/calls');
    expect(calls.body).toMatchObject([{ id_call: idCall, phase: 'connected', id_operator: 8 }]);
    expect((await control('/operators/8/login', {})).body.error).toBe('OPERATOR_UNKNOWN');
    expect((await control('/operators/8/pause', { pause: 1 })).body.error).toBe('OPERATOR_UNKNOWN');

    // Number 31 takes no new call; number 32 does (Bob, who was waiting longest, rings).
    expect((await control('/calls', { service: '33820620620', caller: '33600000001' })).body.error).toBe('NUMBER_UNKNOWN');
    const second = await control('/calls', { service: '33820620699', caller: '33600000002' });
    expect(second.status).toBe(200);
    expect((await control('/operators/9/answer', {})).body).toEqual({ ok: true, id_call: second.body.id_call });

    // Alice finishes her call, then is logged out and gone.
    expect((await control('/operators/8/hangup', {})).body).toEqual({ ok: true, id_call: idCall });
    const updates = await eventually('Alice logged out on the stream', async () => (stream.updates.some((u) => isUi(u, 'logout', 8)) ? stream.updates.slice() : undefined));
    const endOfCall = updates.findIndex((u) => event(u).type_notification === 'num' && event(u).event === 'end' && (event(u).msg as { id_call: number }).id_call === idCall);
    const logout = updates.findIndex((u) => isUi(u, 'logout', 8));
    expect(endOfCall).toBeGreaterThanOrEqual(0);
    expect(logout).toBeGreaterThan(endOfCall);
    expect((await control('/operators/8/login', {})).body.error).toBe('OPERATOR_UNKNOWN');
    const ops = await http(`${s.url}/vm/operators_init`, { headers: { authorization: `Basic ${Buffer.from('api:secret2').toString('base64')}` } });
    expect(ops.status).toBe(200);
    expect((ops.body as { id: number }[]).map((o) => o.id).sort((a, b) => a - b)).toEqual([9, 10]);

    // Bob's call ends too; the whole stream is lawful and in cpt order without gaps.
    expect((await control('/operators/9/hangup', {})).status).toBe(200);
    await eventually('the second call to end on the stream', async () =>
      stream.updates.some((u) => event(u).type_notification === 'num' && event(u).event === 'end' && (event(u).msg as { id_call: number }).id_call === second.body.id_call) ? true : undefined,
    );
    const checker = new LawfulChecker(ACCOUNT);
    const all = stream.updates.slice();
    for (const u of all) checker.observe(event(u));
    expect(checker.finalErrors()).toEqual([]);
    for (let i = 1; i < all.length; i++) expect(all[i]!.cpt).toBe(all[i - 1]!.cpt + 1);
    stream.close();
  }, 90_000);

  it('PUT /api/v1/accounts/:id imports over HTTP (admin) and is applied before the answer', async () => {
    const put = (body: unknown, opts: { id?: number; token?: string } = {}) =>
      http(`${s.url}/api/v1/accounts/${opts.id ?? ACCOUNT}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${opts.token ?? ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const file = JSON.parse(readFileSync(FIXTURES + 'acme.json', 'utf8'));
    // A new operator in a new group behind a new number, and a new pause.
    file.groups.push({ id: 7, name: 'Billing' });
    file.operators.push({ id: 11, name: 'Dan Added', groups: [7] });
    file.numbers.push({ id: 33, service: '33820620633', route: { type: 'group', id: 7 } });
    file.pauses.push({ id: 2, label: 'Training' });
    expect((await put(file, { token: 'wrong' })).body).toMatchObject({ error: 'AUTH_REQUIRED' });
    expect((await put(file, { id: 4 })).body).toEqual({ error: 'INVALID_ACCOUNT_FILE', message: expect.stringMatching(/account\.id/) });
    expect((await put({ ...file, operators: [{ id: 11, name: 'Dan', groups: [77] }] })).body).toEqual({ error: 'INVALID_ACCOUNT_FILE', message: expect.stringMatching(/operators\[0\]\.groups\[0\]/) });
    expect((await control('/operators/11/login', {})).body.error).toBe('OPERATOR_UNKNOWN');

    const r = await put(file);
    expect(r.body).toEqual({ account: ACCOUNT, changed: true });
    // No waiting: the engine has the new directory when the import is answered.
    expect((await control('/operators/11/login', {})).body).toEqual({ ok: true });
    expect((await put(file)).body).toEqual({ account: ACCOUNT, changed: false });
    const call = await control('/calls', { service: '33820620633', caller: '33600000003' });
    expect(call.status).toBe(200);
    expect((await control('/operators/11/answer', {})).body).toEqual({ ok: true, id_call: call.body.id_call });
    expect((await control('/operators/11/hangup', {})).body).toEqual({ ok: true, id_call: call.body.id_call });
    expect((await control('/operators/11/pause', { pause: 2 })).body).toEqual({ ok: true });
    expect((await control('/operators/11/unpause', {})).body).toEqual({ ok: true });
    expect((await control('/operators/11/logout', {})).body).toEqual({ ok: true });
  });
});
