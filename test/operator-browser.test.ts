// The operator toolbar in a real browser: Debian's Chromium driven by playwright-core against
// a real server. An operator signs in through the form (a wrong password shows the server's
// message), logs in, pauses with a reason (the stream carries UI/pause with it, the toolbar
// its label), resumes; a call posted into the engine rings the toolbar with its caller; Answer
// (no softphone here: the REST answer), Hold, Resume, Hang up, the wrap-up's countdown, a
// disposition that reaches the history, the end of the wrap-up; a CRM's agent token in the
// URL (?token_session=) opens the toolbar signed in, in the operator's language, and
// ?fiche_num= dials; an AUTO callback counts down and dials by itself; an operator's screen
// pop opens as the call rings. Screenshots of the states at laptop and phone widths go to a temp dir
// (printed), named operator-<state>-<width>.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execSync } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { haveChromium, launchChromium, openPage, warnIfNoChromium } from './helpers/browser.ts';
import { accountPost, http, startTestServer, vmToken, wsInit, type TestServer } from './helpers/server.ts';
import { connect, type TestClient } from './helpers/clients.ts';
import { until } from './helpers/until.ts';
import { OPERATOR_DIST } from '../src/http/routes/pages.ts';

warnIfNoChromium('operator-browser');

const ACCOUNT = 12;
const ANA = 121;
const LEA = 122;
const SHOTS = mkdtempSync(join(tmpdir(), 'vm-operator-shots-'));
/** The caller's information and the queue counts, kept where the task's review looks. */
const SHOTS_TASK = '/tmp/vm-toolbar2-shots';
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

/** The page at both widths, into `dir` as operator-<name>-<width>.png. */
async function screenshots(p: Page, dir: string, name: string): Promise<void> {
  for (const [w, vp] of [['laptop', LAPTOP], ['phone', PHONE]] as const) {
    await p.setViewportSize(vp);
    await p.screenshot({ path: join(dir, `operator-${name}-${w}.png`), fullPage: true });
  }
  await p.setViewportSize(LAPTOP);
}

/** A page's errors but the console lines of the refusals it shows (the 401 of a wrong password, the 404 SOFTPHONE_OFF). */
const scriptErrorsIn = (errors: string[]) => errors.filter((e) => !/^Failed to load resource: the server responded with a status of 40[14]\b/.test(e));

describe.skipIf(!haveChromium)('operator toolbar in Chromium', () => {
  let s: TestServer;
  let browser: Browser;
  let page: Page;
  let stream: TestClient;
  /** The supervisor's token (reads GET /api/v1/realtime). */
  let supToken: string;
  const pageErrors: string[] = [];

  /** The platform drives the engine (as the telephony side would). */
  const platform = async (path: string, body?: object) => {
    const r = await accountPost(s.url, ACCOUNT, path, body);
    expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(200);
    return r.body as { ok: true; id_call?: number };
  };
  const scriptErrors = () => scriptErrorsIn(pageErrors);
  const status = () => page.locator('.badge').getAttribute('data-state');
  const shots = (name: string, p: Page = page) => screenshots(p, SHOTS, name);
  /** The stream event of the supervisor's stream matching `pick`. */
  const streamed = (pick: (type: string, event: string, msg: Record<string, unknown>) => boolean) =>
    until('the event on the stream', () => stream.updates.find((u) => pick(u.event.type_notification, u.event.event, u.event.msg as unknown as Record<string, unknown>)));

  beforeAll(async () => {
    // A fresh clone built the toolbar in `npm install` (prepare); build it if it is missing.
    if (!existsSync(`${OPERATOR_DIST}index.html`)) execSync('npm run build:operator', { stdio: 'ignore', cwd: new URL('..', import.meta.url).pathname });
    s = await startTestServer(['toolbar.json']);
    const sup = await wsInit(s.url, 'toolbar-sup', 'sup-secret');
    supToken = sup.body.id_session;
    stream = connect(s.url);
    expect(await stream.init('supervisor', 124, sup.body.id_session)).toMatchObject({ ok: true });
    browser = await launchChromium();
    page = await openPage(browser, LAPTOP, pageErrors);
    mkdirSync(SHOTS_TASK, { recursive: true });
    console.log(`operator-browser: screenshots in ${SHOTS}`);
  }, 60_000);
  afterAll(async () => {
    stream?.close();
    await browser?.close();
    await s?.close();
  });

  it('signs in through the form: a wrong password shows the server’s message', async () => {
    await page.goto(`${s.url}/operator`);
    await page.fill('input[name=login]', 'ana');
    await page.fill('input[name=password]', 'wrong');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('.signin .error')).toBe('Login or password is incorrect.');
    await shots('signin-error');
    await page.fill('input[name=password]', 'ana-secret');
    await page.click('button[type=submit]');
    await page.waitForSelector('.toolbar');
    expect(await page.textContent('.who')).toBe('Ana Lopez');
    expect(await status()).toBe('logged_out');
    // No softphone on this server: the page says the phone is elsewhere.
    await expect.poll(() => page.locator('.phone').getAttribute('data-phone')).toBe('elsewhere');
    await shots('logged-out');
  });

  it('logs in, pauses with a reason (UI/pause on the stream, the label on the toolbar), resumes', async () => {
    await page.click('text=Log in');
    await expect.poll(status).toBe('available');
    await page.selectOption('select[name=pause]', '2');
    await page.click('button.pause');
    await expect.poll(status).toBe('paused');
    expect(await page.textContent('.pause-label')).toBe('Training');
    // Training ends by itself after 30 minutes: its countdown shows.
    expect(await page.textContent('.countdown')).toMatch(/^(30:00|29:5\d) left$/);
    const ev = await streamed((t, e, m) => t === 'UI' && e === 'pause' && m.id_operator === ANA);
    expect(String((ev.event.msg as { supp?: unknown }).supp)).toBe('2');
    await shots('paused');
    await page.click('button.unpause');
    await expect.poll(status).toBe('available');
    await shots('available');
  });

  it('rings with the caller, answers, holds, resumes, hangs up, wraps up with a disposition', async () => {
    const id = (await platform('/calls', { service: '33800000120', caller: '33612345678' })).id_call!;
    await expect.poll(status).toBe('ringing');
    expect(await page.textContent('.call .caller')).toBe('33612345678');
    expect(await page.textContent('.call .group')).toBe('Sales');
    await shots('ringing');
    await page.click('button.answer');
    await expect.poll(status).toBe('connected');
    await page.click('button.hold');
    await expect.poll(status).toBe('hold');
    expect(await page.textContent('.badge')).toBe('On hold');
    await streamed((t, e, m) => t === 'UI' && e === 'hold' && m.id_call === id);
    await shots('on-hold');
    await page.click('button.unhold');
    await expect.poll(status).toBe('connected');
    await shots('on-call');
    await page.click('button.hangup');
    await expect.poll(status).toBe('wrapup');
    expect(await page.textContent('.countdown')).toMatch(/^[01]:\d\d left$/);
    await page.selectOption('select[name=disposition]', '1');
    await streamed((t, e, m) => t === 'UI' && e === 'disposition' && m.id_call === id);
    await shots('wrapup');
    await page.click('button.end-wrapup');
    await expect.poll(status).toBe('available');
    expect(await page.textContent('.recent .number')).toBe('33612345678');
    // The history row of the call carries the disposition.
    const row = await until('the history row with its disposition', async () => {
      await s.app.services.stats.flush();
      const r = await http(`${s.url}/vm/calls/in`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('toolbar-api:api-secret').toString('base64')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ date: new Date().toISOString().slice(0, 10) }),
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return (r.body as Record<string, unknown>[]).find((x) => x.id_appel === id && x.disposition !== undefined);
    });
    expect(row).toMatchObject({ disposition: 1, disposition_label: 'Sale' });
    expect(scriptErrors()).toEqual([]);
  });

  it('counts the callers waiting in the operator’s groups; rings with the time the caller waited in the queue (not 0) and their IVR choice', async () => {
    await page.selectOption('select[name=pause]', '1');
    await page.click('button.pause');
    await expect.poll(status).toBe('paused');
    const id = (await platform('/calls', { service: '33800000128', caller: '33612349999' })).id_call!;
    await platform(`/calls/${id}/ivr`, { speech: 'I want sales please', score: 90 });
    await streamed((t, e, m) => t === 'queue' && e === 'insert_call' && m.id_call === id);
    // The caller waits in Sales while Ana is paused, until the server counts 2 s of wait.
    await until('2 s of wait in Sales', async () => {
      const r = await http(`${s.url}/api/v1/realtime`, { headers: { authorization: `Bearer ${supToken}` } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return (r.body as { groups: { id: number; longest_wait: number }[] }).groups.find((g) => g.id === 120 && g.longest_wait >= 2);
    }, 15_000, 200);
    // The toolbar lists Ana's one group with its caller waiting (read every 5 s) and the longest wait.
    const sales = page.locator('.queues li[data-queue="120"] .count');
    await expect.poll(() => sales.textContent(), { timeout: 12_000 }).toMatch(/^1 waiting · longest \d:\d\d$/);
    expect(await page.locator('.queues li').count()).toBe(1);
    await screenshots(page, SHOTS_TASK, 'queue-counts');
    await page.click('button.unpause');
    await expect.poll(status).toBe('ringing');
    expect(await page.textContent('.call .caller')).toBe('33612349999');
    const waited = /^(\d+):(\d\d)$/.exec((await page.textContent('.call .waited')) ?? '');
    expect(Number(waited?.[1]) * 60 + Number(waited?.[2])).toBeGreaterThanOrEqual(2);
    expect(await page.textContent('.call .ivr')).toBe('“I want sales please” — Sales');
    expect(await page.locator('.call .group .swatch').evaluate((e) => getComputedStyle(e).backgroundColor)).toMatch(/^rgb\(/);
    await shots('ringing-info');
    await screenshots(page, SHOTS_TASK, 'ringing-info');
    await page.click('button.answer');
    await expect.poll(status).toBe('connected');
    expect(await page.textContent('.call .ivr')).toBe('“I want sales please” — Sales');
    await expect.poll(() => sales.textContent(), { timeout: 12_000 }).toBe('no one waiting');
    await page.click('button.hangup');
    await expect.poll(status).toBe('wrapup');
    await page.click('button.end-wrapup');
    await expect.poll(status).toBe('available');
    expect(scriptErrors()).toEqual([]);
  });

  it('shows a callback pushed to the operator; Accept dials it', async () => {
    await platform('/callbacks', { e164: '33611112222', group: 120, type: 'MANUAL' });
    const push = page.locator('.pushes li');
    await push.waitFor();
    expect(await push.locator('.number').textContent()).toBe('33611112222');
    await shots('push');
    await push.locator('text=Accept').click();
    await expect.poll(status).toBe('calling');
    expect(await page.textContent('.call .caller')).toBe('33611112222');
    expect(await page.locator('.pushes').count()).toBe(0);
    await page.click('button.hangup');
    await expect.poll(status).toMatch(/^(available|wrapup)$/);
    expect(scriptErrors()).toEqual([]);
  });

  it('counts an AUTO callback down and dials it by itself when the countdown ends', async () => {
    await expect.poll(status).toMatch(/^(available|wrapup)$/);
    if ((await status()) === 'wrapup') await page.click('button.end-wrapup');
    await expect.poll(status).toBe('available');
    await platform('/callbacks', { e164: '33633334444', group: 120, type: 'AUTO' });
    const push = page.locator('.pushes li');
    await push.waitFor();
    expect(await push.locator('.number').textContent()).toBe('33633334444');
    // auto_timeout 8 s: the countdown shows, then goes down.
    const left = async () => Number(/dials in 0:0(\d)$/.exec((await push.locator('.countdown').textContent()) ?? '')?.[1]);
    const first = await left();
    expect(first).toBeGreaterThanOrEqual(5);
    await shots('push-auto');
    await expect.poll(left, { timeout: 10_000 }).toBeLessThan(first);
    // Nobody clicks: it dials at the end of the countdown.
    await expect.poll(status, { timeout: 20_000 }).toBe('calling');
    expect(await page.textContent('.call .caller')).toBe('33633334444');
    expect(await page.locator('.pushes').count()).toBe(0);
    await page.click('button.hangup');
    await expect.poll(status).toMatch(/^(available|wrapup)$/);
    expect(scriptErrors()).toEqual([]);
  });

  it('pops the caller’s page as a call rings (popup_url, popup_on ring): a new tab without opener, values URL-encoded', async () => {
    const ctx = await browser.newContext({ viewport: LAPTOP });
    // The CRM of the template, answered by the browser itself.
    await ctx.route('https://crm.example.invalid/**', (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>CRM</title><p>CRM</p>' }));
    try {
      const token = (await wsInit(s.url, 'max', 'max-secret', { accountType: 'operator' })).body as { id_session: string };
      const p = await ctx.newPage();
      p.on('pageerror', (e) => pageErrors.push(e.message));
      await p.goto(`${s.url}/operator/?token_session=${encodeURIComponent(token.id_session)}`);
      await p.waitForSelector('.toolbar');
      await p.click('text=Log in');
      await expect.poll(() => p.locator('.badge').getAttribute('data-state')).toBe('available');
      const popped = ctx.waitForEvent('page', { timeout: 20_000 });
      const id = (await platform('/calls', { service: '33800000125', caller: '33612340000' })).id_call!;
      const pop = await popped;
      await pop.waitForLoadState();
      const want = `https://crm.example.invalid/contact?caller=33612340000&call=${id}&svc=33800000125&q=125`;
      expect(pop.url()).toBe(want);
      expect(await pop.evaluate(() => window.opener)).toBeNull();
      // The toolbar is still ringing, and keeps the page as a link in the call panel.
      expect(await p.locator('.badge').getAttribute('data-state')).toBe('ringing');
      expect(await p.getAttribute('.call .popup a', 'href')).toBe(want);
      await shots('popup', p);
      await platform(`/calls/${id}/hangup`);
      await expect.poll(() => p.locator('.badge').getAttribute('data-state')).toBe('available');
      // One pop for the call, no more.
      expect(ctx.pages().length).toBe(2);
      await p.click('button.logout');
    } finally {
      await ctx.close();
    }
  });

  it('opens signed in with ?token_session= (a CRM’s agent token), in the operator’s language, and dials ?fiche_num=', async () => {
    const api = await vmToken(s.url, 'toolbar-api', 'api-secret', { user_type: 'agent', id_operator: LEA, keep: 1 });
    expect(api.status, JSON.stringify(api.body)).toBe(200);
    const token = (api.body as { id_session: string }).id_session;
    await platform(`/operators/${LEA}/login`);
    const p = await openPage(browser, LAPTOP, pageErrors);
    try {
      await p.goto(`${s.url}/operator/?token_session=${encodeURIComponent(token)}&fiche_num=33699887766`);
      await p.waitForSelector('.toolbar');
      expect(await p.textContent('.who')).toBe('Léa Roux');
      // The token does not stay in the address bar.
      expect(new URL(p.url()).searchParams.has('token_session')).toBe(false);
      // Léa's lang is fr: the strings are French. fiche_num placed an outgoing call.
      await expect.poll(() => p.locator('.badge').getAttribute('data-state')).toBe('calling');
      expect(await p.textContent('.badge')).toBe('Appel sortant');
      expect(await p.textContent('.call .caller')).toBe('33699887766');
      await shots('calling-fr', p);
      await p.click('button.hangup');
      await expect.poll(() => p.locator('.badge').getAttribute('data-state')).toMatch(/^(available|wrapup)$/);
    } finally {
      await p.close();
    }
    expect(scriptErrors()).toEqual([]);
  });
});

// The toolbar's softphone: with SIP over WebSocket on, the page fetches the operator's HA1
// and JsSIP registers over ws://<page host>/sip (signalling only: WebRTC media needs the
// network namespace of telephony-softphone.test.ts, not used here).
describe.skipIf(!haveChromium)('operator toolbar softphone registration', () => {
  let s: TestServer;
  let browser: Browser;
  const pageErrors: string[] = [];
  beforeAll(async () => {
    s = await startTestServer(['toolbar.json'], {
      telephony: { sip: { host: '127.0.0.1', port: 0 }, trust: ['127.0.0.1/32'], media: 'node', rtpPorts: { min: 29_600, max: 29_699 }, ws: { path: '/sip' } },
    });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('registers JsSIP as the operator’s SIP user and says the phone is this browser', async () => {
    const token = (await wsInit(s.url, 'ana', 'ana-secret', { accountType: 'operator' })).body as { id_session: string };
    const p = await openPage(browser, LAPTOP, pageErrors);
    await p.goto(`${s.url}/operator/?token_session=${encodeURIComponent(token.id_session)}`);
    await expect.poll(() => p.locator('.phone').getAttribute('data-phone'), { timeout: 15_000 }).toBe('registered');
    expect(await p.textContent('.phone')).toBe('Phone: this browser');
    await until('the registration on the server', () => s.app.telephony!.sip.registration('ana-web'));
    await p.close();
    expect(pageErrors).toEqual([]);
  });

  /** Ana's toolbar with the softphone, in a Chromium launched with `args`. */
  const anaIn = async (args: string[]) => {
    const b = await launchChromium(args);
    const token = (await wsInit(s.url, 'ana', 'ana-secret', { accountType: 'operator' })).body as { id_session: string };
    const p = await openPage(b, LAPTOP, pageErrors);
    await p.goto(`${s.url}/operator/?token_session=${encodeURIComponent(token.id_session)}`);
    await expect.poll(() => p.locator('.phone').getAttribute('data-phone'), { timeout: 15_000 }).toBe('registered');
    return { b, p };
  };

  it('lists the microphones and speakers (a fake device here) and remembers the choice across a reload', async () => {
    const { b, p } = await anaIn(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']);
    try {
      // getUserMedia and the device list take seconds on a loaded machine: 20 s, not the default 5.
      await expect.poll(() => p.locator('.audio').getAttribute('data-mic'), { timeout: 20_000 }).toBe('ok');
      const mics = p.locator('select[name=microphone] option');
      await expect.poll(() => mics.allTextContents(), { timeout: 20_000 }).toContainEqual(expect.stringMatching(/fake/i));
      expect(await p.locator('.mic-problem').count()).toBe(0);
      const fake = await p.locator('select[name=microphone] option', { hasText: /fake audio input 1/i }).first().getAttribute('value');
      expect(fake).toBeTruthy();
      await p.selectOption('select[name=microphone]', fake!);
      await p.reload();
      await expect.poll(() => p.locator('.audio').getAttribute('data-mic'), { timeout: 20_000 }).toBe('ok');
      await expect.poll(() => p.inputValue('select[name=microphone]'), { timeout: 20_000 }).toBe(fake);
      await screenshots(p, SHOTS_TASK, 'audio-devices');
    } finally {
      await b.close();
    }
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('says so in the phone area when the microphone is refused, or when there is none', async () => {
    const refused = await anaIn(['--use-fake-device-for-media-stream', '--deny-permission-prompts']);
    try {
      await expect.poll(() => refused.p.locator('.audio').getAttribute('data-mic'), { timeout: 20_000 }).toBe('denied');
      expect(await refused.p.textContent('.mic-problem')).toMatch(/^The microphone is blocked for this page: allow it/);
      await screenshots(refused.p, SHOTS_TASK, 'mic-refused');
    } finally {
      await refused.b.close();
    }
    const none = await anaIn(['--use-fake-ui-for-media-stream']);
    try {
      await expect.poll(() => none.p.locator('.audio').getAttribute('data-mic'), { timeout: 20_000 }).toBe('missing');
      expect(await none.p.textContent('.mic-problem')).toMatch(/^No microphone found/);
    } finally {
      await none.b.close();
    }
    expect(pageErrors).toEqual([]);
  }, 90_000);
});

// Two operators, two toolbars: a blind transfer from one to the other, then a consultation
// (Ana puts the caller on hold and talks with Léa first, then completes). Screenshots of the
// consulting states go to /tmp/vm-toolbar-shots/.
describe.skipIf(!haveChromium)('two toolbars: transfer and consultation', () => {
  const SHOTS2 = '/tmp/vm-toolbar-shots';
  let s: TestServer;
  let browser: Browser;
  let ana: Page;
  let lea: Page;
  /** Léa's screen pop (popup_on answer, popup_target "crm"): one window, reused. */
  let crm: Page | undefined;
  const pageErrors: string[] = [];
  const state = (p: Page) => () => p.locator('.badge').getAttribute('data-state');
  const shot = (p: Page, name: string) => screenshots(p, SHOTS2, name);
  const open = async (login: string, password: string) => {
    const token = (await wsInit(s.url, login, password, { accountType: 'operator' })).body as { id_session: string };
    const p = await openPage(browser, LAPTOP, pageErrors);
    // A step that cannot happen says which (rather than the test's own timeout).
    p.setDefaultTimeout(15_000);
    await p.goto(`${s.url}/operator/?token_session=${encodeURIComponent(token.id_session)}`);
    await p.waitForSelector('.toolbar');
    return p;
  };
  const post = async (path: string, body?: object) => {
    const r = await accountPost(s.url, ACCOUNT, path, body);
    expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(200);
    return r.body as { ok: true; id_call?: number };
  };

  beforeAll(async () => {
    mkdirSync(SHOTS2, { recursive: true });
    s = await startTestServer(['toolbar.json']);
    browser = await launchChromium();
    ana = await open('ana', 'ana-secret');
    lea = await open('lea', 'lea-secret');
    await lea.context().route('https://crm.example.invalid/**', (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>CRM</title>' }));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('Ana transfers her call to Léa blindly: Ana wraps up, Léa’s toolbar rings with the caller and answers', async () => {
    await ana.click('button:has-text("Log in")');
    await expect.poll(state(ana)).toBe('available');
    const id = (await post('/calls', { service: '33800000120', caller: '33655550001' })).id_call!;
    await expect.poll(state(ana)).toBe('ringing');
    await lea.click('button:has-text("Prendre des appels")');
    await expect.poll(state(lea)).toBe('available');
    await ana.click('button.answer');
    await expect.poll(state(ana)).toBe('connected');
    await ana.selectOption('select[name=transfer]', `operator:${LEA}`);
    await ana.click('button.do-transfer');
    await expect.poll(state(ana)).toBe('wrapup');
    await expect.poll(state(lea)).toBe('ringing');
    expect(await lea.textContent('.call .caller')).toBe('33655550001');
    const popped = lea.context().waitForEvent('page', { timeout: 20_000 });
    await lea.click('button.answer');
    await expect.poll(state(lea)).toBe('connected');
    expect(await lea.getAttribute('.call', 'data-call')).toBe(String(id));
    // Léa's screen pop opens once she answers, in the window named "crm".
    crm = await popped;
    await expect.poll(() => crm!.url()).toBe(`https://crm.example.invalid/lea?c=33655550001&id=${id}`);
    await lea.click('button.hangup');
    await expect.poll(state(lea)).toBe('wrapup');
    // Ana's wrap-up ends first: she is the longest idle for the next call.
    await ana.click('button.end-wrapup');
    await lea.click('button.end-wrapup');
    await expect.poll(state(ana)).toBe('available');
    await expect.poll(state(lea)).toBe('available');
    expect(scriptErrorsIn(pageErrors)).toEqual([]);
  });

  it('Ana consults Léa with the caller on hold, they talk, Ana completes: the caller is Léa’s, Ana wraps up', async () => {
    const id = (await post('/calls', { service: '33800000120', caller: '33655550002' })).id_call!;
    await expect.poll(state(ana)).toBe('ringing');
    await ana.click('button.answer');
    await expect.poll(state(ana)).toBe('connected');
    await ana.selectOption('select[name=transfer]', `operator:${LEA}`);
    await ana.click('button.consult');
    await expect.poll(state(ana)).toBe('consult');
    expect(await ana.textContent('.consulting .with strong')).toBe('Léa Roux');
    expect(await ana.locator('button.complete').isDisabled()).toBe(true);
    // Hold, Resume and Transfer are not offered while consulting.
    expect(await ana.locator('button.unhold, button.do-transfer').count()).toBe(0);
    await expect.poll(state(lea)).toBe('ringing');
    expect(await lea.textContent('.call .caller')).toBe('33655550002');
    await shot(ana, 'consult-ringing');
    await lea.click('button.answer');
    await expect.poll(() => ana.locator('.consulting').getAttribute('data-answered')).toBe('true');
    await expect.poll(state(lea)).toBe('connected');
    await shot(ana, 'consulting');
    // The answer of the consultation pops the caller's page in the same "crm" window: no new one.
    await expect.poll(() => crm!.url()).toBe(`https://crm.example.invalid/lea?c=33655550002&id=${id}`);
    expect(lea.context().pages()).toHaveLength(2);
    await ana.click('button.complete');
    await expect.poll(state(ana)).toBe('wrapup');
    await expect.poll(state(lea)).toBe('connected');
    expect(await lea.getAttribute('.call', 'data-call')).toBe(String(id));
    await post(`/calls/${id}/hangup`);
    await expect.poll(state(lea)).toBe('wrapup');
    await ana.click('button.end-wrapup');
    await lea.click('button.end-wrapup');
    expect(scriptErrorsIn(pageErrors)).toEqual([]);
  });

  it('Ana consults Léa and cancels: Léa is free again, the caller stays on hold until Ana resumes', async () => {
    await expect.poll(state(ana)).toBe('available');
    await expect.poll(state(lea)).toBe('available');
    const id = (await post('/calls', { service: '33800000120', caller: '33655550003' })).id_call!;
    // Whoever rings takes the call and consults the other.
    const [first, other, otherId] = await until('a toolbar ringing', async () =>
      (await state(ana)()) === 'ringing' ? ([ana, lea, LEA] as const) : (await state(lea)()) === 'ringing' ? ([lea, ana, ANA] as const) : undefined);
    await first.click('button.answer');
    await expect.poll(state(first)).toBe('connected');
    await first.selectOption('select[name=transfer]', `operator:${otherId}`);
    await first.click('button.consult');
    await expect.poll(state(other)).toBe('ringing');
    await other.click('button.answer');
    await expect.poll(() => first.locator('.consulting').getAttribute('data-answered')).toBe('true');
    await first.click('button.cancel-consult');
    await expect.poll(state(first)).toBe('hold');
    await expect.poll(state(other)).toBe('available');
    await first.click('button.unhold');
    await expect.poll(state(first)).toBe('connected');
    await post(`/calls/${id}/hangup`);
    await expect.poll(state(first)).toBe('wrapup');
    await first.click('button.end-wrapup');
    expect(scriptErrorsIn(pageErrors)).toEqual([]);
  });

  it('Ana consults a number typed in the transfer-to-number field: the caller on hold, the number shown until she cancels', async () => {
    await expect.poll(state(ana)).toBe('available');
    await expect.poll(state(lea)).toBe('available');
    const id = (await post('/calls', { service: '33800000120', caller: '33655550004' })).id_call!;
    const first = await until('a toolbar ringing', async () => ((await state(ana)()) === 'ringing' ? ana : (await state(lea)()) === 'ringing' ? lea : undefined));
    await first.click('button.answer');
    await expect.poll(state(first)).toBe('connected');
    await first.selectOption('select[name=transfer]', 'number:');
    // No number typed yet: nothing to consult.
    expect(await first.locator('button.consult').isDisabled()).toBe(true);
    await first.fill('.transfer input[type=tel]', '33612345678');
    await first.click('button.consult');
    await expect.poll(state(first)).toBe('consult');
    expect(await first.textContent('.consulting .with strong')).toBe('33612345678');
    // Not answered (no network reports it here): Complete waits.
    expect(await first.locator('button.complete').isDisabled()).toBe(true);
    await shot(first, 'consult-number');
    await first.click('button.cancel-consult');
    await expect.poll(state(first)).toBe('hold');
    await first.click('button.unhold');
    await expect.poll(state(first)).toBe('connected');
    await post(`/calls/${id}/hangup`);
    await expect.poll(state(first)).toBe('wrapup');
    await first.click('button.end-wrapup');
    expect(scriptErrorsIn(pageErrors)).toEqual([]);
  });
});
