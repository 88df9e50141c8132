// Live metrics and history from a scripted day: one answered call, one abandoned, an
// operator on pause; checked through /api/v1/realtime, /vm/... and /api/v1/stats, and again
// after a restart (state rebuilt from the log, history not duplicated).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.ts';
import { http, startTestServer, vmToken, type TestServer } from './helpers/server.ts';
import { connect } from './helpers/clients.ts';
import type { RealtimeSnapshot } from '../src/protocol/index.ts';

const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);
const clock = new ManualClock(T0);
let srv: TestServer;

const basic = { authorization: `Basic ${Buffer.from('api:secret2').toString('base64')}`, 'content-type': 'application/json' };
const at = (s: number) => clock.set(T0 + s * 1000);

async function script(steps: [number, object][]) {
  for (const [t, n] of steps) {
    at(t);
    await srv.app.services.publisher.publish(3, n);
  }
}

const num = (event: string, id_call: number) => ({ type_notification: 'num', event, msg: { id_call, id_num: 31, service: '33820620620', caller_id_num: '33612345678', type_dest: 'GROUPE' } });
const q = (event: string, id_call: number, extra: object = {}) => ({ type_notification: 'queue', event, msg: { id_call, id_queue: 5, caller_id_num: '33612345678', ...extra } });
const op = (status: string, id_operator: number, extra: object = {}) => ({ type_notification: 'operator', event: 'status', msg: { status, id_operator, ...extra } });
const ui = (event: string, id_operator: number, supp: string | number = '') => ({ type_notification: 'UI', event, msg: { id_operator, supp } });

async function realtime(token: string): Promise<RealtimeSnapshot> {
  const r = await http(`${srv.url}/api/v1/realtime`, { headers: { authorization: `Bearer ${token}` } });
  expect(r.status).toBe(200);
  return r.body;
}

beforeAll(async () => {
  srv = await startTestServer(['acme.json'], { clock });
  await script([
    [0, ui('login', 8)],
    [0, ui('login', 9)],
    [1, ui('pause', 9, 1)],
    [2, num('start', 100)],
    [5, q('insert_call', 100, { priority: 1, vip_rate: 1, call_duration: 3, duration_in_queue: 0 })],
  ]);
});
afterAll(() => srv.close());

describe('live metrics', () => {
  it('shows a waiting call with its wait, operators by state, and the cpt', async () => {
    at(15);
    const token = (await vmToken(srv.url, 'api', 'secret2', { user_type: 'api' })).body.id_session;
    const snap = await realtime(token);
    expect(snap.cpt).toBe(srv.app.services.publisher.lastCpt(3));
    const sales = snap.groups.find((g) => g.id === 5)!;
    expect(sales).toMatchObject({ name: 'Sales', waiting: 1, longest_wait: 10 });
    expect(sales.operators).toMatchObject({ logged_in: 2, available: 1, paused: 1, paused_by: { '1': 1 } });
    const bob = snap.operators.find((o) => o.id === 9)!;
    expect(bob).toMatchObject({ state: 'paused', pause_id: 1, time_in_state: 14 });
  });

  it('counts the day: answered within SL, abandoned, wait, handle time, occupancy', async () => {
    await script([
      [15, op('ringing', 8, { id_call: 100, id_queue: 5, caller_id_num: '33612345678', service: '33820620620' })],
      [18, q('connect_call', 100, { id_operator: 8, status: 'connected' })],
      [18, op('connected', 8, { id_call: 100, id_queue: 5, caller_id_num: '33612345678', rec: 1 })],
      [78, q('delete_call', 100, { duration_in_queue: 13 })],
      [78, op('available', 8, { id_call: 100, id_queue: 5, catchup: 10 })],
      [78, num('end', 100)],
      [100, num('start', 101)],
      [100, q('insert_call', 101)],
      [140, q('delete_call', 101)],
      [140, num('end', 101)],
      [200, ui('unpause', 9)],
    ]);
    at(300);
    const token = (await vmToken(srv.url, 'api', 'secret2', { user_type: 'api' })).body.id_session;
    const snap = await realtime(token);
    const sales = snap.groups.find((g) => g.id === 5)!;
    expect(sales.waiting).toBe(0);
    expect(sales.today).toEqual({ offered: 2, answered: 1, abandoned: 1, overflowed: 0, service_level: 0.5, sl_threshold: 20, avg_wait: 13, aht: 70 });
    const alice = snap.operators.find((o) => o.id === 8)!;
    expect(alice.state).toBe('available');
    expect(alice.today).toMatchObject({ handled: 1, talk_time: 60, wrapup_time: 10, logged_time: 300 });
    // Busy 70 s (talk + wrap-up) of 300 s staffed.
    expect(alice.today.occupancy).toBeCloseTo(70 / 300, 3);
    expect(snap.operators.find((o) => o.id === 9)!.today.pause_time).toEqual({ '1': 199 });
  });

  it('hands over from the snapshot to the stream without a gap or a double count', async () => {
    const token = (await vmToken(srv.url, 'api', 'secret2', { user_type: 'api' })).body.id_session;
    const snap = await realtime(token);
    at(310);
    const next = await srv.app.services.publisher.publish(3, num('start', 102));
    const c = connect(srv.url);
    const ack = await c.init('api', 3, token, { since: snap.cpt, types: ['num'] });
    expect(ack).toMatchObject({ ok: true });
    const [u] = await c.waitFor(1);
    expect(u!.cpt).toBe(next);
    expect(next).toBe(snap.cpt + 1);
    c.close();
  });
});

describe('history', () => {
  it('answers /vm/calls/in with the published field names', async () => {
    await srv.app.services.stats.flush();
    const r = await http(`${srv.url}/vm/calls/in`, { method: 'POST', headers: basic, body: JSON.stringify({ date: '2026-11-25' }) });
    expect(r.status).toBe(200);
    expect(r.body).toHaveLength(2);
    expect(r.body[0]).toEqual({
      id_appel: 100, date: new Date(T0 + 2000).toISOString(), service_number: '33820620620', caller_number: '33612345678',
      called_number: '33100000008', status: 'ANSWER', group_name: 'Sales', first_group_name: 'Sales', id_op: 8, op_name: 'Alice Martin',
      duration: 76, duration_ring: 3, duration_svi: 3, duration_wait: 13, duration_comm: 60, duration_hold: 0, post_appel: 10,
    });
    expect(r.body[1]).toMatchObject({ id_appel: 101, status: 'ABORT', duration_wait: 40, id_op: 0, duration_comm: 0 });
    const filtered = await http(`${srv.url}/vm/calls/in?user=api&password=secret2`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ date: '2026-11-25', caller_number: '33000000000' }),
    });
    expect(filtered).toMatchObject({ status: 200, body: [] });
  });

  it('answers /vm/calls/status with operator intervals', async () => {
    const r = await http(`${srv.url}/vm/calls/status`, { method: 'POST', headers: basic, body: JSON.stringify({ date: '2026-11-25', date_end: '2026-11-26' }) });
    expect(r.status).toBe(200);
    const rows = r.body as { id_op: number; type: string; duration: number; infos: string; id_call: number }[];
    expect(rows).toContainEqual({ id_op: 8, date: new Date(T0 + 18000).toISOString(), duration: 60, id_call: 100, infos: '', type: 'call_in' });
    expect(rows).toContainEqual({ id_op: 8, date: new Date(T0 + 78000).toISOString(), duration: 10, id_call: 100, infos: '', type: 'catchup' });
    expect(rows).toContainEqual({ id_op: 9, date: new Date(T0 + 1000).toISOString(), duration: 199, id_call: 0, infos: '1', type: 'break' });
  });

  it('refuses bad date filters clearly', async () => {
    const noDate = await http(`${srv.url}/vm/calls/in`, { method: 'POST', headers: basic, body: JSON.stringify({}) });
    expect(noDate).toMatchObject({ status: 400, body: { error: 'INVALID_FIELD' } });
    const tooLong = await http(`${srv.url}/vm/calls/in`, { method: 'POST', headers: basic, body: JSON.stringify({ date: '2026-01-01', date_end: '2026-03-01' }) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.message).toContain('one month');
    const noAuth = await http(`${srv.url}/vm/calls/in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ date: '2026-11-25' }) });
    expect(noAuth).toMatchObject({ status: 401, body: { error: 'AUTH_REQUIRED' } });
  });

  it('aggregates per group and operator, in JSON and CSV, equal to the live metrics', async () => {
    const token = (await vmToken(srv.url, 'api', 'secret2', { user_type: 'api' })).body.id_session;
    const g = await http(`${srv.url}/api/v1/stats/groups?from=2026-11-25&to=2026-11-26&interval=1d`, { headers: { authorization: `Bearer ${token}` } });
    expect(g.status).toBe(200);
    expect(g.body.rows).toEqual([
      { period: '2026-11-25T00:00:00.000Z', id_queue: 5, group_name: 'Sales', offered: 2, answered: 1, abandoned: 1, overflowed: 0, answered_in_sl: 1, service_level: 0.5, avg_wait: 13, aht: 70 },
    ]);
    const snap = await realtime(token);
    const live = snap.groups.find((x) => x.id === 5)!.today;
    expect({ offered: live.offered, answered: live.answered, abandoned: live.abandoned, service_level: live.service_level, avg_wait: live.avg_wait, aht: live.aht }).toEqual({
      offered: g.body.rows[0].offered, answered: g.body.rows[0].answered, abandoned: g.body.rows[0].abandoned,
      service_level: g.body.rows[0].service_level, avg_wait: g.body.rows[0].avg_wait, aht: g.body.rows[0].aht,
    });
    const csv = await http(`${srv.url}/api/v1/stats/operators?from=2026-11-25T09:00:00Z&to=2026-11-25T10:00:00Z&interval=15m&id_session=${token}`, { headers: { accept: 'text/csv' } });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = (csv.body as string).trim().split('\r\n');
    expect(lines[0]).toBe('period,id_operator,op_name,handled,talk_time,wrapup_time,pause_time,logged_time,occupancy');
    // Alice is still logged in: her open session counts up to now (09:05:10).
    expect(lines).toContain('2026-11-25T09:00:00.000Z,8,Alice Martin,1,60,10,0,310,0.226');
  });
});

describe('after a restart', () => {
  it('rebuilds live metrics from the log and does not duplicate history', async () => {
    const dataDir = srv.dataDir;
    await srv.close({ keepData: true });
    srv = await startTestServer([], { clock, dataDir });
    const token = (await vmToken(srv.url, 'api', 'secret2', { user_type: 'api' })).body.id_session;
    const snap = await realtime(token);
    expect(snap.groups.find((g) => g.id === 5)!.today).toMatchObject({ offered: 2, answered: 1, abandoned: 1, aht: 70 });
    expect(snap.operators.find((o) => o.id === 8)!.today.handled).toBe(1);
    const r = await http(`${srv.url}/vm/calls/in`, { method: 'POST', headers: basic, body: JSON.stringify({ date: '2026-11-25' }) });
    expect(r.body.map((x: { id_appel: number }) => x.id_appel)).toEqual([100, 101]);
  });
});
