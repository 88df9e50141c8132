// One simulated day through the real pipeline (engine → publisher → log → stats): the live
// metrics kept from the stream equal the metrics recomputed from the history records, and
// the simulator's own report agrees with /api/v1/stats.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.ts';
import { buildApp, type App } from '../src/http/app.ts';
import { createSqliteStore } from '../src/store/sqlite/index.ts';
import { validateAccountFile } from '../src/directory/load.ts';
import { hashPasswordSync, verifyPasswordSync } from '../src/auth/passwords.ts';
import { generatedAccount, runSimulation, type SimulationSummary } from '../src/sim/index.ts';
import type { RealtimeSnapshot } from '../src/protocol/index.ts';

const START = Date.UTC(2026, 0, 5, 8, 0, 0);
const clock = new ManualClock(START);
let app: App;
let summary: SimulationSummary;
let token: string;

beforeAll(async () => {
  const store = createSqliteStore(':memory:');
  const file = { ...generatedAccount({ operators: 14, catchup: 10 }), api_users: [{ login: 'sim-api', password: 'sim-secret' }] };
  const account = validateAccountFile(file);
  await store.directory.importAccount(account, { hash: hashPasswordSync, verify: verifyPasswordSync });
  app = await buildApp({ store, clock });
  const { publisher } = app.services;
  const id = account.account.id;
  summary = await runSimulation(
    { account, callsPerHour: 220, aht: 200, patience: 90, duration: 4 * 3600, seed: 7, slThreshold: 20, answerDelay: [1, 3], start: START },
    (n, at) => void publisher.publishValid(id, n, at),
  );
  while (publisher.deliveredCpt(id) < publisher.lastCpt(id)) await publisher.flush();
  await app.services.stats.flush();
  clock.set(START + summary.simulated_seconds * 1000 + 1000);
  token = (await app.services.auth.loginApi('sim-api', 'sim-secret', '127.0.0.1', 'api')).token;
}, 60_000);
afterAll(() => app.close());

async function get(url: string) {
  const r = await app.http.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  expect(r.statusCode).toBe(200);
  return r.json();
}

describe('a simulated day', () => {
  it('produced real traffic with waiting and abandonment', () => {
    expect(summary.offered).toBeGreaterThan(700);
    expect(summary.abandoned).toBeGreaterThan(0);
    expect(summary.p_wait).toBeGreaterThan(0.05);
  });

  it('live metrics from the stream equal metrics recomputed from the history', async () => {
    const snap = (await get('/api/v1/realtime')) as RealtimeSnapshot;
    const live = snap.groups[0]!;
    const { rows } = await get('/api/v1/stats/groups?from=2026-01-05&to=2026-01-06&interval=1d');
    expect(rows).toHaveLength(1);
    const hist = rows[0];
    expect(live.waiting).toBe(0);
    expect(live.today.offered).toBe(hist.offered);
    expect(live.today.answered).toBe(hist.answered);
    expect(live.today.abandoned).toBe(hist.abandoned);
    expect(live.today.overflowed).toBe(hist.overflowed);
    expect(live.today.service_level).toBe(hist.service_level);
    expect(live.today.avg_wait).toBe(hist.avg_wait);
    expect(Math.abs(live.today.aht - hist.aht)).toBeLessThanOrEqual(0.2);
    // The hourly buckets add up to the day.
    const hourly = (await get('/api/v1/stats/groups?from=2026-01-05&to=2026-01-06&interval=1h')).rows as { offered: number; answered: number }[];
    expect(hourly.length).toBeGreaterThanOrEqual(4);
    expect(hourly.reduce((a, r) => a + r.offered, 0)).toBe(hist.offered);
    expect(hourly.reduce((a, r) => a + r.answered, 0)).toBe(hist.answered);
  });

  it("the simulator's report agrees with /api/v1/stats", async () => {
    const hist = (await get('/api/v1/stats/groups?from=2026-01-05&to=2026-01-06&interval=1d')).rows[0];
    expect(hist.offered).toBe(summary.offered);
    expect(hist.answered).toBe(summary.answered);
    expect(hist.abandoned).toBe(summary.abandoned);
    expect(Math.abs(hist.service_level - summary.service_level)).toBeLessThan(0.001);
    expect(Math.abs(hist.avg_wait - summary.avg_wait)).toBeLessThan(0.1);
  });

  it('operator statistics account for every answered call', async () => {
    const { rows } = await get('/api/v1/stats/operators?from=2026-01-05&to=2026-01-06&interval=1d');
    const handled = (rows as { handled: number; occupancy: number }[]).reduce((a, r) => a + r.handled, 0);
    expect(handled).toBe(summary.answered + summary.outgoing_calls);
    const snap = (await get('/api/v1/realtime')) as RealtimeSnapshot;
    expect(snap.operators.reduce((a, o) => a + o.today.handled, 0)).toBe(handled);
  });
});
