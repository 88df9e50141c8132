// The wallboard in a real browser: Debian's Chromium driven by playwright-core against a
// real server. A supervisor signs in through the form; a call placed and answered moves the
// group's tile and the operator's card; an alert_file shows in the banner; a pause shows
// its label; the board survives a dropped connection; the day view draws the history; a
// token in the URL opens the board without the form. Screenshots go to test-results/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';
import { publishHttp, startTestServer, wsInit, type TestServer } from './helpers/server.ts';
import { WALLBOARD_DIST } from '../src/http/routes/wallboard.ts';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`wallboard-browser: SKIPPED, ${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)`);

const SHOTS = new URL('../test-results/', import.meta.url).pathname;
const ACCOUNT = 3;

// One call's events, in the lawful order of PROTOCOL §5.
const num = (event: string, id_call: number) => ({ type_notification: 'num', event, msg: { id_call, id_num: 31, service: '33820620620', caller_id_num: '33612345678', type_dest: 'GROUPE' } });
const queue = (event: string, id_call: number, extra: object = {}) => ({ type_notification: 'queue', event, msg: { id_call, id_queue: 5, caller_id_num: '33612345678', ...extra } });
const op = (status: string, id_operator: number, extra: object = {}) => ({ type_notification: 'operator', event: 'status', msg: { status, id_operator, ...extra } });
const ui = (event: string, id_operator: number, supp: string | number = '') => ({ type_notification: 'UI', event, msg: { id_operator, supp } });

describe.skipIf(!haveChromium)('wallboard in Chromium', () => {
  let s: TestServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  const publish = async (...events: object[]) => {
    for (const e of events) {
      const r = await publishHttp(s.url, ACCOUNT, e);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
  };
  const tile = (metric: string) => page.locator(`.tile[data-group="5"] [data-metric="${metric}"]`);
  const card = (id: number) => page.locator(`.op[data-operator="${id}"]`);
  const shot = (name: string, p: Page = page) => p.screenshot({ path: `${SHOTS}wallboard-${name}.png` });

  beforeAll(async () => {
    // A fresh clone built the wallboard in `npm install` (prepare); build it if it is missing.
    if (!existsSync(`${WALLBOARD_DIST}index.html`)) execSync('npm run build', { stdio: 'ignore', cwd: new URL('..', import.meta.url).pathname });
    mkdirSync(SHOTS, { recursive: true });
    s = await startTestServer(['acme.json']);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    await publish(ui('login', 8), ui('login', 9));
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

  it('moves the tile and the operator card as a call is placed and answered', async () => {
    await publish(num('start', 500), queue('insert_call', 500, { priority: 1, vip_rate: 1, call_duration: 2, duration_in_queue: 0 }));
    await expect.poll(() => tile('waiting').textContent()).toBe('1');
    expect(await tile('offered').textContent()).toBe('1');
    // The longest wait ticks locally between snapshots.
    const first = await tile('longest').textContent();
    await expect.poll(() => tile('longest').textContent(), { timeout: 3000 }).not.toBe(first);

    await publish(op('ringing', 8, { id_call: 500, id_queue: 5, caller_id_num: '33612345678', service: '33820620620' }));
    await expect.poll(() => card(8).getAttribute('data-state')).toBe('ringing');
    await publish(queue('connect_call', 500, { id_operator: 8, status: 'connected' }), op('connected', 8, { id_call: 500, id_queue: 5, caller_id_num: '33612345678', rec: 0 }));
    await expect.poll(() => card(8).getAttribute('data-state')).toBe('on_call');
    await expect.poll(() => tile('waiting').textContent()).toBe('0');
    expect(await card(8).locator('.op-detail').textContent()).toBe('Sales · 33612345678');
    expect(await tile('available').textContent()).toBe('1/2');
    await shot('call');
  });

  it('shows an alert_file in the banner, and a pause with its label', async () => {
    await publish(num('start', 501), queue('insert_call', 501), { type_notification: 'queue', event: 'alert_file', msg: { id_queue: 5, id_call: 501, duration_in_queue: 95, validity: 120 } });
    const alert = page.locator('.alert[data-alert="alert_file"]');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Sales');
    expect(await alert.textContent()).toContain('1:35');
    await publish(ui('pause', 9, 1));
    await expect.poll(() => card(9).getAttribute('data-state')).toBe('paused');
    expect(await card(9).locator('.op-detail').textContent()).toBe('Lunch');
    await shot('alert');
  });

  it('survives a dropped connection: resumes with since and catches up', async () => {
    s.app.io.disconnectSockets(true);
    await publish(queue('delete_call', 501), num('end', 501));
    await expect.poll(() => tile('waiting').textContent(), { timeout: 10_000 }).toBe('0');
    await expect.poll(() => page.textContent('[data-link]'), { timeout: 10_000 }).toBe('Live');
    expect(await tile('abandoned').textContent()).toBe('1');
    // Call 500 ends: answered once, never twice, whatever the refreshes.
    await publish(queue('delete_call', 500, { duration_in_queue: 4 }), op('available', 8, { id_call: 500, id_queue: 5, catchup: 0 }), num('end', 500));
    await expect.poll(() => card(8).getAttribute('data-state')).toBe('available');
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
