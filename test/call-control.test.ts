// The call-control API end to end: a telephony system places a call, an operator answers
// and hangs up through the toolbar routes, every refusal names its rule, and the stream
// carries the events in lawful order. Plus the signed web-callback link.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, http, startTestServer, vmToken, type TestServer } from './helpers/server.ts';
import { connect, type TestClient } from './helpers/clients.ts';
import { signAccount } from '../src/http/routes/callback-link.ts';

let srv: TestServer;
let stream: TestClient;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
const post = (path: string, body?: object, headers: Record<string, string> = admin) =>
  http(`${srv.url}/api/v1/accounts/7${path}`, { method: 'POST', headers, ...(body ? { body: JSON.stringify(body) } : { headers: { authorization: headers.authorization! } }) });

beforeAll(async () => {
  srv = await startTestServer(['callcenter.json']);
  const t = await vmToken(srv.url, 'cc-api', 'cc-secret2', { user_type: 'api' });
  stream = connect(srv.url);
  await stream.init('api', 7, t.body.id_session, { types: ['operator', 'UI', 'queue', 'num', 'PUSHCALL'] });
});
afterAll(async () => {
  stream.close();
  await srv.close();
});

const seen = () => stream.updates.map((u) => `${u.event.type_notification}/${u.event.event}${'status' in u.event.msg ? `:${u.event.msg.status}` : ''}`);
async function until(pred: () => boolean, what: string) {
  const end = Date.now() + 5000;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; saw ${seen().join(', ')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('call control', () => {
  it('places a call, rings the operator, connects, hangs up: lawful order on the stream', async () => {
    expect(await post('/operators/71/login')).toMatchObject({ status: 200, body: { ok: true } });
    const agent = await vmToken(srv.url, 'cc-api', 'cc-secret2', { user_type: 'agent', id_operator: 71 });
    const asAgent = { authorization: `Bearer ${agent.body.id_session}`, 'content-type': 'application/json' };

    const call = await post('/calls', { service: '33800000075', caller: '33611111111' });
    expect(call.status).toBe(200);
    const id = call.body.id_call as number;
    await until(() => seen().includes('operator/status:ringing'), 'ringing');

    // The agent token acts for its own operator only.
    expect(await post('/operators/72/login', undefined, asAgent)).toMatchObject({ status: 403, body: { error: 'FORBIDDEN' } });
    expect(await post('/operators/71/answer', undefined, asAgent)).toMatchObject({ status: 200, body: { ok: true, id_call: id } });
    await until(() => seen().includes('operator/status:connected'), 'connected');

    // Rules are named when refused.
    expect(await post('/operators/71/logout')).toMatchObject({ status: 409, body: { error: 'OPERATOR_BUSY' } });
    expect(await post('/operators/71/login')).toMatchObject({ status: 409, body: { error: 'OPERATOR_ALREADY_LOGGED_IN' } });
    const forbidden = await post('/operators/71/transfer', { type: 'number', e164: '33891234567' });
    expect(forbidden).toMatchObject({ status: 403, body: { error: 'TRANSFER_FORBIDDEN' } });

    expect(await post('/operators/71/hangup', undefined, asAgent)).toMatchObject({ status: 200, body: { id_call: id } });
    await until(() => seen().includes('num/end'), 'num/end');
    const order = seen();
    const idx = (s: string) => order.findIndex((x) => x.startsWith(s));
    expect(idx('num/start')).toBeLessThan(idx('queue/insert_call'));
    expect(idx('queue/insert_call')).toBeLessThan(idx('operator/status:ringing'));
    expect(idx('operator/status:ringing')).toBeLessThan(idx('queue/connect_call'));
    expect(idx('queue/connect_call')).toBeLessThan(idx('queue/delete_call'));
    expect(idx('queue/delete_call')).toBeLessThan(idx('num/end'));
    const end = stream.updates.find((u) => u.event.type_notification === 'operator' && u.event.msg.status === 'available' && u.event.msg.id_call === id);
    expect(end?.event.msg).toMatchObject({ catchup: 5 });
  });

  it('a PBX reports a busy phone: ring-failed frees the operator for the call, refusals name the rule', async () => {
    expect(await post('/operators/72/login')).toMatchObject({ status: 200 });
    const call = await post('/calls', { service: '33800000075', caller: '33622222222' });
    const id = call.body.id_call as number;
    const ringingFor = () =>
      stream.updates.flatMap((u) => (u.event.type_notification === 'operator' && u.event.msg.status === 'ringing' && u.event.msg.id_call === id ? [u.event.msg.id_operator] : []));
    await until(() => ringingFor().length > 0, 'ringing');
    const op = ringingFor()[0]!;
    expect(await post(`/calls/${id}/ring-failed`, { id_operator: op, reason: 'busy' })).toMatchObject({ status: 200, body: { ok: true } });
    await until(
      () => stream.updates.some((u) => u.event.type_notification === 'operator' && u.event.msg.status === 'available' && u.event.msg.id_call === id && u.event.msg.id_operator === op),
      'available after the ring failure',
    );
    expect(await post(`/calls/${id}/ring-failed`, { id_operator: op, reason: 'busy' })).toMatchObject({ status: 409, body: { error: 'OPERATOR_NOT_RINGING_CALL' } });
    expect(await post(`/calls/${id}/ring-failed`, { id_operator: op, reason: 'exploded' })).toMatchObject({ status: 400, body: { error: 'INVALID_FIELD' } });
    expect(await post('/calls/999999/ring-failed', { id_operator: op, reason: 'declined' })).toMatchObject({ status: 404, body: { error: 'CALL_UNKNOWN' } });
    expect(await post(`/calls/${id}/hangup`)).toMatchObject({ status: 200 });
    expect(await post('/operators/72/logout')).toMatchObject({ status: 200 });
  });

  it('refuses bad input and unknown things with clear errors', async () => {
    expect(await post('/calls', { service: '33800000000', caller: '336' })).toMatchObject({ status: 404, body: { error: 'NUMBER_UNKNOWN' } });
    expect(await post('/calls', { service: '33800000075', caller: 'abc' })).toMatchObject({ status: 400, body: { error: 'INVALID_FIELD' } });
    expect(await post('/calls/999999/hangup')).toMatchObject({ status: 404, body: { error: 'CALL_UNKNOWN' } });
    expect(await post('/operators/72/pause', { pause: 1234 })).toMatchObject({ status: 404, body: { error: 'PAUSE_UNKNOWN' } });
    expect(await post('/operators/999/login')).toMatchObject({ status: 404, body: { error: 'OPERATOR_UNKNOWN' } });
    expect(await post('/operators/72/login', undefined, { authorization: 'Bearer nope' })).toMatchObject({ status: 401 });
    const noAuth = await http(`${srv.url}/api/v1/accounts/7/operators/72/login`, { method: 'POST' });
    expect(noAuth).toMatchObject({ status: 401, body: { error: 'AUTH_REQUIRED' } });
  });
});

describe('web callback link', () => {
  const sig = signAccount('callcenter-callback-secret', 7);

  it('serves the page only with a valid signature', async () => {
    const ok = await http(`${srv.url}/callback/7?sig=${sig}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('Call Center');
    const bad = await http(`${srv.url}/callback/7?sig=${sig.slice(0, -1)}x`);
    expect(bad).toMatchObject({ status: 403, body: { error: 'CALLBACK_LINK_INVALID' } });
  });

  it('turns a visitor’s number into PUSHCALL/request and a push to an operator, cancellable', async () => {
    // Ben is free (Ana may still be in wrap-up), so the push goes out at once.
    expect(await post('/operators/72/login')).toMatchObject({ status: 200 });
    const r = await http(`${srv.url}/callback/7?sig=${sig}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ e164: '33622222222', name: 'Zoé' }) });
    expect(r.status).toBe(200);
    const idPush = r.body.id_push as number;
    await until(() => stream.updates.some((u) => u.event.type_notification === 'PUSHCALL' && u.event.msg.id_push === idPush), 'PUSHCALL/request');
    const req = stream.updates.find((u) => u.event.type_notification === 'PUSHCALL')!;
    expect(req.event.msg).toMatchObject({ e164: '33622222222', type: 'MANUAL', vars: { name: 'Zoé', source: 'web' } });
    await until(() => seen().includes('UI/push'), 'UI/push');
    expect(await http(`${srv.url}/api/v1/accounts/7/callbacks/${idPush}`, { method: 'DELETE', headers: { authorization: admin.authorization } })).toMatchObject({ status: 200 });
    await until(() => seen().includes('UI/push_cancel'), 'UI/push_cancel');
    const forbidden = await http(`${srv.url}/callback/7?sig=${sig}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ e164: '3389000000' }) });
    expect(forbidden).toMatchObject({ status: 403, body: { error: 'DESTINATION_FORBIDDEN' } });
  });
});
