// Issue 11's demo path for a person: `npm start`, open the demo phone and the toolbar, take
// your own call through the voice menu and the queue, the wallboard following. Here the
// server is the demo (the demo center imported as `vm demo` does, its live simulation of
// every operator but the person's, SIP on 127.0.0.1, SIP over WebSocket, the phone page),
// Chromium with fake media plays the person: the phone page calls the main line, hears the
// menu (WebRTC packets received), presses 4, the toolbar (signed in as operator / demo,
// logged in) rings, answers, audio flows both ways (packets received in both pages), the
// realtime snapshot shows the operator on the call, the phone page hangs up. Chromium
// gathers no loopback ICE candidate: it runs in a network namespace (root needed; skipped
// with the reason otherwise), and the demo's WebRTC legs do ICE on the namespace's veth
// address (--webrtc-address) while SIP and plain RTP stay on 127.0.0.1, as in `vm demo`.
// Screenshots of the phone page (laptop and phone widths) go to /tmp/vm-demophone-shots/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DEMO_API, DEMO_FILE, DEMO_OPERATOR, demoSimulation } from '../src/cli/demo.ts';
import { importAccountFile } from '../src/cli/directory.ts';
import { startSimulations } from '../src/cli/serve.ts';
import { createSqliteStore } from '../src/store/sqlite/index.ts';
import { DEFAULT_SIP_TRUST, type TelephonySettings } from '../src/telephony/config.ts';
import { OPERATOR_DIST } from '../src/http/routes/pages.ts';
import { demoPhoneRoutes, type DemoPhoneConfig } from '../src/http/routes/demo-phone.ts';
import { installErrorHandling } from '../src/http/errors.ts';
import Fastify from 'fastify';
import { CHROMIUM, haveChromium, warnIfNoChromium } from './helpers/browser.ts';
import { spawnVm } from './helpers/cli.ts';
import { chromium } from 'playwright-core';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { webRtcHostAddress } from '../src/telephony/index.ts';
import { createNetns, netnsRefusal, type Netns } from './helpers/netns.ts';
import { http, startTestServer, vmToken, type TestServer } from './helpers/server.ts';
import { until } from './helpers/until.ts';

const SHOTS = '/tmp/vm-demophone-shots';
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

const refusal = haveChromium ? netnsRefusal() : undefined;
warnIfNoChromium('demo-phone.test.ts');
if (refusal) console.warn(`demo-phone.test.ts: the browser call is SKIPPED, no network namespace for Chromium's WebRTC (${refusal})`);

/** The operator build (toolbar and demo phone), built if a fresh clone lacks it. */
function ensureBuilt(): void {
  if (!existsSync(`${OPERATOR_DIST}phone.html`)) execSync('npm run build:operator', { stdio: 'ignore', cwd: new URL('..', import.meta.url).pathname });
}

/** The demo center imported into a new data directory, as `vm demo` does first. */
async function demoData(): Promise<{ dataDir: string; accountId: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vm-demophone-'));
  const store = createSqliteStore(dataDir);
  const { accountId } = await importAccountFile(store, DEMO_FILE);
  await store.close();
  return { dataDir, accountId };
}

describe('the demo phone page, served by the demo only', () => {
  let demo: TestServer;
  let plain: TestServer;
  let accountId: number;
  beforeAll(async () => {
    ensureBuilt();
    const d = await demoData();
    accountId = d.accountId;
    const telephony: TelephonySettings = { sip: { host: '127.0.0.1', port: 0 }, trust: DEFAULT_SIP_TRUST, media: 'node', rtpPorts: { min: 27_600, max: 27_699 }, ws: { path: '/sip' } };
    demo = await startTestServer([], { dataDir: d.dataDir, telephony, demoPhone: { accountId } });
    plain = await startTestServer(['acme.json']);
  }, 60_000);
  afterAll(async () => {
    await demo?.close();
    await plain?.close();
  });

  it('GET /demo/phone is the page and /demo/phone.json its settings: the main line, a caller id, the menu with key 4 to your desk', async () => {
    const page = await http(`${demo.url}/demo/phone`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(String(page.headers['content-type'])).toMatch(/^text\/html/);
    expect(String(page.body)).toContain('<title>Demo phone');
    const cfg = await http(`${demo.url}/demo/phone.json`);
    expect(cfg.status).toBe(200);
    const body = cfg.body as DemoPhoneConfig;
    expect(body).toMatchObject({ ws_path: '/sip', service: '33180000001' });
    expect(body.caller).toMatch(/^33699\d{6}$/);
    expect(body.menu).toEqual(expect.arrayContaining([{ dtmf: '1', label: 'Sales' }, { dtmf: '4', label: expect.stringMatching(/^Your desk/) }]));
    expect(cfg.headers['cache-control']).toBe('no-store');
  });

  it('a server that is not the demo serves no phone: /demo/phone is 404, and the build’s phone.html is not under /operator/', async () => {
    expect((await http(`${plain.url}/demo/phone`)).status).toBe(404);
    expect((await http(`${plain.url}/demo/phone.json`)).status).toBe(404);
    expect((await http(`${plain.url}/operator/phone.html`)).status).toBe(404);
    expect((await http(`${demo.url}/operator/phone.html`)).status).toBe(404);
    // The toolbar itself is still there.
    expect((await http(`${plain.url}/operator/`)).status).toBe(200);
  });

  it('says to run npm run build when the page is not built', async () => {
    const app = Fastify();
    installErrorHandling(app);
    await app.register(demoPhoneRoutes, { services: demo.app.services, accountId, wsPath: '/sip', root: '/nonexistent/operator/' });
    const json = await app.inject('/demo/phone');
    expect(json.statusCode).toBe(503);
    expect(json.json()).toEqual({ error: 'DEMO_PHONE_NOT_BUILT', message: expect.stringContaining('npm run build') });
    const html = await app.inject({ url: '/demo/phone', headers: { accept: 'text/html' } });
    expect([html.statusCode, html.body]).toEqual([503, expect.stringContaining('The demo phone is not built')]);
    // Its settings still answer: the page is what is missing, not the demo.
    expect((await app.inject('/demo/phone.json')).statusCode).toBe(200);
    await app.close();
  });
});

/** Keeps every RTCPeerConnection the page makes, for its WebRTC stats (a script: run before the page's own). */
const CAPTURE_PEER_CONNECTIONS = `{
  const Original = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = class extends Original {
    constructor(...args) { super(...args); window.__pcs.push(this); }
  };
}`;

/** Audio RTP packets the page's WebRTC has received and sent, over all its peer connections. */
const rtp = (page: Page): Promise<{ received: number; sent: number }> =>
  page.evaluate(async () => {
    let received = 0;
    let sent = 0;
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s: { type: string; kind?: string; packetsReceived?: number; packetsSent?: number }) => {
        if (s.type === 'inbound-rtp' && s.kind === 'audio') received += s.packetsReceived ?? 0;
        if (s.type === 'outbound-rtp' && s.kind === 'audio') sent += s.packetsSent ?? 0;
      });
    }
    return { received, sent };
  });

/** Waits until the page has received `more` packets over what it had. */
async function packetsGrow(page: Page, what: string, more: number, timeoutMs = 15_000): Promise<void> {
  const from = (await rtp(page)).received;
  await until(what, async () => (await rtp(page)).received >= from + more, timeoutMs);
}

/** What the person's call needs from the rig around it. */
interface CallRig {
  /** Opens a page of the server (a path, or a full URL it printed) with its RTCPeerConnections kept. */
  open(pathOrUrl: string): Promise<Page>;
  /** The toolbar signed in as the demo's operator: by the form, or the printed link. */
  toolbar: { path: string; form: boolean };
  /** The realtime snapshot (what the wallboard reads). */
  realtime(): Promise<{ operators: Array<{ id: number; state: string }>; groups: Array<{ id: number; operators: { on_call: number } }> }>;
  shots?(page: Page, name: string): Promise<void>;
}

/**
 * The person's own call: the toolbar logs in, the phone page calls the main line, hears the
 * menu, presses 4, the toolbar rings and answers, audio flows both ways, the snapshot shows
 * the operator on the call, the phone page hangs up.
 */
async function takeYourOwnCall(rig: CallRig): Promise<void> {
  // The toolbar, signed in as the demo's operator, its softphone registered, logged in.
  const toolbar = await rig.open(rig.toolbar.path);
  if (rig.toolbar.form) {
    await toolbar.fill('input[name=login]', DEMO_OPERATOR.login);
    await toolbar.fill('input[name=password]', DEMO_OPERATOR.password);
    await toolbar.click('button[type=submit]');
  }
  await until("the toolbar's softphone registered", async () => (await toolbar.locator('.phone').getAttribute('data-phone')) === 'registered', 30_000);
  await toolbar.click('text=Log in');
  const badge = () => toolbar.locator('.badge').getAttribute('data-state');
  await until('the operator available', async () => (await badge()) === 'available', 10_000);

  // The phone page: ready, its menu listed.
  const phone = await rig.open('/demo/phone');
  await phone.locator('button.call:not([disabled])').waitFor({ timeout: 10_000 });
  expect(await phone.locator('.menu li').count()).toBeGreaterThanOrEqual(5);
  await rig.shots?.(phone, 'idle');

  // The call: the menu answers it and plays its prompt to the page.
  await phone.click('button.call');
  const state = () => phone.locator('.call-state').getAttribute('data-state');
  await until('the menu answered the call', async () => (await state()) === 'connected', 20_000);
  await packetsGrow(phone, 'the menu prompt heard in the page', 25);

  // Key 4 (SIP INFO): your desk, where only the demo's operator works.
  await phone.click('.key[data-key="4"]');
  expect(await phone.textContent('.sent')).toBe('Keys sent: 4');
  await toolbar.locator('.ringing-here').waitFor({ timeout: 30_000 });
  // The page's own caller id reached the toolbar.
  const caller = await phone.textContent('.from');
  expect(caller).toMatch(/^33699\d{6}$/);
  expect(await toolbar.textContent('.call .caller')).toBe(caller);
  expect(await toolbar.textContent('.call .group')).toBe('Your desk');
  await toolbar.click('button.answer');
  await until('on call in the toolbar', async () => (await badge()) === 'connected', 20_000);

  // Audio both ways: each page receives the other's fake microphone.
  await packetsGrow(toolbar, "the caller's audio in the toolbar", 50);
  await packetsGrow(phone, "the operator's audio in the phone page", 50);
  expect((await rtp(phone)).sent).toBeGreaterThan(50);
  expect((await rtp(toolbar)).sent).toBeGreaterThan(50);
  await rig.shots?.(phone, 'in-call');

  // The wallboard's source: the realtime snapshot shows the operator on the call, in their group.
  const snap = await until('the operator on call in the snapshot', async () => {
    const r = await rig.realtime();
    return r.operators.find((o) => o.id === DEMO_OPERATOR.id)?.state === 'on_call' ? r : undefined;
  }, 10_000);
  expect(snap.groups.find((g) => g.id === 4)?.operators.on_call).toBe(1);

  // The person hangs up from the phone page.
  await phone.click('button.hangup');
  await until('the call ended in the phone page', async () => (await state()) === 'ended', 10_000);
  await until('the call ended in the toolbar', async () => /^(available|wrapup)$/.test((await badge()) ?? ''), 15_000);
  await rig.shots?.(phone, 'ended');
  await phone.close();
  await toolbar.close();
}

describe.skipIf(!haveChromium || refusal !== undefined)('npm start: your own call from the demo phone to your toolbar (Chromium, WebRTC)', () => {
  let ns: Netns;
  let browser: Browser;
  let s: TestServer;
  let accountId: number;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ensureBuilt();
    mkdirSync(SHOTS, { recursive: true });
    ns = createNetns();
    const d = await demoData();
    accountId = d.accountId;
    // As `vm demo`: SIP and plain RTP on 127.0.0.1, SIP over WebSocket at /sip, WebRTC's ICE
    // on an address a browser gathers candidates for (here our side of the veth pair). The
    // page's INVITE needs no credentials: it is trusted by its source, which is 127.0.0.1 for
    // a browser on the demo's machine, and the namespace's address here.
    const telephony: TelephonySettings = {
      sip: { host: '127.0.0.1', port: 0 },
      trust: [...DEFAULT_SIP_TRUST, `${ns.nsAddress}/32`],
      media: 'node',
      rtpPorts: { min: 27_400, max: 27_599 },
      ws: { path: '/sip' },
      webrtcAddress: ns.hostAddress,
    };
    s = await startTestServer([], { dataDir: d.dataDir, telephony, listenHost: ns.hostAddress, demoPhone: { accountId } });
    const dir = await s.app.services.store.directory.getDirectory(accountId);
    await startSimulations(s.app, [accountId], demoSimulation(dir!));
    // The pages are served over http from 10.231.N.1: the microphone needs a secure context (127.0.0.1 is one for a person).
    browser = await ns.launchChromium([`--unsafely-treat-insecure-origin-as-secure=${s.url}`]);
    console.log(`demo-phone: screenshots in ${SHOTS}`);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await s?.close();
    ns?.remove();
  });

  async function open(path: string): Promise<Page> {
    const page = await browser.newPage({ viewport: LAPTOP });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.addInitScript({ content: CAPTURE_PEER_CONNECTIONS });
    await page.goto(path.startsWith('http') ? path : `${s.url}${path}`);
    return page;
  }

  const shots = async (page: Page, name: string) => {
    for (const [w, vp] of [['laptop', LAPTOP], ['phone', PHONE]] as const) {
      await page.setViewportSize(vp);
      await page.screenshot({ path: join(SHOTS, `phone-${name}-${w}.png`), fullPage: true });
    }
    await page.setViewportSize(LAPTOP);
  };

  it('calls the main line, hears the menu, presses 4: the toolbar rings, answers, audio both ways, the snapshot shows the operator on call, hang up', async () => {
    const api = await vmToken(s.url, DEMO_API.login, DEMO_API.password, { user_type: 'api' }, ns.hostAddress);
    expect(api.status, JSON.stringify(api.body)).toBe(200);
    await takeYourOwnCall({
      open,
      toolbar: { path: '/operator/', form: true },
      realtime: async () => (await http(`${s.url}/api/v1/realtime`, { headers: { authorization: `Bearer ${api.body.id_session as string}` }, localAddress: ns.hostAddress })).body,
      shots,
    });
    expect(pageErrors).toEqual([]);
  }, 150_000);
});

/**
 * `vm demo` itself, as `npm start` runs it, and Chromium on the same machine as a person's
 * browser (no namespace, no flag but fake media: mDNS hiding of local addresses as by
 * default, pages on http://127.0.0.1, a secure context): the printed toolbar link signs in,
 * the printed phone link calls; the page's INVITE is trusted as from 127.0.0.1, and WebRTC
 * reaches the machine's first non-loopback IPv4, which the demo picked by itself.
 */
const external = webRtcHostAddress();
if (haveChromium && !external) console.warn('demo-phone.test.ts: the `vm demo` browser call is SKIPPED, this machine has no non-loopback IPv4 for WebRTC');

describe.skipIf(!haveChromium || !external)('npm start, a browser on the same machine: the printed links take your own call', () => {
  let child: ChildProcess | undefined;
  let browser: Browser;
  let line: { url: string; toolbar: string; phone: string; webrtc_address: string | null };
  const dataDir = mkdtempSync(join(tmpdir(), 'vm-demophone-cli-'));
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ensureBuilt();
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', PORT: '0', VM_SIP: '127.0.0.1:0', VM_RTP_PORTS: '27800-27899' };
    for (const k of ['VM_URL', 'HOST', 'VM_DATA', 'VM_MEDIA', 'VM_WEBRTC_ADDRESS', 'VM_SIP_TRUST'] as const) delete env[k];
    child = spawnVm(['demo', '--data', dataDir, '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    line = await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`vm demo printed nothing in 45 s: ${stderr}`)), 45_000);
      createInterface({ input: child!.stdout! }).once('line', (l) => (clearTimeout(t), resolve(JSON.parse(l) as typeof line)));
      child!.once('close', (code) => reject(new Error(`vm demo exited with ${code}: ${stderr}`)));
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => (child!.kill('SIGKILL'), resolve()), 10_000);
        child!.once('close', () => (clearTimeout(t), resolve()));
        child!.kill('SIGTERM');
      });
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("the toolbar link signs in, the phone link calls: key 4 rings you, audio both ways, you're on call in the snapshot", async () => {
    expect(line.webrtc_address).toBe(external);
    const open = async (pathOrUrl: string) => {
      const page = await browser.newPage({ viewport: LAPTOP });
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.addInitScript({ content: CAPTURE_PEER_CONNECTIONS });
      await page.goto(pathOrUrl.startsWith('http') ? pathOrUrl : `${line.url}${pathOrUrl}`);
      return page;
    };
    expect(line.phone).toBe(`${line.url}/demo/phone`);
    const api = await vmToken(line.url, DEMO_API.login, DEMO_API.password, { user_type: 'api' });
    expect(api.status, JSON.stringify(api.body)).toBe(200);
    await takeYourOwnCall({
      open,
      toolbar: { path: line.toolbar, form: false },
      realtime: async () => (await http(`${line.url}/api/v1/realtime`, { headers: { authorization: `Bearer ${api.body.id_session as string}` } })).body,
    });
    expect(pageErrors).toEqual([]);
  }, 150_000);
});
