// The demo page (PROTOCOL §6) in a real browser: Debian's Chromium driven by playwright-core
// against a real server. It goes live with an api token from the URL, shows published
// events with their cpt, filters by type, pauses and resumes, and shows a refusal.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { haveChromium, useServerAndPage, warnIfNoChromium } from './helpers/browser.ts';
import { publishHttp, uiLogin, vmToken } from './helpers/server.ts';

warnIfNoChromium('labo-browser');

const queueInsert = (id_call: number) => ({
  type_notification: 'queue',
  event: 'insert_call',
  msg: { id_call, id_queue: 5, caller_id_num: '33612345678', priority: 1 },
});

describe.skipIf(!haveChromium)('labo page in Chromium', () => {
  const ui = useServerAndPage(['acme.json'], { width: 1200, height: 700 });

  const rowCpts = () => ui.page.$$eval('#events tr', (trs) => trs.map((tr) => Number((tr as HTMLElement).dataset.cpt)));
  const visibleCpts = () =>
    ui.page.$$eval('#events tr', (trs) => trs.filter((tr) => !(tr as HTMLElement).hidden && (tr as HTMLElement).offsetParent !== null).map((tr) => Number((tr as HTMLElement).dataset.cpt)));

  it('goes live, shows events with their cpt, filters, pauses and resumes', async () => {
    const { s, page, pageErrors } = ui;
    // Some history before the page opens: the page shows the live stream from now on.
    expect((await publishHttp(s.url, 3, uiLogin(8))).body).toEqual({ cpt: 1 });
    // A token from 127.0.0.1, and the browser on http://127.0.0.1:port: the same client IP.
    const token = await vmToken(s.url, 'api', 'secret2', { user_type: 'api' });
    expect(token.status).toBe(200);
    await page.goto(`${s.url}/labo/index.htm?id_client=3&id_session=${encodeURIComponent(token.body.id_session)}`);
    await page.waitForSelector('#state[data-state="live"]', { timeout: 10_000 });
    expect(await page.textContent('#state')).toMatch(/live/);
    expect(await page.textContent('#account')).toContain('3');

    // Published events appear, newest first, with their cpt, type and event.
    expect((await publishHttp(s.url, 3, uiLogin(9))).body).toEqual({ cpt: 2 });
    expect((await publishHttp(s.url, 3, queueInsert(1001))).body).toEqual({ cpt: 3 });
    await page.waitForFunction(() => document.querySelectorAll('#events tr').length >= 2);
    expect(await rowCpts()).toEqual([3, 2]);
    const cells = await page.$$eval('#events tr:first-child td', (tds) => tds.map((td) => td.textContent));
    expect(cells[0]).toBe('3');
    expect(cells[2]).toBe('queue');
    expect(cells[3]).toBe('insert_call');
    expect(cells[4]).toContain('"id_call":1001');
    expect(await page.textContent('#counts')).toMatch(/2 events.*cpt 3/);

    // Untick "UI": the UI row hides, the queue row stays; tick it again: back.
    await page.uncheck('#filters input[value="UI"]');
    expect(await visibleCpts()).toEqual([3]);
    await page.check('#filters input[value="UI"]');
    expect(await visibleCpts()).toEqual([3, 2]);
    // A filtered type stays hidden for events that arrive later.
    await page.uncheck('#filters input[value="queue"]');
    await publishHttp(s.url, 3, queueInsert(1002)); // cpt 4
    await publishHttp(s.url, 3, uiLogin(8)); // cpt 5
    await page.waitForFunction(() => document.querySelectorAll('#events tr').length >= 4);
    expect(await rowCpts()).toEqual([5, 4, 3, 2]);
    expect(await visibleCpts()).toEqual([5, 2]);
    await page.check('#filters input[value="queue"]');

    // Pause: new events are held, not shown; resume shows them, in order.
    await page.click('#pause');
    await publishHttp(s.url, 3, uiLogin(9)); // cpt 6
    await publishHttp(s.url, 3, queueInsert(1003)); // cpt 7
    await page.waitForFunction(() => /\(2\)/.test(document.querySelector('#pause')!.textContent ?? ''));
    expect(await page.textContent('#pause')).toMatch(/Resume \(2\)/);
    expect(await rowCpts()).toEqual([5, 4, 3, 2]);
    await page.click('#pause');
    expect(await page.textContent('#pause')).toBe('Pause');
    expect(await rowCpts()).toEqual([7, 6, 5, 4, 3, 2]);
    expect(await page.textContent('#counts')).toMatch(/6 events.*cpt 7/);

    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/labo.png', fullPage: true });
    expect(existsSync('test-results/labo.png')).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('resumes after the connection drops, without losing or repeating events', async () => {
    const { s, page } = ui;
    const before = await rowCpts();
    const last = before[0]!;
    // Cut every socket from the server side; the page reconnects and resumes with since.
    s.app.io.disconnectSockets();
    await page.waitForSelector('#state:not([data-state="live"])', { timeout: 5_000 });
    await publishHttp(s.url, 3, uiLogin(8));
    await publishHttp(s.url, 3, uiLogin(9));
    await page.waitForSelector('#state[data-state="live"]', { timeout: 15_000 });
    await publishHttp(s.url, 3, uiLogin(8));
    await page.waitForFunction((n) => document.querySelectorAll('#events tr').length >= n, before.length + 3);
    expect(await rowCpts()).toEqual([last + 3, last + 2, last + 1, ...before]);
  });

  it('resumes from where it went live even when it had received nothing yet', async () => {
    const { s, browser } = ui;
    const token = (await vmToken(s.url, 'api', 'secret2', { user_type: 'api' })).body.id_session as string;
    const p = await browser.newPage();
    try {
      await p.goto(`${s.url}/labo/index.htm?id_client=3&id_session=${encodeURIComponent(token)}`);
      await p.waitForSelector('#state[data-state="live"]', { timeout: 10_000 });
      s.app.io.disconnectSockets();
      await p.waitForSelector('#state:not([data-state="live"])', { timeout: 5_000 });
      const { cpt } = (await publishHttp(s.url, 3, uiLogin(9))).body as { cpt: number };
      await p.waitForSelector(`#events tr[data-cpt="${cpt}"]`, { timeout: 15_000 });
      expect(await p.$$eval('#events tr', (trs) => trs.map((tr) => Number((tr as HTMLElement).dataset.cpt)))).toEqual([cpt]);
    } finally {
      await p.close();
    }
  });

  it('shows a refused token as an error that stays', async () => {
    const { s, browser } = ui;
    const p = await browser.newPage();
    try {
      await p.goto(`${s.url}/labo/index.htm?id_client=3&id_session=not-a-token`);
      await p.waitForSelector('#state[data-state="error"]', { timeout: 10_000 });
      expect(await p.textContent('#error')).toContain('TOKEN_INVALID');
      // The server closes the socket after init_error: the page must keep saying why.
      await p.waitForTimeout(300);
      expect(await p.getAttribute('#state', 'data-state')).toBe('error');
      expect(await p.isVisible('#error')).toBe(true);
    } finally {
      await p.close();
    }
  });

  it('explains what to do when the URL has no token', async () => {
    const { s, browser } = ui;
    const p = await browser.newPage();
    try {
      await p.goto(`${s.url}/labo/index.htm`);
      await p.waitForSelector('#state[data-state="error"]');
      expect(await p.textContent('#error')).toMatch(/id_client=.*id_session=/);
    } finally {
      await p.close();
    }
  });
});
