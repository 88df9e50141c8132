// Live tiles and the day view agree at the same moment: GET /api/v1/realtime's today and
// GET /api/v1/stats/groups over today (what the wallboard's day view reads) give the same
// figures at any cut of a simulated center's stream — calls waiting, ringing, on a call or
// in wrap-up included — and across midnight (UTC), where a passage counts on the day it
// entered the queue in both. The last-hour chart's history (GET /api/v1/stats/series) ends
// on the same state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.ts';
import { readAccountFile } from '../src/directory/load.ts';
import { runSimulation } from '../src/sim/index.ts';
import type { Notification, RealtimeSnapshot } from '../src/protocol/index.ts';
import { http, startTestServer, vmToken, type TestServer } from './helpers/server.ts';

// Half an hour before midnight UTC, for an hour and a half of traffic.
const START = Date.UTC(2026, 0, 5, 23, 30, 0);
const clock = new ManualClock(START);
let srv: TestServer;
const events: { n: Notification; at: number }[] = [];

beforeAll(async () => {
  const account = readAccountFile('demo/demo-center.yaml');
  await runSimulation(
    { account, callsPerHour: 240, aht: 150, patience: 60, duration: 5400, seed: 11, answerDelay: [1, 4], ivrShare: 0.2, transferShare: 0.1, callbackShare: 0.05, start: START },
    (n, at) => void events.push({ n, at }),
  );
  srv = await startTestServer(['../../demo/demo-center.yaml'], { clock });
}, 120_000);
afterAll(() => srv?.close());

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const nextDay = (d: string) => new Date(Date.parse(d) + 86_400_000).toISOString().slice(0, 10);

describe("today's figures, live and from the history", () => {
  it('agree per group at every cut of the stream, across midnight', { timeout: 300_000 }, async () => {
    expect(events.length).toBeGreaterThan(2000);
    const { publisher } = srv.app.services;
    let token = '';
    let tokenAt = -Infinity;
    let compared = 0;
    let midCall = 0;
    const days = new Set<string>();
    const seen: { t: number; waiting: number; service_level: number }[] = [];
    // Cuts at a varying stride (so they fall at every kind of moment), and either side of midnight.
    const midnight = events.findIndex((e) => e.at >= Date.UTC(2026, 0, 6));
    expect(midnight).toBeGreaterThan(0);
    const cuts = new Set<number>([midnight - 1, midnight, midnight + 1, events.length]);
    for (let i = 37, step = 37; i < events.length; step = (step * 7) % 113 + 29, i += step) cuts.add(i);
    let done = 0;
    for (let cut of [...cuts].sort((a, b) => a - b)) {
      // A moment is between two events at different whole ms: what happened at it is all in.
      while (cut < events.length && events[cut]!.at <= Math.ceil(events[cut - 1]!.at)) cut++;
      if (cut <= done) continue;
      while (done < cut) {
        const e = events[done++]!;
        clock.set(e.at);
        void publisher.publishValid(1, e.n, e.at);
      }
      while (publisher.deliveredCpt(1) < publisher.lastCpt(1)) await publisher.flush();
      clock.set(Math.ceil(clock.now())); // a whole ms, which an ISO time can name
      // Tokens live two hours of this clock: take a new one now and then.
      if (clock.now() - tokenAt > 3_600_000) {
        const t = await vmToken(srv.url, 'api', 'demo-api', { user_type: 'api' });
        expect(t.status).toBe(200);
        token = t.body.id_session;
        tokenAt = clock.now();
      }
      const headers = { authorization: `Bearer ${token}` };
      const live = (await http(`${srv.url}/api/v1/realtime`, { headers })).body as RealtimeSnapshot;
      expect(live.cpt).toBe(publisher.lastCpt(1));
      const today = live.day;
      expect(today).toBe(day(clock.now()));
      days.add(today);
      const hist = await http(`${srv.url}/api/v1/stats/groups?from=${today}&to=${nextDay(today)}&interval=1d`, { headers });
      expect(hist.status).toBe(200);
      const rows = hist.body.rows as Record<string, number>[];
      for (const g of live.groups) {
        const row = rows.find((r) => r.id_queue === g.id);
        const t = g.today;
        const fromHistory = row
          ? { offered: row.offered, answered: row.answered, abandoned: row.abandoned, overflowed: row.overflowed, service_level: row.service_level, avg_wait: row.avg_wait, aht: row.aht }
          : { offered: 0, answered: 0, abandoned: 0, overflowed: 0, service_level: 1, avg_wait: 0, aht: 0 };
        expect(
          { offered: t.offered, answered: t.answered, abandoned: t.abandoned, overflowed: t.overflowed, service_level: t.service_level, avg_wait: t.avg_wait, aht: t.aht },
          `group ${g.id} at ${new Date(clock.now()).toISOString()} (event ${done})`,
        ).toEqual(fromHistory);
        compared++;
      }
      // The last-hour chart's history (GET /api/v1/stats/series) ends on the same state:
      // the calls waiting now, and the day's service level over all groups.
      const series = await http(`${srv.url}/api/v1/stats/series?step=60`, { headers });
      expect(series.status).toBe(200);
      const last = series.body.points.at(-1);
      expect(Date.parse(last.t)).toBe(clock.now());
      expect(last.waiting).toBe(live.groups.reduce((n, g) => n + g.waiting, 0));
      const decided = rows.reduce((n, r) => n + r.answered! + r.abandoned! + r.overflowed!, 0);
      const inSl = rows.reduce((n, r) => n + r.answered_in_sl!, 0);
      expect(last.service_level).toBe(decided === 0 ? 1 : Math.round((inSl / decided) * 1000) / 1000);
      seen.push({ t: clock.now(), waiting: last.waiting, service_level: last.service_level });
      if (live.groups.some((g) => g.waiting > 0 || g.operators.on_call + g.operators.ringing + g.operators.wrapup > 0)) midCall++;
    }
    // Later, the history gives back each of those moments as it was seen live.
    const headers = { authorization: `Bearer ${token}` };
    for (const m of seen.filter((_, i) => i % 3 === 0)) {
      const iso = new Date(m.t).toISOString();
      const r = await http(`${srv.url}/api/v1/stats/series?from=${iso}&to=${iso}`, { headers });
      expect(r.status).toBe(200);
      expect(r.body.points).toEqual([{ t: iso, waiting: m.waiting, service_level: m.service_level }]);
    }
    expect(seen.length).toBeGreaterThan(30);
    // The cuts did fall mid-call, on both days.
    expect(compared).toBeGreaterThan(100);
    expect(midCall).toBeGreaterThan(20);
    expect([...days].sort()).toEqual(['2026-01-05', '2026-01-06']);
  });
});

describe('GET /api/v1/stats/series refusals', () => {
  it('refuses what it cannot answer with a sentence, and needs a supervisor or api token', async () => {
    const token = (await vmToken(srv.url, 'api', 'demo-api', { user_type: 'api' })).body.id_session;
    const get = (q: string, auth = true) => http(`${srv.url}/api/v1/stats/series${q}`, auth ? { headers: { authorization: `Bearer ${token}` } } : {});
    const refusals: [string, RegExp][] = [
      ['?from=yesterday', /from must be an ISO date/],
      // Not on the calendar: refused as /stats/groups refuses it, never rolled over to 1 December.
      ['?from=2025-11-31T00:00:00Z', /from must be an ISO date/],
      ['?to=2025-11-31T00:00:00Z', /to must be an ISO date/],
      [`?from=${new Date(clock.now() - 7_200_000).toISOString()}&step=1`, /more than 1,440 points/],
      ['?from=2025-01-01T00:00:00Z&step=86400', /24 hours at most/],
      [`?from=${new Date(clock.now() + 60_000).toISOString()}`, /to must not be before from/],
    ];
    for (const [q, message] of refusals) {
      const r = await get(q);
      expect(r.status, q).toBe(400);
      expect(r.body.error, q).toBe('INVALID_FIELD');
      expect(r.body.message, q).toMatch(message);
    }
    expect((await get('?step=0')).status).toBe(400);
    expect((await get('', false)).body.error).toBe('AUTH_REQUIRED');
    const ok = await get('?step=600');
    expect(ok.status).toBe(200);
    expect(ok.body.points).toHaveLength(7);
  });
});
