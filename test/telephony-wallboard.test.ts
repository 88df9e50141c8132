// A real SIP call on the wallboard, in Chromium: sipp as the carrier calls the Sales line,
// the operator's phone (sipp at the gateway) rings for a while, answers, and the caller
// hangs up. The board shows it exactly as it shows a simulated or API-placed call: the
// operator's card goes ringing → on call → available, and the group tile counts the call
// offered and answered. Screenshots: test-results/telephony-wallboard-*.png.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { haveChromium, launchChromium, openPage, warnIfNoChromium } from './helpers/browser.ts';
import { ADMIN_TOKEN, http, startTestServer, wsInit, type TestServer } from './helpers/server.ts';
import { explain, freePort, killSipps, startSipp } from './helpers/sipp.ts';
import { WALLBOARD_DIST } from '../src/http/routes/pages.ts';

warnIfNoChromium('telephony-wallboard');

const SHOTS = new URL('../test-results/', import.meta.url).pathname;
const scenarios = mkdtempSync(join(tmpdir(), 'vm-wb-sipp-'));
afterAll(() => rmSync(scenarios, { recursive: true, force: true }));
afterEach(() => killSipps());

function scenarioFile(name: string, values: Record<string, string | number>): string {
  let text = readFileSync(new URL(`./sipp/${name}.xml`, import.meta.url), 'utf8');
  for (const [k, v] of Object.entries(values)) text = text.replaceAll(`{{${k}}}`, String(v));
  const file = join(scenarios, `${name}.xml`);
  writeFileSync(file, text);
  return file;
}

describe.skipIf(!haveChromium)('a SIP call on the wallboard', () => {
  let s: TestServer;
  let browser: Browser;
  let page: Page;
  let gw: number;
  const pageErrors: string[] = [];
  const card = (id: number) => page.locator(`.op[data-operator="${id}"]`);
  const tile = (metric: string) => page.locator(`.tile[data-group="711"] [data-metric="${metric}"]`);

  beforeAll(async () => {
    if (!existsSync(`${WALLBOARD_DIST}index.html`)) execSync('npm run build', { stdio: 'ignore', cwd: new URL('..', import.meta.url).pathname });
    mkdirSync(SHOTS, { recursive: true });
    gw = await freePort();
    s = await startTestServer(['phones.json'], {
      telephony: { sip: { host: '127.0.0.1', port: 0 }, trust: ['127.0.0.1/32'], media: 'node', rtpPorts: { min: 29_000, max: 29_199 }, gateway: `sip:127.0.0.1:${gw}` },
    });
    const login = await http(`${s.url}/api/v1/accounts/71/operators/7101/login`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(login.status).toBe(200);
    browser = await launchChromium();
    page = await openPage(browser, { width: 1600, height: 900 }, pageErrors);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('shows the call ringing, on call, then done (offered 1, answered 1)', async () => {
    const sup = await wsInit(s.url, 'phones-sup', 'phones-sup-secret');
    expect(sup.status).toBe(200);
    await page.goto(`${s.url}/wallboard/?id_session=${encodeURIComponent(sup.body.id_session)}&target=${sup.body.target}`);
    await page.waitForSelector('.tile[data-group="711"]');
    await expect.poll(() => card(7101).getAttribute('data-state')).toBe('available');
    // The phone rings 2 s before it answers (the group's ring timeout is 4 s); the caller talks 6 s, then hangs up.
    const phone = await startSipp({ scenario: scenarioFile('e2e-operator', { ring: 2000 }), localPort: gw, timeoutMs: 40_000 });
    const sip = s.app.telephony!.address();
    const caller = await startSipp({ scenario: scenarioFile('e2e-caller', { dtmf: 1, before_dtmf: 100, talk: 6000 }), target: `${sip.host}:${sip.port}`, service: '33100000072', keys: { caller: '33614141414' }, timeoutMs: 40_000 });
    await expect.poll(() => card(7101).getAttribute('data-state'), { timeout: 15_000 }).toBe('ringing');
    await page.screenshot({ path: `${SHOTS}telephony-wallboard-ringing.png` });
    await expect.poll(() => card(7101).getAttribute('data-state'), { timeout: 15_000 }).toBe('on_call');
    await page.screenshot({ path: `${SHOTS}telephony-wallboard-connected.png` });
    const c = await caller.done;
    expect(c.code, explain(c)).toBe(0);
    const p = await phone.done;
    expect(p.code, explain(p)).toBe(0);
    await expect.poll(() => card(7101).getAttribute('data-state'), { timeout: 15_000 }).not.toBe('on_call');
    await expect.poll(() => tile('answered').textContent(), { timeout: 15_000 }).toBe('1');
    expect(await tile('offered').textContent()).toBe('1');
    await page.screenshot({ path: `${SHOTS}telephony-wallboard-done.png` });
  }, 90_000);

  it('logged no page error', () => {
    expect(pageErrors.filter((e) => !/401|Unauthorized/.test(e))).toEqual([]);
  });
});
