// The wallboard in Chromium against a real server that has an hour of a simulated center
// behind it: the last-hour chart is filled from the history on first open (not blank until
// the board has watched for an hour), and the live tiles and the day view agree at the same
// moment — calls in progress included — and keep agreeing as the stream moves.
// Screenshots go to test-results/wallboard-history-*.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { execSync } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { ManualClock } from '../src/clock.ts';
import { readAccountFile } from '../src/directory/load.ts';
import { runSimulation } from '../src/sim/index.ts';
import type { Notification, RealtimeSnapshot } from '../src/protocol/index.ts';
import { WALLBOARD_DIST } from '../src/http/routes/pages.ts';
import { haveChromium, launchChromium, openPage, warnIfNoChromium } from './helpers/browser.ts';
import { http, startTestServer, vmToken, wsInit, type TestServer } from './helpers/server.ts';

warnIfNoChromium('wallboard-history');

const SHOTS = new URL('../test-results/', import.meta.url).pathname;
const START = Date.UTC(2026, 0, 5, 9, 0, 0);
const clock = new ManualClock(START);

describe.skipIf(!haveChromium)('wallboard with an hour of history', () => {
  let s: TestServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const events: { n: Notification; at: number }[] = [];
  let done = 0;
  let apiToken = '';

  /** Publishes the simulated stream up to `until` (ms), then stops the clock there. */
  const publishUntil = async (until: number) => {
    const { publisher } = s.app.services;
    while (done < events.length && events[done]!.at <= until) {
      const e = events[done++]!;
      clock.set(e.at);
      void publisher.publishValid(1, e.n, e.at);
    }
    while (publisher.deliveredCpt(1) < publisher.lastCpt(1)) await publisher.flush();
    await s.app.services.stats.flush();
    clock.set(Math.ceil(until));
  };
  const realtime = async () => {
    const r = await http(`${s.url}/api/v1/realtime`, { headers: { authorization: `Bearer ${apiToken}` } });
    expect(r.status).toBe(200);
    return r.body as RealtimeSnapshot;
  };
  const shot = (name: string) => page.screenshot({ path: `${SHOTS}wallboard-history-${name}.png` });

  /** What a group's tile shows. */
  const tileFigures = (group: number) =>
    page.evaluate((id) => {
      const t = document.querySelector(`.tile[data-group="${id}"]`)!;
      const text = (sel: string) => t.querySelector(sel)?.textContent?.trim() ?? '';
      return {
        offered: text('[data-metric="offered"]'),
        answered: text('[data-metric="answered"]'),
        abandoned: text('[data-metric="abandoned"]'),
        service_level: text('.gauge text'),
        avg_wait: text('span[title="Average wait of answered calls"] b'),
      };
    }, group);
  /** What the day view's totals show (by position: offered, answered, abandoned, overflowed, SL, avg wait). */
  const dayFigures = () =>
    page.evaluate(() => {
      const b = [...document.querySelectorAll('.day-totals div b')].map((x) => x.textContent?.trim() ?? '');
      return { offered: b[0], answered: b[1], abandoned: b[2], service_level: b[4], avg_wait: b[5] };
    });

  beforeAll(async () => {
    if (!existsSync(`${WALLBOARD_DIST}index.html`)) execSync('npm run build', { stdio: 'ignore', cwd: new URL('..', import.meta.url).pathname });
    mkdirSync(SHOTS, { recursive: true });
    const account = readAccountFile('demo/demo-center.yaml');
    await runSimulation(
      { account, callsPerHour: 300, aht: 150, patience: 45, duration: 5400, seed: 5, answerDelay: [1, 4], ivrShare: 0.2, transferShare: 0.1, start: START },
      (n, at) => void events.push({ n, at }),
    );
    s = await startTestServer(['../../demo/demo-center.yaml'], { clock });
    // An hour and ten minutes of traffic, cut in the middle of it (calls waiting and on a call).
    await publishUntil(START + 70 * 60_000);
    apiToken = (await vmToken(s.url, 'api', 'demo-api', { user_type: 'api' })).body.id_session;
    browser = await launchChromium();
    page = await openPage(browser, { width: 1600, height: 1000 }, pageErrors);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('fills the last-hour chart from the history on first open', async () => {
    const live = await realtime();
    expect(live.groups.reduce((n, g) => n + g.today.offered, 0)).toBeGreaterThan(200);
    const login = await wsInit(s.url, 'supervisor', 'demo');
    expect(login.status).toBe(200);
    await page.goto(`${s.url}/wallboard/?id_session=${encodeURIComponent(login.body.id_session)}&target=${login.body.target}`);
    await page.waitForSelector('.tile[data-group="1"]');
    await page.waitForSelector('.live-chart .uplot');
    // The chart's points (the tab keeps them in sessionStorage): an hour's worth at once.
    const series = () =>
      page.evaluate(() => JSON.parse(sessionStorage.getItem('vm-wallboard-series-1') ?? '{"t":[],"waiting":[],"sl":[]}') as { t: number[]; waiting: number[]; sl: number[] });
    await expect.poll(async () => (await series()).t.length, { timeout: 15_000 }).toBeGreaterThan(200);
    const pts = await series();
    const now = Math.floor(clock.now() / 1000);
    expect(pts.t[0]).toBeLessThanOrEqual(now - 3500);
    expect(pts.t.at(-1)).toBeGreaterThanOrEqual(now - 15);
    // They are the history's: calls waited during the hour, and the service level moved.
    const hist = await http(`${s.url}/api/v1/stats/series?from=${new Date(clock.now() - 3_600_000).toISOString()}&step=15`, { headers: { authorization: `Bearer ${apiToken}` } });
    expect(hist.status).toBe(200);
    const byT = new Map((hist.body.points as { t: string; waiting: number }[]).map((p) => [Math.floor(Date.parse(p.t) / 1000), p.waiting]));
    const compared = pts.t.filter((t) => byT.has(t));
    expect(compared.length).toBeGreaterThan(200);
    for (const t of compared) expect(pts.waiting[pts.t.indexOf(t)]).toBe(byT.get(t));
    expect(Math.max(...pts.waiting)).toBeGreaterThan(0);
    expect(new Set(pts.sl).size).toBeGreaterThan(3);
    // The last point is the live state.
    expect(pts.waiting.at(-1)).toBe(live.groups.reduce((n, g) => n + g.waiting, 0));
    await page.waitForTimeout(500); // let uPlot draw the filled series before the screenshot
    await shot('live');
  });

  it('shows the same figures in the live tiles and the day view, calls in progress included', async () => {
    const live = await realtime();
    expect(live.groups.some((g) => g.waiting + g.operators.on_call + g.operators.ringing > 0)).toBe(true);
    const tiles = new Map<number, Awaited<ReturnType<typeof tileFigures>>>();
    for (const g of live.groups) {
      await expect.poll(async () => (await tileFigures(g.id)).offered).toBe(String(g.today.offered));
      tiles.set(g.id, await tileFigures(g.id));
    }
    await page.click('nav a[href="#day"]');
    await page.waitForSelector('.day-totals');
    for (const g of live.groups) {
      await page.selectOption('.day-controls label:nth-of-type(2) select', String(g.id));
      await expect.poll(dayFigures, { timeout: 10_000, message: `group ${g.name}` }).toEqual(tiles.get(g.id));
    }
    await shot('day');
  });

  it('keeps the day view in step with the live state while it is open', async () => {
    const group = (await realtime()).groups[0]!;
    await page.selectOption('.day-controls label:nth-of-type(2) select', String(group.id));
    const before = await dayFigures();
    // Ten more minutes of traffic; the day view is open and nobody touches it.
    await publishUntil(clock.now() + 10 * 60_000);
    const after = (await realtime()).groups.find((g) => g.id === group.id)!;
    expect(after.today.offered).toBeGreaterThan(group.today.offered);
    await expect.poll(async () => (await dayFigures()).offered, { timeout: 15_000 }).toBe(String(after.today.offered));
    expect((await dayFigures()).answered).toBe(String(after.today.answered));
    expect(await dayFigures()).not.toEqual(before);
    await page.click('nav a[href="#live"]');
    await page.waitForSelector('.tile[data-group="1"]');
    await expect.poll(async () => (await tileFigures(group.id)).offered).toBe(String(after.today.offered));
  });

  it('logged no page error', () => {
    expect(pageErrors).toEqual([]);
  });
});
