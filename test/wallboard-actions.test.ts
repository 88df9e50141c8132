// A supervisor's actions from the wallboard's operator cards, in a real browser (Debian's
// Chromium, playwright-core) against a real server: the supervisor pauses Ana for a reason
// from her card (keyboard reachable; the card turns paused with that reason when the stream
// says so, and Ana's own toolbar shows the pause), ends the pause, suspends and unsuspends
// her in one group, sees a refusal's sentence, logs her out after confirming; the recent
// actions list shows the audit. A supervisor of one group is offered that group only; an
// API token gets no action. Screenshots at laptop and phone widths go to
// /tmp/vm-supervisor-shots/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execSync } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { haveChromium, launchChromium, openPage, warnIfNoChromium } from './helpers/browser.ts';
import { accountPost, startTestServer, vmToken, wsInit, type TestServer } from './helpers/server.ts';
import { OPERATOR_DIST, WALLBOARD_DIST } from '../src/http/routes/pages.ts';

warnIfNoChromium('wallboard-actions');

const ACCOUNT = 13;
const ANA = 132;
const BOB = 133;
const SHOTS = '/tmp/vm-supervisor-shots/';
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

describe.skipIf(!haveChromium)('wallboard: a supervisor acts on operators', () => {
  let s: TestServer;
  let browser: Browser;
  let page: Page;
  let toolbar: Page;
  const pageErrors: string[] = [];

  const platform = async (path: string, body?: object) => {
    const r = await accountPost(s.url, ACCOUNT, path, body);
    expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(200);
  };
  const card = (id: number, p: Page = page) => p.locator(`.op[data-operator="${id}"]`);
  const dialog = (p: Page = page) => p.locator('dialog.op-dialog');
  const openActions = async (id: number, p: Page = page) => {
    await card(id, p).locator('.op-actions').click();
    await dialog(p).waitFor();
  };
  /** The page at both widths (the dialog stays open across the resize); `fullPage`: all of it, scrolled. */
  const shots = async (name: string, p: Page = page, fullPage = false) => {
    for (const [w, vp] of [['laptop', LAPTOP], ['phone', PHONE]] as const) {
      await p.setViewportSize(vp);
      await p.screenshot({ path: join(SHOTS, `wallboard-${name}-${w}.png`), fullPage });
    }
    await p.setViewportSize(LAPTOP);
  };
  /** Page errors but the console lines of the refusals the pages show (409: a refused action; 404: the toolbar's SOFTPHONE_OFF). */
  const scriptErrors = () => pageErrors.filter((e) => !/^Failed to load resource: the server responded with a status of 40[49]\b/.test(e));

  beforeAll(async () => {
    const root = new URL('..', import.meta.url).pathname;
    if (!existsSync(`${WALLBOARD_DIST}index.html`)) execSync('npm run build:wallboard', { stdio: 'ignore', cwd: root });
    if (!existsSync(`${OPERATOR_DIST}index.html`)) execSync('npm run build:operator', { stdio: 'ignore', cwd: root });
    mkdirSync(SHOTS, { recursive: true });
    s = await startTestServer(['supervise.json']);
    await platform(`/operators/${BOB}/login`);
    browser = await launchChromium();
    page = await openPage(browser, LAPTOP, pageErrors);
    toolbar = await openPage(browser, { width: 390, height: 844 }, pageErrors);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('the supervisor signs in; Ana signs in to her toolbar', async () => {
    await page.goto(`${s.url}/wallboard`);
    await page.fill('input[name=login]', 'sup');
    await page.fill('input[name=password]', 'sup-secret');
    await page.click('button[type=submit]');
    await card(ANA).waitFor();
    await expect.poll(() => page.locator('.board').getAttribute('data-supervision')).toBe('supervisor');
    expect(await page.locator('.op-actions').count()).toBe(2);
    expect(await card(ANA).locator('.op-actions').getAttribute('aria-label')).toBe('Actions for Ana Lopez');

    await toolbar.goto(`${s.url}/operator`);
    await toolbar.fill('input[name=login]', 'ana');
    await toolbar.fill('input[name=password]', 'ana-secret');
    await toolbar.click('button[type=submit]');
    await toolbar.waitForSelector('.toolbar');
    await toolbar.click('text=Log in');
    await expect.poll(() => toolbar.locator('.badge').getAttribute('data-state')).toBe('available');
    await expect.poll(() => card(ANA).getAttribute('data-state')).toBe('available');
  });

  it('opens the actions from the keyboard; Escape closes them and gives the focus back', async () => {
    await card(ANA).locator('.op-actions').focus();
    await page.keyboard.press('Enter');
    await dialog().waitFor();
    expect(await page.evaluate(() => document.activeElement?.closest('dialog') !== null)).toBe(true);
    expect(await dialog().locator('[data-pause]').allTextContents()).toEqual(['Lunch', 'Training']);
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog().count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Actions for Ana Lopez');
  });

  it('pauses Ana for Training: her card and her toolbar show it; then ends the pause', async () => {
    await openActions(ANA);
    await shots('actions');
    await dialog().locator('[data-pause="2"]').click();
    await expect.poll(() => dialog().count()).toBe(0);
    await expect.poll(() => card(ANA).getAttribute('data-state')).toBe('paused');
    expect(await card(ANA).locator('.op-detail').textContent()).toBe('Training');
    // Ana's toolbar follows her stream: the pause the supervisor forced, with its reason.
    await expect.poll(() => toolbar.locator('.badge').getAttribute('data-state')).toBe('paused');
    expect(await toolbar.textContent('.pause-label')).toBe('Training');
    await toolbar.screenshot({ path: join(SHOTS, 'operator-forced-pause-phone.png') });

    // A toolbar opened during the forced pause starts from it (the snapshot), reason and all.
    const late = await openPage(browser, PHONE, pageErrors);
    try {
      const token = (await wsInit(s.url, 'ana', 'ana-secret', { accountType: 'operator' })).body.id_session as string;
      await late.goto(`${s.url}/operator/?token_session=${encodeURIComponent(token)}`);
      await expect.poll(() => late.locator('.badge').getAttribute('data-state')).toBe('paused');
      expect(await late.textContent('.pause-label')).toBe('Training');
    } finally {
      await late.close();
    }

    await openActions(ANA);
    expect(await dialog().locator('[data-pause]').count()).toBe(0);
    await dialog().locator('[data-action="unpause"]').click();
    await expect.poll(() => card(ANA).getAttribute('data-state')).toBe('available');
    await expect.poll(() => toolbar.locator('.badge').getAttribute('data-state')).toBe('available');
  });

  it('suspends Ana in Support, then lifts it', async () => {
    await openActions(ANA);
    expect(await dialog().locator('[data-group]').evaluateAll((bs) => bs.map((b) => `${b.getAttribute('data-group')} ${b.getAttribute('data-action')}`))).toEqual(['130 suspend', '131 suspend']);
    await dialog().locator('[data-group="131"]').click();
    await expect.poll(() => card(ANA).locator('.op-flags').textContent()).toBe('Suspended in Support');
    // Support's tile counts Bob only meanwhile; Sales still counts Ana.
    const available = (g: number) => page.locator(`.tile[data-group="${g}"] [data-metric="available"]`).textContent();
    await expect.poll(() => available(131)).toBe('1/1');
    expect(await available(130)).toBe('1/1');
    await openActions(ANA);
    expect(await dialog().locator('[data-group="131"]').getAttribute('data-action')).toBe('unsuspend');
    await shots('suspended');
    await dialog().locator('[data-group="131"]').click();
    await expect.poll(() => card(ANA).locator('.op-flags').count()).toBe(0);
    await expect.poll(() => available(131)).toBe('2/2');
  });

  it("shows the server's sentence when it refuses, and logs out after a confirmation", async () => {
    await openActions(BOB);
    await dialog().locator('[data-action="logout"]').click();
    const confirm = dialog().getByRole('button', { name: 'Log out Bob Martin' });
    await confirm.waitFor();
    // Bob logs out meanwhile (his toolbar): the supervisor's logout is refused with the reason.
    await platform(`/operators/${BOB}/logout`);
    await expect.poll(() => card(BOB).getAttribute('data-state')).toBe('logged_out');
    await confirm.click();
    await expect.poll(() => dialog().getByRole('alert').textContent()).toMatch(/The operator is not logged in\. \(OPERATOR_LOGGED_OUT\)$/);
    await shots('refused');
    await dialog().getByRole('button', { name: 'Close' }).click();

    await platform(`/operators/${BOB}/login`);
    await expect.poll(() => card(BOB).getAttribute('data-state')).toBe('available');
    await openActions(BOB);
    await dialog().locator('[data-action="logout"]').click();
    await dialog().getByRole('button', { name: 'Log out Bob Martin' }).click();
    await expect.poll(() => card(BOB).getAttribute('data-state')).toBe('logged_out');
  });

  it('lists the recent actions from the audit, refusals marked', async () => {
    const items = page.locator('.recent li');
    await expect.poll(() => items.count()).toBe(8);
    // Newest first; Ana's own login (her toolbar) is not an action on her by someone else.
    const text = (await items.allTextContents()).map((t) => t.replace(/^\d\d:\d\d:\d\d /, ''));
    expect(text).toEqual([
      'sup logged out Bob Martin',
      'Admin token logged in Bob Martin',
      'sup logged out Bob Martin — refused: OPERATOR_LOGGED_OUT',
      'Admin token logged out Bob Martin',
      'sup unsuspended Ana Lopez in Support',
      'sup suspended Ana Lopez in Support',
      'sup ended the pause of Ana Lopez',
      'sup paused Ana Lopez (Training)',
    ]);
    await shots('recent', page, true);
  });

  it('a supervisor of Sales is offered Sales only; an API token no action at all', async () => {
    const sales = await wsInit(s.url, 'sales', 'sales-secret');
    const p = await openPage(browser, LAPTOP, pageErrors);
    try {
      await p.goto(`${s.url}/wallboard/?id_session=${encodeURIComponent(sales.body.id_session)}&target=${sales.body.target}`);
      await card(ANA, p).waitFor();
      await expect.poll(() => p.locator('.board').getAttribute('data-supervision')).toBe('supervisor');
      // Bob is in Support only: not on this board, no action on him.
      expect(await card(BOB, p).count()).toBe(0);
      await openActions(ANA, p);
      expect(await dialog(p).locator('[data-group]').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-group')))).toEqual(['130']);
      await dialog(p).getByRole('button', { name: 'Close' }).click();
      // Its recent actions: about Ana (in Sales), not Bob.
      await expect.poll(() => p.locator('.recent li').count()).toBeGreaterThan(0);
      expect((await p.locator('.recent li').allTextContents()).filter((t) => t.includes('Bob'))).toEqual([]);
    } finally {
      await p.close();
    }

    const api = await vmToken(s.url, 'supervise-api', 'api-secret', { user_type: 'api' });
    const q = await openPage(browser, LAPTOP, pageErrors);
    try {
      await q.goto(`${s.url}/wallboard/?id_session=${encodeURIComponent(api.body.id_session)}&id_client=${ACCOUNT}`);
      await card(ANA, q).waitFor();
      await expect.poll(() => q.locator('.board').getAttribute('data-supervision')).toBe('none');
      expect(await q.locator('.op-actions').count()).toBe(0);
      expect(await q.locator('.recent').count()).toBe(0);
    } finally {
      await q.close();
    }
  });

  it('logged no page error', () => {
    expect(scriptErrors()).toEqual([]);
  });
});
