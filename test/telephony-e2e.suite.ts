// Real calls end to end: sipp plays the carrier (INVITE to a service number, RFC 4733 DTMF
// from a real capture, BYE) and the operators' phones (a gateway number, registered
// devices with digest auth); the platform is a real server with SIP and the embedded
// media. Each case checks the SIP outcome (sipp's exit code: every expected message came)
// and the call's notifications on a real stream client: PROTOCOL §5 order (the lawfulness
// checker), the right id_queue, id_operator, and caller_id_num = the From user.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedAfterEach } from './helpers/per-test.ts';
import { ADMIN_TOKEN, http, vmToken, type TestServer } from './helpers/server.ts';
import type { TestClient } from './helpers/clients.ts';
import { explain, freePort, killSipps, runSipp, startSipp } from './helpers/sipp.ts';
import { until } from './helpers/until.ts';
import { LawfulChecker } from './engine-lawful.ts';
import { createSocket } from 'node:dgram';
import type { Notification, Update } from '../src/protocol/index.ts';
import type { TelephonySettings } from '../src/telephony/config.ts';

const ACCOUNT = 71;
const per = closedAfterEach();
afterEach(() => killSipps());

const scenarios = mkdtempSync(join(tmpdir(), 'vm-e2e-sipp-'));
afterAll(() => rmSync(scenarios, { recursive: true, force: true }));
let rendered = 0;

/** A scenario of test/sipp with its {{name}} placeholders filled (sipp substitutes no keyword in pauses or exec). */
function scenarioFile(name: string, values: Record<string, string | number>): string {
  let text = readFileSync(new URL(`./sipp/${name}.xml`, import.meta.url), 'utf8');
  for (const [k, v] of Object.entries(values)) text = text.replaceAll(`{{${k}}}`, String(v));
  const left = /\{\{(\w+)\}\}/.exec(text);
  if (left) throw new Error(`scenario ${name}: no value for {{${left[1]}}}`);
  const file = join(scenarios, `${++rendered}-${name}.xml`);
  writeFileSync(file, text);
  return file;
}

interface Rig {
  srv: TestServer;
  stream: TestClient;
  sip: string;
}

/** A server with SIP on loopback (port 0), the phones account, and a stream client on it. */
let media: TelephonySettings['media'] = 'node';

async function rig(gatewayPort?: number, extra: Partial<TelephonySettings> = {}): Promise<Rig> {
  const telephony: TelephonySettings = {
    sip: { host: '127.0.0.1', port: 0 },
    trust: ['127.0.0.1/32'],
    media,
    // One range per media plane: another test file may run beside this one.
    rtpPorts: media === 'node' ? { min: 21_000, max: 21_999 } : { min: 22_000, max: 22_999 },
    ...(gatewayPort ? { gateway: `sip:127.0.0.1:${gatewayPort}` } : {}),
    ...extra,
  };
  const srv = await per.server(['phones.json'], { telephony });
  const t = await vmToken(srv.url, 'phones-api', 'phones-secret', { user_type: 'api' });
  const stream = per.client(srv.url);
  await stream.init('api', ACCOUNT, t.body.id_session, { types: ['operator', 'UI', 'queue', 'trunk', 'num'] });
  const addr = srv.app.telephony!.address();
  return { srv, stream, sip: `${addr.host}:${addr.port}` };
}

async function login(r: Rig, op: number): Promise<void> {
  const a = await http(`${r.srv.url}/api/v1/accounts/${ACCOUNT}/operators/${op}/login`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(a.status, JSON.stringify(a.body)).toBe(200);
}

/** Registers a sipp "phone" as `user` from `port` (the binding is the source address). */
async function register(r: Rig, user: string, password: string, port: number): Promise<void> {
  const res = await runSipp({ scenario: 'register', target: r.sip, localPort: port, keys: { user, expires: 300, status: 200 }, auth: { username: user, password } });
  expect(res.code, explain(res)).toBe(0);
}

/** An 8 kHz µ-law WAV of a tone, what sipp's rtp_stream plays. */
function toneWav(seconds: number): string {
  const n = 8000 * seconds;
  const data = Buffer.alloc(n);
  for (let i = 0; i < n; i++) data[i] = mulaw(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
  const h = Buffer.alloc(58);
  h.write('RIFF', 0); h.writeUInt32LE(50 + n, 4); h.write('WAVE', 8);
  h.write('fmt ', 12); h.writeUInt32LE(18, 16); h.writeUInt16LE(7, 20); h.writeUInt16LE(1, 22);
  h.writeUInt32LE(8000, 24); h.writeUInt32LE(8000, 28); h.writeUInt16LE(1, 32); h.writeUInt16LE(8, 34); h.writeUInt16LE(0, 36);
  h.write('fact', 38); h.writeUInt32LE(4, 42); h.writeUInt32LE(n, 46);
  h.write('data', 50); h.writeUInt32LE(n, 54);
  const file = join(scenarios, `tone-${++rendered}.wav`);
  writeFileSync(file, Buffer.concat([h, data]));
  return file;
}

/** G.711 µ-law of one 16-bit sample (ITU-T G.711, for the fixture above). */
function mulaw(x: number): number {
  const sign = x < 0 ? 0x80 : 0;
  let m = Math.min(Math.abs(x), 32635) + 132;
  let exp = 7;
  for (let mask = 0x4000; (m & mask) === 0 && exp > 0; mask >>= 1) exp--;
  return ~(sign | (exp << 4) | ((m >> (exp + 3)) & 0x0f)) & 0xff;
}

const events = (s: TestClient) => s.updates.map((u: Update) => u.event as Notification);
const line = (n: Notification) => `${n.type_notification}/${n.event}${'status' in n.msg ? `:${String(n.msg.status)}` : ''}`;

const idOf = (n: Notification) => (n.msg as { id_call?: number }).id_call;

/** The first call's events once its num/end arrived (or the call of `caller`). */
async function callEvents(stream: TestClient, caller?: string): Promise<Notification[]> {
  const started = await until('a call to start', () =>
    events(stream).find((n) => n.type_notification === 'num' && n.event === 'start' && (caller === undefined || (n.msg as { caller_id_num?: string }).caller_id_num === caller)),
  );
  const id = (started.msg as { id_call: number }).id_call;
  await until(`num/end of call ${id}`, () => events(stream).some((n) => n.type_notification === 'num' && n.event === 'end' && (n.msg as { id_call: number }).id_call === id), 30_000);
  return events(stream).filter((n) => idOf(n) === id);
}

/** Operator ids of the call's operator events with this status, in order. */
const opsWith = (call: Notification[], status: string) =>
  call.filter((n) => n.type_notification === 'operator' && (n.msg as { status?: string }).status === status).map((n) => (n.msg as { id_operator: number }).id_operator);

/** A registered phone for `user` answering calls with `scenario` (a sipp UAS on the registered port). */
async function phone(r: Rig, user: string, password: string, scenario: string, values: Record<string, string | number>, calls = 1, extraArgs: string[] = []) {
  const port = await freePort();
  await register(r, user, password, port);
  return startSipp({ scenario: scenarioFile(scenario, values), localPort: port, calls, timeoutMs: 40_000, extraArgs });
}

async function done(run: { done: Promise<import('./helpers/sipp.ts').SippResult> }): Promise<void> {
  const res = await run.done;
  expect(res.code, explain(res)).toBe(0);
}

function lawful(stream: TestClient): void {
  const checker = new LawfulChecker(ACCOUNT);
  for (const n of events(stream)) checker.observe(n);
  expect(checker.finalErrors()).toEqual([]);
}

/** The suite, for one media plane (test/telephony-e2e*.test.ts: one file per plane, so they run side by side). */
export function e2eSuite(plane: TelephonySettings['media']): void {
  describe(`real calls over SIP (${plane} media)`, () => {
    beforeAll(() => {
      media = plane;
    });

    it('IVR key 1 by RFC 4733 → Sales → the operator at the gateway answers → the caller hangs up', async () => {
      const gw = await freePort();
      const phone = await startSipp({ scenario: scenarioFile('e2e-operator', { ring: 300 }), localPort: gw, timeoutMs: 30_000 });
      const r = await rig(gw);
      await login(r, 7101);
      const caller = await runSipp({ scenario: scenarioFile('e2e-caller', { dtmf: 1, before_dtmf: 400, talk: 2500 }), target: r.sip, service: '33100000071', keys: { caller: '33612345678' }, timeoutMs: 30_000 });
      expect(caller.code, explain(caller)).toBe(0);
      const op = await phone.done;
      expect(op.code, explain(op)).toBe(0);
      const call = await callEvents(r.stream);
      expect(call.map(line)).toEqual([
        'num/start', 'num/answer', 'queue/insert_call', 'operator/status:ringing', 'queue/connect_call:connected', 'operator/status:connected',
        'queue/delete_call', 'operator/status:available', 'num/end',
      ]);
      for (const n of call) {
        const m = n.msg as { caller_id_num?: string; id_queue?: number; id_operator?: number };
        if (m.caller_id_num !== undefined) expect(m.caller_id_num).toBe('33612345678');
        if (n.type_notification === 'queue') expect(m.id_queue).toBe(711);
        if (n.type_notification === 'operator') expect(m.id_operator).toBe(7101);
      }
      lawful(r.stream);
    }, 60_000);

    it('RTP reaches each side while the caller talks with the operator', async () => {
      const gw = await freePort();
      // The operator's phone echoes what it hears (sipp -rtp_echo): the caller then hears it back through the bridge.
      const op = await startSipp({ scenario: scenarioFile('e2e-operator', { ring: 100 }), localPort: gw, timeoutMs: 30_000, extraArgs: ['-rtp_echo'] });
      const r = await rig(gw);
      await login(r, 7101);
      const caller = startSipp({ scenario: scenarioFile('e2e-caller-talks', { wav: toneWav(2), talk: 4000 }), target: r.sip, service: '33100000072', keys: { caller: '33611111111' }, timeoutMs: 30_000 });
      const connected = await until('the operator connected', () => events(r.stream).find((n) => n.type_notification === 'operator' && (n.msg as { status?: string }).status === 'connected'), 20_000);
      const legs = r.srv.app.telephony!.b2bua.mediaLegs(ACCOUNT, idOf(connected)!)!;
      const media = r.srv.app.telephony!.media;
      const flowing = (leg: string | undefined) => {
        const s = leg ? media.stats(leg) : undefined;
        return !!s && s.rxPackets > 25 && s.txPackets > 25;
      };
      await until('RTP both ways on the caller leg and the operator leg', () => flowing(legs.caller) && flowing(legs.operators[7101]), 10_000);
      await done(await caller);
      await done(op);
      lawful(r.stream);
    }, 60_000);

    it('the caller abandons while the operator rings: the phone gets CANCEL, delete_call without connect_call', async () => {
      const gw = await freePort();
      const op = await startSipp({ scenario: scenarioFile('e2e-noanswer', {}), localPort: gw, timeoutMs: 30_000 });
      const r = await rig(gw);
      await login(r, 7101);
      const caller = await runSipp({ scenario: scenarioFile('e2e-caller-cancel', { wait: 1500 }), target: r.sip, service: '33100000072', keys: { caller: '33622222222' }, timeoutMs: 30_000 });
      expect(caller.code, explain(caller)).toBe(0);
      await done(op);
      const call = await callEvents(r.stream);
      expect(call.map(line)).toEqual(['num/start', 'queue/insert_call', 'operator/status:ringing', 'queue/delete_call', 'operator/status:available', 'num/end']);
      lawful(r.stream);
    }, 60_000);

    it('a busy phone (486) moves the call to the next operator, whose registered phone answers', async () => {
      const gw = await freePort();
      const busy = await startSipp({ scenario: scenarioFile('e2e-busy', {}), localPort: gw, timeoutMs: 30_000 });
      const r = await rig(gw);
      const bob = await phone(r, 'bob-phone', 'bob-secret-2', 'e2e-operator', { ring: 200 });
      await login(r, 7101);
      await login(r, 7102);
      const caller = await runSipp({ scenario: scenarioFile('e2e-caller-talks', { wav: toneWav(1), talk: 2500 }), target: r.sip, service: '33100000072', keys: { caller: '33633333333' }, timeoutMs: 30_000 });
      expect(caller.code, explain(caller)).toBe(0);
      await done(busy);
      await done(bob);
      const call = await callEvents(r.stream);
      expect(opsWith(call, 'ringing')).toEqual([7101, 7102]);
      expect(opsWith(call, 'connected')).toEqual([7102]);
      lawful(r.stream);
    }, 60_000);

    it('no answer: the ring timeout CANCELs the phone and the next operator rings', async () => {
      const gw = await freePort();
      const silent = await startSipp({ scenario: scenarioFile('e2e-noanswer', {}), localPort: gw, timeoutMs: 30_000 });
      const r = await rig(gw);
      const bob = await phone(r, 'bob-phone', 'bob-secret-2', 'e2e-operator', { ring: 200 });
      await login(r, 7101);
      await login(r, 7102);
      const caller = await runSipp({ scenario: scenarioFile('e2e-caller-talks', { wav: toneWav(1), talk: 7000 }), target: r.sip, service: '33100000072', keys: { caller: '33644444444' }, timeoutMs: 30_000 });
      expect(caller.code, explain(caller)).toBe(0);
      await done(silent);
      await done(bob);
      const call = await callEvents(r.stream);
      expect(opsWith(call, 'ringing')).toEqual([7101, 7102]);
      expect(opsWith(call, 'connected')).toEqual([7102]);
      lawful(r.stream);
    }, 60_000);

    it('ring-all forks: both phones ring, the first to answer gets the call, the other gets CANCEL', async () => {
      const gw = await freePort();
      const ann = await startSipp({ scenario: scenarioFile('e2e-noanswer', {}), localPort: gw, timeoutMs: 30_000 });
      const r = await rig(gw);
      const bob = await phone(r, 'bob-phone', 'bob-secret-2', 'e2e-operator', { ring: 500 });
      await login(r, 7101);
      await login(r, 7102);
      // IVR key 2 → Support, a ring-all group.
      const caller = await runSipp({ scenario: scenarioFile('e2e-caller', { dtmf: 2, before_dtmf: 300, talk: 3000 }), target: r.sip, service: '33100000071', keys: { caller: '33613131313' }, timeoutMs: 30_000 });
      expect(caller.code, explain(caller)).toBe(0);
      await done(ann); // rang, then CANCEL
      await done(bob);
      const call = await callEvents(r.stream);
      expect(opsWith(call, 'ringing').sort()).toEqual([7101, 7102]);
      expect(opsWith(call, 'connected')).toEqual([7102]);
      expect(call.find((n) => n.type_notification === 'queue' && n.event === 'insert_call')?.msg).toMatchObject({ id_queue: 712 });
      lawful(r.stream);
    }, 60_000);

    it('an INVITE without SDP (late offer): we offer in the 200, the ACK answers, the IVR and the operator work', async () => {
      const gw = await freePort();
      const phone = await startSipp({ scenario: scenarioFile('e2e-operator', { ring: 200 }), localPort: gw, timeoutMs: 30_000 });
      const r = await rig(gw);
      await login(r, 7101);
      const caller = await runSipp({ scenario: scenarioFile('e2e-caller-late', { dtmf: 1, before_dtmf: 400, talk: 2000 }), target: r.sip, service: '33100000071', keys: { caller: '33615151515' }, timeoutMs: 30_000 });
      expect(caller.code, explain(caller)).toBe(0);
      expect(caller.messages).toMatch(/SIP\/2.0 200 OK[\s\S]*m=audio \d+ RTP\/AVP/);
      await done(phone);
      const call = await callEvents(r.stream);
      expect(opsWith(call, 'connected')).toEqual([7101]);
      lawful(r.stream);
    }, 60_000);

    it('the operator hangs up: the caller gets BYE', async () => {
      const gw = await freePort();
      const op = await startSipp({ scenario: scenarioFile('e2e-operator-bye', { ring: 100, talk: 1500 }), localPort: gw, timeoutMs: 30_000 });
      const r = await rig(gw);
      await login(r, 7101);
      const caller = startSipp({ scenario: scenarioFile('e2e-caller-waits', { dtmf: 1, before_dtmf: 300 }), target: r.sip, service: '33100000071', keys: { caller: '33655555555' }, timeoutMs: 30_000 });
      await done(op);
      await done(await caller);
      const call = await callEvents(r.stream);
      expect(call.map(line)).toEqual([
        'num/start', 'num/answer', 'queue/insert_call', 'operator/status:ringing', 'queue/connect_call:connected', 'operator/status:connected',
        'queue/delete_call', 'operator/status:available', 'num/end',
      ]);
      lawful(r.stream);
    }, 60_000);

    it('a trunk route dials the destination through the gateway and bridges it', async () => {
      const gw = await freePort();
      const far = await startSipp({ scenario: scenarioFile('e2e-operator', { ring: 200 }), localPort: gw, timeoutMs: 30_000 });
      const r = await rig(gw);
      const caller = await runSipp({ scenario: scenarioFile('e2e-caller-talks', { wav: toneWav(1), talk: 2000 }), target: r.sip, service: '33100000073', keys: { caller: '33666666666' }, timeoutMs: 30_000 });
      expect(caller.code, explain(caller)).toBe(0);
      const res = await far.done;
      expect(res.code, explain(res)).toBe(0);
      // The far party was called at the trunk's destination.
      expect(res.messages).toMatch(/INVITE sip:33970000071@/);
      const call = await callEvents(r.stream);
      expect(call.map(line).filter((l) => !l.startsWith('operator/'))).toEqual(['num/start', 'trunk/insert_call', 'trunk/connect_call:connected', 'trunk/delete_call', 'num/end']);
      lawful(r.stream);
    }, 60_000);

    it('a gateway that asks for digest authentication gets the configured credentials (VM_SIP_GATEWAY_AUTH)', async () => {
      const gw = await freePort();
      // sipp challenges with 401 and answers only if the retried INVITE carries alice/secret (verifyauth).
      const far = await startSipp({ scenario: 'uas-auth', localPort: gw, timeoutMs: 30_000 });
      const r = await rig(gw, { gatewayAuth: { username: 'alice', password: 'secret' } });
      const caller = await runSipp({ scenario: scenarioFile('e2e-caller-talks', { wav: toneWav(1), talk: 1500 }), target: r.sip, service: '33100000073', keys: { caller: '33612121212' }, timeoutMs: 30_000 });
      expect(caller.code, explain(caller)).toBe(0);
      await done(far);
      const call = await callEvents(r.stream);
      expect(call.map(line).filter((l) => l.startsWith('trunk/'))).toEqual(['trunk/insert_call', 'trunk/connect_call:connected', 'trunk/delete_call']);
      lawful(r.stream);
    }, 60_000);

    it("a blind transfer releases the operator's phone and rings the other group's operator", async () => {
      const gw = await freePort();
      const ann = await startSipp({ scenario: scenarioFile('e2e-operator', { ring: 100 }), localPort: gw, timeoutMs: 40_000 });
      const r = await rig(gw);
      const bob = await phone(r, 'bob-phone', 'bob-secret-2', 'e2e-operator', { ring: 100 });
      await login(r, 7101);
      const caller = startSipp({ scenario: scenarioFile('e2e-caller-talks', { wav: toneWav(1), talk: 6000 }), target: r.sip, service: '33100000072', keys: { caller: '33677777777' }, timeoutMs: 30_000 });
      await until('Ann connected', () => events(r.stream).some((n) => n.type_notification === 'operator' && (n.msg as { status?: string; id_operator?: number }).status === 'connected'), 20_000);
      await login(r, 7102);
      const t = await http(`${r.srv.url}/api/v1/accounts/${ACCOUNT}/operators/7101/transfer`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'group', id: 712 }) });
      expect(t.status, JSON.stringify(t.body)).toBe(200);
      await done(ann); // released: BYE
      await done(await caller);
      await done(bob);
      const call = await callEvents(r.stream);
      expect(opsWith(call, 'connected')).toEqual([7101, 7102]);
      lawful(r.stream);
    }, 60_000);

    it('an untrusted source is challenged, gets 403 with wrong credentials, and creates nothing; junk datagrams harm nothing; then a good call works', async () => {
      const gw = await freePort();
      const op = await startSipp({ scenario: scenarioFile('e2e-operator', { ring: 100 }), localPort: gw, timeoutMs: 30_000 });
      const r = await rig(gw);
      await login(r, 7101);
      const refused = await runSipp({ scenario: scenarioFile('e2e-caller-refused', {}), target: r.sip, service: '33100000072', localIp: '127.0.0.2', keys: { caller: '33688888888' }, auth: { username: 'ann-phone', password: 'not-her-password' }, timeoutMs: 15_000 });
      expect(refused.code, explain(refused)).toBe(0);
      const [host, port] = [r.sip.split(':')[0]!, Number(r.sip.split(':')[1])];
      const junk = createSocket('udp4');
      for (let i = 0; i < 200; i++) {
        const size = 1 + ((i * 7919) % 1400);
        const buf = Buffer.alloc(size, i);
        if (i % 3 === 0) buf.write('INVITE sip:33100000072@x SIP/2.0\r\nVia: garbage\r\n\r\n');
        junk.send(buf, port, host);
      }
      await new Promise<void>((resolve) => junk.close(() => resolve()));
      const caller = await runSipp({ scenario: scenarioFile('e2e-caller-talks', { wav: toneWav(1), talk: 1500 }), target: r.sip, service: '33100000072', keys: { caller: '33699999999' }, timeoutMs: 30_000 });
      expect(caller.code, explain(caller)).toBe(0);
      await done(op);
      const starts = events(r.stream).filter((n) => n.type_notification === 'num' && n.event === 'start');
      expect(starts.map((n) => (n.msg as { caller_id_num: string }).caller_id_num)).toEqual(['33699999999']);
      lawful(r.stream);
    }, 60_000);
  });
}
