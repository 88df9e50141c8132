// The wallboard in a real browser: Debian's Chromium driven by playwright-core against a
// real server. A supervisor signs in through the form; calls placed and answered through
// the call-control API move the group's tile and the operator's card; a pause shows its
// label; an alert_file shows in the banner; the board survives a dropped connection; the
// day view draws the history; a token in the URL opens the board without the form.
// Screenshots go to test-results/wallboard-*.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { execSync } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { haveChromium, launchChromium, openPage, warnIfNoChromium } from './helpers/browser.ts';
import { accountPost, http, publishHttp, startTestServer, wsInit, type TestServer } from './helpers/server.ts';
import { WALLBOARD_DIST } from '../src/http/routes/pages.ts';

warnIfNoChromium('wallboard-browser');

const SHOTS = new URL('../test-results/', import.meta.url).pathname;
const ACCOUNT = 3;

describe.skipIf(!haveChromium)('wallboard in Chromium', () => {
  let s: TestServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  /** The call-control API (telephony and operator toolbar), as the admin. */
  const control = async (path: string, body?: object) => {
    const r = await accountPost(s.url, ACCOUNT, path, body);
    expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(200);
    return r.body as { ok: true; id_call?: number };
  };
  const placeCall = async () => (await control('/calls', { service: '33820620620', caller: '33612345678' })).id_call!;
  const tile = (metric: string) => page.locator(`.tile[data-group="5"] [data-metric="${metric}"]`);
  const card = (id: number) => page.locator(`.op[data-operator="${id}"]`);
  const shot = (name: string, p: Page = page) => p.screenshot({ path: `${SHOTS}wallboard-${name}.png` });

  beforeAll(async () => {
    // A fresh clone built the wallboard in `npm install` (prepare); build it if it is missing.
    if (!existsSync(`${WALLBOARD_DIST}index.html`)) execSync('npm run build', { stdio: 'ignore', cwd: new URL('..', import.meta.url).pathname });
    mkdirSync(SHOTS, { recursive: true });
    s = await startTestServer(['acme.json']);
    browser = await launchChromium();
    page = await openPage(browser, { width: 1920, height: 1080 }, pageErrors);
    await control('/operators/8/login');
    await control('/operators/9/login');
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('signs in through the form and shows the groups and operators', async () => {
    await page.goto(`${s.url}/wallboard`);
    await page.fill('input[name=login]', 'sup');
    await page.fill('input[name=password]', 'wrong');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('.login .error')).toMatch(/incorrect/i);
    await page.fill('input[name=password]', 'secret');
    await shot('login');
    await page.click('button[type=submit]');
    await page.waitForSelector('.tile[data-group="5"]');
    expect(await page.textContent('.tile[data-group="5"] h2')).toBe('Sales');
    expect(await page.textContent('.tile[data-group="6"] h2')).toBe('Support');
    await expect.poll(() => page.textContent('[data-link]')).toBe('Live');
    expect(await tile('waiting').textContent()).toBe('0');
    expect(await tile('available').textContent()).toBe('2/2');
    expect(await card(8).getAttribute('data-state')).toBe('available');
    expect(await card(8).locator('.op-name').textContent()).toBe('Alice Martin');
  });

  it('moves the tile and the operator cards as a call is placed and answered', async () => {
    // Bob takes a pause: his card shows the pause's label from the directory.
    await control('/operators/9/pause', { pause: 1 });
    await expect.poll(() => card(9).getAttribute('data-state')).toBe('paused');
    expect(await card(9).locator('.op-detail').textContent()).toBe('Lunch');

    await placeCall();
    await expect.poll(() => tile('waiting').textContent()).toBe('1');
    expect(await tile('offered').textContent()).toBe('1');
    await expect.poll(() => card(8).getAttribute('data-state')).toBe('ringing');
    // The longest wait ticks locally between snapshots.
    const first = await tile('longest').textContent();
    await expect.poll(() => tile('longest').textContent(), { timeout: 3000 }).not.toBe(first);

    await control('/operators/8/answer');
    await expect.poll(() => card(8).getAttribute('data-state')).toBe('on_call');
    await expect.poll(() => tile('waiting').textContent()).toBe('0');
    expect(await card(8).locator('.op-detail').textContent()).toBe('Sales · 33612345678');
    expect(await tile('available').textContent()).toBe('0/2');
    await shot('call');
  });

  it('shows an alert_file in the banner', async () => {
    const r = await publishHttp(s.url, ACCOUNT, { type_notification: 'queue', event: 'alert_file', msg: { id_queue: 5, id_call: 999, duration_in_queue: 95, validity: 120 } });
    expect(r.status).toBe(200);
    const alert = page.locator('.alert[data-alert="alert_file"]');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Sales');
    expect(await alert.textContent()).toContain('1:35');
    await shot('alert');
  });

  it('survives a dropped connection: resumes with since and catches up', async () => {
    s.app.io.disconnectSockets(true);
    // Alice is on call and Bob paused: this call waits, then its caller gives up.
    const callB = await placeCall();
    await expect.poll(() => tile('waiting').textContent(), { timeout: 10_000 }).toBe('1');
    await expect.poll(() => page.textContent('[data-link]'), { timeout: 10_000 }).toBe('Live');
    await control(`/calls/${callB}/hangup`);
    await expect.poll(() => tile('abandoned').textContent()).toBe('1');
    expect(await tile('waiting').textContent()).toBe('0');
    // Alice hangs up call A: answered once, never twice, whatever the refreshes.
    await control('/operators/8/hangup');
    await expect.poll(() => card(8).getAttribute('data-state')).toMatch(/^(available|wrapup)$/);
    expect(await tile('answered').textContent()).toBe('1');
    expect(await tile('offered').textContent()).toBe('2');
    await shot('live');
  });

  it('draws the day view from /api/v1/stats', async () => {
    await s.app.services.stats.flush();
    await page.click('nav a[href="#day"]');
    await page.waitForSelector('.day-operators td');
    await expect.poll(() => page.locator('.day-totals b').first().textContent()).toBe('2');
    await expect.poll(() => page.locator('.day-operators tbody').textContent()).toContain('Alice Martin');
    expect(await page.locator('.day-chart .uplot').count()).toBe(2);
    await shot('day');
    await page.click('nav a[href="#live"]');
    await page.waitForSelector('.tile[data-group="5"]');
  });

  it('fits a laptop screen', async () => {
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.waitForTimeout(300);
    // No horizontal scrolling on a laptop.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth)).toBe(true);
    await shot('laptop');
  });

  it('opens with a supervisor token in the URL, and keeps it across a reload', async () => {
    const login = await wsInit(s.url, 'sup', 'secret');
    expect(login.status).toBe(200);
    const p = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await p.goto(`${s.url}/wallboard/?id_session=${encodeURIComponent(login.body.id_session)}&target=${login.body.target}`);
      await p.waitForSelector('.tile[data-group="5"]');
      expect(p.url()).not.toContain('id_session'); // the token leaves the address bar
      expect(await p.locator('.tile[data-group="5"] [data-metric="answered"]').textContent()).toBe('1');
      await p.reload();
      await p.waitForSelector('.tile[data-group="5"]');
      await p.goto(`${s.url}/wallboard/?id_session=nope&target=12`);
      await expect.poll(() => p.textContent('.login .error')).toMatch(/refused/);
    } finally {
      await p.close();
    }
  });

  it('logged no page error', () => {
    expect(pageErrors.filter((e) => !/401|Unauthorized/.test(e))).toEqual([]);
  });
});
