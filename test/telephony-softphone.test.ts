// Browser softphones: JsSIP in real Chromium registers over SIP over WebSocket (`--sip-ws`,
// the HTTP port at /sip) with an operator's SIP credentials and takes the calls the engine
// rings it for, WebRTC media (ICE, DTLS-SRTP, PCMU) terminated by the media plane and
// bridged to a sipp caller's plain RTP. Chromium gathers no ICE candidate on loopback only:
// it runs in a network namespace this file creates (root needed; skipped with the reason
// when `ip netns add` is refused), joined by a veth pair to the address the server listens on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import WebSocket from 'ws';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { haveChromium, warnIfNoChromium } from './helpers/browser.ts';
import { createNetns, netnsRefusal, type Netns } from './helpers/netns.ts';
import { openSoftphone, softphoneState, softphoneStats } from './helpers/softphone.ts';
import { callEvents, done, events, idOf, line, lawful, login, operatorStatus, telephonyKit, type Rig } from './helpers/telephony.ts';
import { startSipp } from './helpers/sipp.ts';
import { http, vmToken } from './helpers/server.ts';
import { until } from './helpers/until.ts';
import type { TelephonySettings } from '../src/telephony/config.ts';

const ACCOUNT = 74;
/** Screenshots of the wallboard's listen panel. */
const SHOTS = '/tmp/vm-listen-shots/';
const ANN = { id: 7401, user: 'ann-web', password: 'ann-web-secret' };
const SERVICE = '33100000074';

const refusal = haveChromium ? netnsRefusal() : undefined;
warnIfNoChromium('telephony-softphone.test.ts');
if (refusal) console.warn(`telephony-softphone.test.ts: SKIPPED, no network namespace for Chromium's WebRTC (${refusal})`);

describe.skipIf(!haveChromium || refusal !== undefined)('softphone in the browser (JsSIP over WebSocket)', () => {
  const { per, scenarioFile, toneWav } = telephonyKit();
  let ns: Netns;
  let browser: Browser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ns = createNetns();
    browser = await ns.launchChromium();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    ns?.remove();
  });

  /** A server listening (HTTP, SIP, RTP) on our side of the veth pair, SIP over WS at /sip. */
  async function rig(media: TelephonySettings['media'], rtpPorts: { min: number; max: number }): Promise<Rig> {
    const telephony: TelephonySettings = {
      sip: { host: ns.hostAddress, port: 0 },
      trust: [`${ns.hostAddress}/32`],
      media,
      rtpPorts,
      ws: { path: '/sip' },
    };
    // VM_DEBUG_SOFTPHONE=1: the server's SIP log too.
    const logger = process.env.VM_DEBUG_SOFTPHONE ? { logger: pino({ level: 'debug' }, pino.destination(2)) } : {};
    const srv = await per.server(['softphone.json'], { telephony, listenHost: ns.hostAddress, ...logger });
    const t = await vmToken(srv.url, 'soft-api', 'soft-secret', { user_type: 'api' }, ns.hostAddress);
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    const stream = per.client(srv.url, { localAddress: ns.hostAddress });
    const ack = await stream.init('api', ACCOUNT, t.body.id_session, { types: ['operator', 'UI', 'queue', 'num'] });
    expect(ack).toMatchObject({ ok: true });
    const addr = srv.app.telephony!.address();
    return { srv, stream, sip: `${addr.host}:${addr.port}`, account: ACCOUNT };
  }

  async function softphone(r: Rig, who: { user: string; password: string } = ANN): Promise<Page> {
    const page = await openSoftphone(browser, pageErrors);
    const ws = `${r.srv.url.replace(/^http/, 'ws')}/sip`;
    await page.evaluate((o) => window.softphone.start(o), { ws, uri: `sip:${who.user}@${ns.hostAddress}`, user: who.user, password: who.password, debug: !!process.env.VM_DEBUG_SOFTPHONE });
    return page;
  }

  /**
   * One of the server's pages (toolbar, wallboard) signed in through its form, 1280×800, in a
   * Chromium of its own: the page is served from http://10.231.N.1:port and the microphone
   * needs a secure context, as https gives in production. `before` runs before the page loads
   * (init scripts).
   */
  async function signedIn(r: Rig, path: string, user: string, password: string, before?: (page: Page) => Promise<void>): Promise<{ secure: Browser; page: Page }> {
    const secure = await ns.launchChromium([`--unsafely-treat-insecure-origin-as-secure=${r.srv.url}`]);
    const page = await secure.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await before?.(page);
    await page.goto(`${r.srv.url}${path}`);
    await page.fill('input[name=login]', user);
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
    return { secure, page };
  }

  /** A sipp caller on the service number that talks `talkMs` (a 2 s tone) and hangs up. */
  const callIn = (r: Rig, caller: string, talkMs: number) =>
    startSipp({
      scenario: scenarioFile('e2e-caller-talks', { wav: toneWav(2), talk: talkMs }),
      target: r.sip,
      service: SERVICE,
      localIp: ns.hostAddress,
      keys: { caller },
      timeoutMs: 45_000,
    });

  it('registers over ws://…/sip with digest auth: the binding is its connection, gone when the tab closes; a wrong password is refused', async () => {
    const r = await rig('node', { min: 29200, max: 29399 });
    const page = await softphone(r);
    await until('the softphone registered', async () => (await softphoneState(page)).registered, 30_000);
    const reg = r.srv.app.telephony!.sip.registration(ANN.user);
    expect(reg?.contact).toMatch(new RegExp(`^sip:\\w+@${ns.nsAddress.replaceAll('.', '\\.')}:\\d+;transport=ws$`));

    const wrong = await softphone(r, { user: 'bob-web', password: 'not-it' });
    await until('the wrong password refused', async () => (await softphoneState(wrong)).registrationFailed, 15_000);
    expect((await softphoneState(wrong)).registrationFailed).toBe('Rejected');
    expect(r.srv.app.telephony!.sip.registration('bob-web')).toBeUndefined();
    await wrong.close();

    // Socket.IO shares the HTTP server: the stream client got its init above and still gets events.
    await login(r, ANN.id);
    await until('the login on the stream', () => events(r.stream).some((n) => n.type_notification === 'UI' && n.event === 'login' && (n.msg as { id_operator?: number }).id_operator === ANN.id), 10_000);

    await page.close();
    await until('the binding gone with its connection', () => r.srv.app.telephony!.sip.registration(ANN.user) === undefined, 10_000);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it("registers with the digest HA1 the softphone route gives the operator's own token (never the password)", async () => {
    const r = await rig('node', { min: 29200, max: 29399 });
    const url = `${r.srv.url}/api/v1/accounts/${ACCOUNT}/operators/${ANN.id}/softphone`;
    // Tokens are bound to the address they were asked from: the host's side of the namespace.
    const agent = await vmToken(r.srv.url, 'soft-api', 'soft-secret', { user_type: 'agent', id_operator: ANN.id, keep: 1 }, ns.hostAddress);
    expect(agent.status, JSON.stringify(agent.body)).toBe(200);
    const got = await http(url, { headers: { authorization: `Bearer ${agent.body.id_session as string}` }, localAddress: ns.hostAddress });
    expect(got.status, JSON.stringify(got.body)).toBe(200);
    expect(got.body).toEqual({ ws_path: '/sip', username: ANN.user, realm: 'voice-management', ha1: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(JSON.stringify(got.body)).not.toContain(ANN.password);
    // No token, or another operator's, gets nothing.
    expect((await http(url, { localAddress: ns.hostAddress })).status).toBe(401);
    const bob = await vmToken(r.srv.url, 'soft-api', 'soft-secret', { user_type: 'agent', id_operator: 7402 }, ns.hostAddress);
    const other = await http(url, { headers: { authorization: `Bearer ${bob.body.id_session as string}` }, localAddress: ns.hostAddress });
    expect(other).toMatchObject({ status: 403, body: { error: 'FORBIDDEN' } });
    const page = await openSoftphone(browser, pageErrors);
    const b = got.body as { ws_path: string; username: string; realm: string; ha1: string };
    await page.evaluate((o) => window.softphone.start(o), { ws: `${r.srv.url.replace(/^http/, 'ws')}${b.ws_path}`, uri: `sip:${b.username}@${ns.hostAddress}`, user: b.username, ha1: b.ha1, realm: b.realm });
    await until('the softphone registered with HA1', async () => (await softphoneState(page)).registered, 30_000);
    await page.close();
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('refuses a WebSocket without the sip subprotocol, and leaves other paths to their owners', async () => {
    const r = await rig('node', { min: 29200, max: 29399 });
    const base = r.srv.url.replace(/^http/, 'ws');
    const status = (url: string, protocols: string[]) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url, protocols, { localAddress: ns.hostAddress });
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('unexpected-response', (_rq, rs) => resolve(rs.statusCode ?? 0));
        ws.on('error', () => resolve(-1));
      });
    expect(await status(`${base}/sip`, ['chat'])).toBe(400);
    expect(await status(`${base}/sip`, ['sip'])).toBe(101);
    // Socket.IO's own WebSocket transport still works on its path.
    expect(await status(`${base}/socket.io/?EIO=4&transport=websocket`, [])).toBe(101);
  }, 30_000);

  it('the operator toolbar: its softphone registers, rings in the tab, Answer answers the SIP session (the B2BUA reports the answer), audio plays, Mute silences what the page sends, the caller hangs up', async () => {
    const r = await rig('node', { min: 29200, max: 29399 });
    const { secure, page } = await signedIn(r, '/operator/', 'ann', 'ann-toolbar-secret', async (p) => {
      // Keeps the page's peer connections, to read what its audio sender sends.
      await p.addInitScript(() => {
        const Native = window.RTCPeerConnection;
        const all: RTCPeerConnection[] = [];
        (window as unknown as { vmPeers: RTCPeerConnection[] }).vmPeers = all;
        window.RTCPeerConnection = class extends Native {
          constructor(config?: RTCConfiguration) {
            super(config);
            all.push(this);
          }
        };
      });
    });
    await until('the toolbar\'s softphone registered', async () => (await page.locator('.phone').getAttribute('data-phone')) === 'registered', 30_000);
    await page.click('text=Log in');
    await until('available', async () => (await page.locator('.badge').getAttribute('data-state')) === 'available', 10_000);
    const caller = callIn(r, '33655555556', 20_000);
    await page.locator('.ringing-here').waitFor({ timeout: 30_000 });
    expect(await page.textContent('.call .caller')).toBe('33655555556');
    await page.click('button.answer');
    await operatorStatus(r.stream, 'connected', 20_000, ANN.id);
    await until('on call in the toolbar', async () => (await page.locator('.badge').getAttribute('data-state')) === 'connected', 10_000);
    // The caller's audio plays in the page's <audio>.
    await until('the remote audio attached', () => page.evaluate(() => !!document.querySelector('audio')?.srcObject), 10_000);
    expect(await page.locator('button.mute').count()).toBe(1);
    // Mute: the outbound audio track is disabled and what it sends falls silent (the fake
    // microphone's beeps gave the media source an audio level); Unmute gives it back.
    const sent = () =>
      page.evaluate(async () => {
        const out: { enabled: boolean; level: number }[] = [];
        for (const pc of (window as unknown as { vmPeers: RTCPeerConnection[] }).vmPeers) {
          for (const sender of pc.getSenders()) {
            if (sender.track?.kind !== 'audio' || pc.connectionState === 'closed') continue;
            let level = -1;
            (await sender.getStats()).forEach((x: { type: string; audioLevel?: number }) => {
              if (x.type === 'media-source' && x.audioLevel !== undefined) level = x.audioLevel;
            });
            out.push({ enabled: sender.track.enabled, level });
          }
        }
        return out;
      });
    await until('the microphone heard (audio level above 0)', async () => ((await sent())[0]?.level ?? 0) > 0, 10_000);
    expect((await sent()).map((x) => x.enabled)).toEqual([true]);
    await page.click('button.mute');
    expect(await page.getAttribute('button.mute', 'aria-pressed')).toBe('true');
    expect((await sent()).map((x) => x.enabled)).toEqual([false]);
    await until('silence sent while muted (audio level 0)', async () => (await sent())[0]?.level === 0, 10_000);
    await page.click('button.mute');
    expect((await sent()).map((x) => x.enabled)).toEqual([true]);
    await until('the microphone heard again', async () => ((await sent())[0]?.level ?? 0) > 0, 10_000);
    await done(await caller);
    await until('the call ended in the toolbar', async () => /^(available|wrapup)$/.test((await page.locator('.badge').getAttribute('data-state')) ?? ''), 15_000);
    expect(pageErrors).toEqual([]);
    await secure.close();
  }, 90_000);

  it('the wallboard: a supervisor listens to the softphone operator\'s call from a card (its JsSIP called and answered), whispers, stops', async () => {
    const r = await rig('node', { min: 30_600, max: 30_799 });
    const operator = await softphone(r);
    await until('the softphone registered', async () => (await softphoneState(operator)).registered, 30_000);
    await login(r, ANN.id);
    const caller = callIn(r, '33655555557', 20_000);
    await until('the operator answered', async () => (await softphoneState(operator)).confirmed === 1, 20_000);
    const connected = await operatorStatus(r.stream, 'connected', 20_000, ANN.id);
    const opLeg = r.srv.app.telephony!.b2bua.mediaLegs(ACCOUNT, idOf(connected)!)!.operators[ANN.id]!;
    const { secure, page } = await signedIn(r, '/wallboard/', 'soft-sup', 'soft-sup-secret');
    const card = page.locator(`.op[data-operator="${ANN.id}"]`);
    await until('the card on a call', async () => (await card.getAttribute('data-state')) === 'on_call', 20_000);
    await card.locator('.op-listen').click();
    const panel = page.locator(`.listen[data-listen="${ANN.id}"]`);
    await until('the listener answered', async () => (await panel.getAttribute('data-status')) === 'on', 60_000);
    const listening = r.srv.app.telephony!.b2bua.listening;
    expect(listening.mode(ACCOUNT, ANN.id)).toBe('listen');
    // The plane sends the mix to the browser's leg and hears its (muted) microphone.
    const plane = r.srv.app.telephony!.media;
    await until('RTP both ways on the listener leg', () => {
      const st = plane.stats(`${opLeg}.listen1`);
      return !!st && st.txPackets > 25 && st.rxPackets > 25;
    }, 15_000);
    await until('the mix plays in the page', () => page.evaluate(() => !!document.querySelector<HTMLAudioElement>('.listen audio')?.srcObject), 10_000);
    await page.click('.listen-modes button:text("Whisper")');
    await until('whispering', async () => (await panel.getAttribute('data-mode')) === 'whisper', 10_000);
    expect(listening.mode(ACCOUNT, ANN.id)).toBe('whisper');
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: `${SHOTS}wallboard-listen-laptop.png` });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${SHOTS}wallboard-listen-phone.png`, fullPage: true });
    await page.click('.listen-stop');
    await panel.waitFor({ state: 'detached', timeout: 10_000 });
    await until('the listening ended', () => listening.mode(ACCOUNT, ANN.id) === undefined, 10_000);
    await done(await caller);
    expect(pageErrors).toEqual([]);
    await secure.close();
    await operator.close();
  }, 120_000);

  const planes: Array<[TelephonySettings['media'], { min: number; max: number }]> = [
    ['node', { min: 29200, max: 29399 }],
    ['rtpengine', { min: 29400, max: 29599 }],
  ];
  for (const [media, rtpPorts] of planes) {
    it(`${media} plane: the engine rings the softphone, the page answers, PCMU flows both ways between WebRTC and the sipp caller, the caller hangs up`, async () => {
      const r = await rig(media, rtpPorts);
      const page = await softphone(r);
      await until('the softphone registered', async () => (await softphoneState(page)).registered, 30_000);
      await login(r, ANN.id);
      const caller = callIn(r, '33655555555', 14000);
      await until('the page answered and got the ACK', async () => (await softphoneState(page)).confirmed === 1, 20_000);
      const connected = await operatorStatus(r.stream, 'connected', 20_000, ANN.id);
      const legs = r.srv.app.telephony!.b2bua.mediaLegs(ACCOUNT, idOf(connected)!)!;
      const plane = r.srv.app.telephony!.media;
      // In the page: WebRTC's own counters, received (the caller's tone) and sent (the fake microphone).
      const first = await until('RTP both ways in the page', async () => {
        const st = await softphoneStats(page);
        return st && st.packetsReceived > 25 && st.packetsSent > 25 ? st : undefined;
      }, 15_000);
      await until('RTP still flowing in the page', async () => {
        const st = await softphoneStats(page);
        return st && st.packetsReceived > first.packetsReceived + 10 && st.bytesReceived > first.bytesReceived && st.packetsSent > first.packetsSent + 10;
      }, 15_000);
      expect((await softphoneState(page)).codecs).toEqual(['audio/PCMU']);
      // At the plane: the caller's leg sent to and heard from sipp, the softphone's leg both ways.
      const flowing = (leg: string | undefined) => {
        const st = leg ? plane.stats(leg) : undefined;
        return !!st && st.rxPackets > 25 && st.txPackets > 25;
      };
      await until('RTP both ways on the caller leg and the softphone leg', () => flowing(legs.caller) && flowing(legs.operators[ANN.id]), 10_000);
      // JsSIP's own hold and resume (re-INVITEs on the WebRTC leg) hold the call as the toolbar does.
      expect(await page.evaluate(() => window.softphone.hold()), 'the hold re-INVITE answered 2xx').toBe(true);
      await until('UI/hold from the softphone', () => events(r.stream).some((n) => n.type_notification === 'UI' && n.event === 'hold'), 10_000);
      expect(await page.evaluate(() => window.softphone.unhold()), 'the resume re-INVITE answered 2xx').toBe(true);
      await until('UI/unhold from the softphone', () => events(r.stream).some((n) => n.type_notification === 'UI' && n.event === 'unhold'), 10_000);
      const resumed = (await softphoneStats(page))!;
      await until('RTP again after the resume', async () => ((await softphoneStats(page))?.packetsReceived ?? 0) > resumed.packetsReceived + 10, 10_000);
      await done(await caller);
      await until('the page saw the BYE', async () => (await softphoneState(page)).ended.length === 1, 10_000);
      expect((await softphoneState(page)).ended).toEqual(['ended:Terminated']);
      const call = await callEvents(r.stream, '33655555555');
      expect(call.map(line)).toEqual(expect.arrayContaining(['num/start', 'operator/status:ringing', 'operator/status:connected', 'num/end']));
      lawful(r.stream, ACCOUNT);
      expect(pageErrors).toEqual([]);
      await page.close();
    }, 90_000);
  }
});
