// Security headers in a real browser: each page (labo, wallboard, web-callback page,
// /docs) works in Debian's Chromium under the server's Content-Security-Policy with no
// violation reported (securitypolicyviolation events and console errors are collected);
// frame-ancestors keeps other origins from framing the pages unless they are configured;
// a page of another origin may call the API and the stream only when it is on the CORS list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { haveChromium, launchChromium, openPage, warnIfNoChromium } from './helpers/browser.ts';
import { startTestServer, vmToken, type TestServer } from './helpers/server.ts';
import { signAccount } from '../src/http/routes/callback-link.ts';
import { WALLBOARD_DIST } from '../src/http/routes/pages.ts';

warnIfNoChromium('hygiene-browser');

/** Records every CSP violation of the page, before any of its scripts runs. */
async function watchCsp(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`));
  });
  return async () => {
    const out: string[] = [];
    for (const f of page.frames()) out.push(...(await f.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []).catch(() => [])));
    return out;
  };
}

/** A page of another origin (another port of 127.0.0.1), serving the given HTML at /. */
async function otherOrigin(html: string): Promise<{ url: string; close(): Promise<void> }> {
  const srv: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  // "localhost" is another origin than the server's 127.0.0.1 even on the same port rules.
  return { url: `http://localhost:${port}`, close: () => new Promise((r) => srv.close(() => r())) };
}

describe.skipIf(!haveChromium)('security headers in Chromium', () => {
  let s: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(`${WALLBOARD_DIST}index.html`)) execSync('npm run build', { stdio: 'ignore', cwd: new URL('..', import.meta.url).pathname });
    s = await startTestServer(['acme.json', 'callcenter.json']);
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  /** Opens a fresh page, runs `use`, then checks no CSP violation and no console error happened. */
  async function cleanPage(use: (page: Page) => Promise<void>) {
    const errors: string[] = [];
    const page = await openPage(browser, { width: 1280, height: 800 }, errors);
    const violations = await watchCsp(page);
    try {
      await use(page);
      expect(await violations()).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }

  it('the labo page goes live under its CSP', async () => {
    const token = (await vmToken(s.url, 'api', 'secret2', { user_type: 'api' })).body.id_session as string;
    await cleanPage(async (page) => {
      const res = await page.goto(`${s.url}/labo/index.htm?id_client=3&id_session=${encodeURIComponent(token)}`);
      expect(res!.headers()['content-security-policy']).toContain("script-src 'self'");
      await page.waitForSelector('#state[data-state="live"]', { timeout: 15_000 });
    });
  });

  it('the wallboard signs in, goes live and draws the day view under its CSP', async () => {
    await cleanPage(async (page) => {
      const res = await page.goto(`${s.url}/wallboard/`);
      expect(res!.headers()['content-security-policy']).toContain("default-src 'self'");
      await page.fill('input[name=login]', 'sup');
      await page.fill('input[name=password]', 'secret');
      await page.click('button[type=submit]');
      await page.waitForSelector('.tile[data-group="5"]', { timeout: 15_000 });
      await expect.poll(() => page.textContent('[data-link]'), { timeout: 15_000 }).toBe('Live');
      await page.click('nav a[href="#day"]');
      await page.waitForSelector('.day-chart .uplot', { timeout: 15_000 });
    });
  });

  it('the web-callback page takes a request under its CSP (no inline script or style)', async () => {
    await cleanPage(async (page) => {
      const res = await page.goto(`${s.url}/callback/7?sig=${signAccount('callcenter-callback-secret', 7)}`);
      expect(res!.headers()['content-security-policy']).toContain("script-src 'self'");
      // The stylesheet applied (it is a file now, not an inline <style>).
      expect(await page.$eval('button', (b) => getComputedStyle(b).backgroundColor)).toBe('rgb(43, 108, 176)');
      await page.fill('input[name=e164]', '33633333333');
      await page.click('button');
      await expect.poll(() => page.textContent('#result'), { timeout: 15_000 }).toMatch(/Thank you/);
    });
  });

  it('/docs (Swagger UI) renders the API and opens an operation under its CSP', async () => {
    await cleanPage(async (page) => {
      const res = await page.goto(`${s.url}/docs`);
      // Inline styles for Swagger UI's renderer; scripts stay the server's own files only.
      expect(res!.headers()['content-security-policy']).toContain("frame-ancestors 'self'");
      expect(res!.headers()['content-security-policy']).toMatch(/script-src 'self';/);
      await page.waitForSelector('.swagger-ui .info .title', { timeout: 15_000 });
      expect(await page.textContent('.swagger-ui .info .title')).toContain('Voice Management');
      await page.click('.opblock-summary-path[data-path="/vm/token"]');
      await page.waitForSelector('.opblock-body', { timeout: 15_000 });
    });
  });

  it('another origin cannot frame the wallboard by default', async () => {
    const crm = await otherOrigin(`<!doctype html><iframe id="vm" src="${s.url}/wallboard/"></iframe>`);
    const page = await browser.newPage();
    try {
      await page.goto(crm.url);
      const frame = await (await page.waitForSelector('#vm')).contentFrame();
      // Chromium replaces a refused frame by an error page: the wallboard never loads in it.
      await expect.poll(() => frame!.url(), { timeout: 15_000 }).toMatch(/^chrome-error:/);
    } finally {
      await page.close();
      await crm.close();
    }
  });

  describe('with a CRM origin configured', () => {
    let crm: Awaited<ReturnType<typeof otherOrigin>>;
    let s2: TestServer;
    beforeAll(async () => {
      crm = await otherOrigin('<!doctype html><title>CRM</title>');
      s2 = await startTestServer(['acme.json'], { web: { frameAncestors: ["'self'", crm.url], corsOrigins: [crm.url] } });
      // The CRM page frames the wallboard and calls the API: its HTML is served once the port is known.
    });
    afterAll(async () => {
      await s2?.close();
      await crm?.close();
    });

    it('lets the CRM frame the wallboard, call the API and open the stream', async () => {
      const page = await browser.newPage();
      const violations = await watchCsp(page);
      try {
        await page.goto(crm.url);
        // Framed: the wallboard's sign-in form shows inside the CRM page.
        await page.setContent(`<iframe id="vm" src="${s2.url}/wallboard/" width="800" height="600"></iframe>`);
        const frame = await (await page.waitForSelector('#vm')).contentFrame();
        await frame!.waitForSelector('input[name=login]', { timeout: 15_000 });
        // Cross-origin API call with a preflight (Authorization + JSON): allowed for this origin.
        const basic = Buffer.from('api:secret2').toString('base64');
        const answer = await page.evaluate(
          async ([url, auth]) => {
            const r = await fetch(`${url}/vm/token`, { method: 'POST', headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' }, body: JSON.stringify({ user_type: 'api' }) });
            return { status: r.status, cache: r.headers.get('cache-control'), body: await r.json() };
          },
          [s2.url, basic] as const,
        );
        expect(answer).toMatchObject({ status: 200, cache: 'no-store', body: { id_client: 3, user_type: 'api' } });
        // Socket.IO long-polling handshake from the CRM origin: allowed.
        const poll = await page.evaluate(async (url) => (await fetch(`${url}/socket.io/?EIO=4&transport=polling`)).text(), s2.url);
        expect(poll).toMatch(/"sid"/);
        expect(await violations()).toEqual([]);
      } finally {
        await page.close();
      }
    });

    it('lets the CRM embed the operator toolbar opened with an agent token (?token_session=); an origin not on the list gets an empty frame', async () => {
      const t = await vmToken(s2.url, 'api', 'secret2', { user_type: 'agent', id_operator: 8, keep: 1 });
      expect(t.status, JSON.stringify(t.body)).toBe(200);
      const src = `${s2.url}/operator/?token_session=${encodeURIComponent((t.body as { id_session: string }).id_session)}`;
      const page = await browser.newPage();
      const violations = await watchCsp(page);
      try {
        await page.goto(crm.url);
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.setContent(`<iframe id="vm" src="${src}" width="800" height="600"></iframe>`);
        const frame = await (await page.waitForSelector('#vm')).contentFrame();
        // This browser context blocks third-party storage, as many do: the toolbar works without it.
        await frame!.waitForSelector('.toolbar', { timeout: 15_000 });
        expect(await frame!.textContent('.who')).toBe('Alice Martin');
        // Signed in and following its stream inside the frame.
        await expect.poll(() => frame!.textContent('.link'), { timeout: 15_000 }).toBe('Live');
        expect(await violations()).toEqual([]);
        expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
      const stranger = await otherOrigin(`<!doctype html><iframe id="vm" src="${src}"></iframe>`);
      const other = await browser.newPage();
      try {
        await other.goto(stranger.url);
        const frame = await (await other.waitForSelector('#vm')).contentFrame();
        await expect.poll(() => frame!.url(), { timeout: 15_000 }).toMatch(/^chrome-error:/);
        expect(await frame!.locator('.toolbar').count()).toBe(0);
      } finally {
        await other.close();
        await stranger.close();
      }
    });

    it('refuses the same calls from an origin not on the list', async () => {
      const stranger = await otherOrigin('<!doctype html><title>elsewhere</title>');
      // Same host name as the CRM (localhost) but another port: another origin.
      const page = await browser.newPage();
      try {
        await page.goto(stranger.url);
        const outcome = await page.evaluate(async (url) => {
          const tryFetch = async (u: string, init?: RequestInit) => {
            try {
              await fetch(u, init);
              return 'read';
            } catch {
              return 'blocked';
            }
          };
          return {
            token: await tryFetch(`${url}/vm/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
            poll: await tryFetch(`${url}/socket.io/?EIO=4&transport=polling`),
          };
        }, s2.url);
        expect(outcome).toEqual({ token: 'blocked', poll: 'blocked' });
      } finally {
        await page.close();
        await stranger.close();
      }
    });
  });
});
