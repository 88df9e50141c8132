// The rig of the real-call tests: a server with SIP on loopback (port 0) and a media plane,
// a stream client on it, sipp scenarios of test/sipp with their {{placeholders}} filled,
// operators logged in, registered sipp phones, a tone WAV for sipp's rtp_stream, and what
// the tests read of a call's notifications (its events in order, the lawfulness checker).
// Call `telephonyKit()` once at the top of a test file: it registers the afterEach/afterAll
// that close servers, clients and sipps and remove the rendered scenarios.
//
// RTP port ranges: each test file has its own, all below the kernel's ephemeral range
// (32768–60999), where freePort and sipp's own sockets take theirs, so a range a server
// allocates from never holds a port someone picked for sipp:
//   21000–21999 e2e node, 22000–22999 e2e rtpengine, 23000–23999 calls node,
//   24000–24999 calls rtpengine, 25000–25999 demo, 26000–26099 demo CLI,
//   27000–28999 load, 29000–29199 wallboard, 29200–29399 softphone node,
//   29400–29599 softphone rtpengine, 29600–29699 operator toolbar, 30000–30199 gateway,
//   30200–30399 listen node, 30400–30599 listen rtpengine,
//   31000–31999 media-rtpengine.
import { afterAll, afterEach, expect } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedAfterEach, type PerTest } from './per-test.ts';
import { ADMIN_TOKEN, http, vmToken, type TestServer } from './server.ts';
import type { TestClient } from './clients.ts';
import { explain, freePort, killSipps, runSipp, startSipp, type SippResult, type SippRun } from './sipp.ts';
import { until } from './until.ts';
import { linearToUlaw } from './wav.ts';
import { LawfulChecker } from '../engine-lawful.ts';
import type { Notification, NotificationType, Update } from '../../src/protocol/index.ts';
import type { TelephonySettings } from '../../src/telephony/config.ts';
import type { AppOptions } from '../../src/http/app.ts';

export interface Rig {
  srv: TestServer;
  stream: TestClient;
  /** `host:port` of the server's SIP endpoint. */
  sip: string;
  account: number;
}

export interface RigOptions {
  /** Account files of test/fixtures to import. @default ['phones.json'] */
  fixtures?: string[];
  /** The account the stream client follows. @default 71 */
  account?: number;
  /** The API user of that account (stream token). @default phones-api / phones-secret */
  apiUser?: { login: string; password: string };
  media: TelephonySettings['media'];
  /** RTP ports of this rig: one range per file and media plane (files run side by side). */
  rtpPorts: { min: number; max: number };
  /** The gateway sipp's SIP port (legs to e164 numbers go there). */
  gatewayPort?: number;
  telephony?: Partial<TelephonySettings>;
  /** More server options (e.g. dataDir). */
  server?: Partial<AppOptions> & { dataDir?: string };
  /** Notification types of the stream. @default operator, UI, queue, trunk, num */
  types?: NotificationType[];
}

export interface TelephonyKit {
  per: PerTest;
  /** A scenario of test/sipp with its {{name}} placeholders filled (sipp substitutes no keyword in pauses or exec). */
  scenarioFile(name: string, values: Record<string, string | number>): string;
  /** A server with SIP on loopback (port 0) and a stream client following the account. */
  rig(o: RigOptions): Promise<Rig>;
  /** An 8 kHz µ-law WAV of a `freq` Hz tone, what sipp's rtp_stream plays. */
  toneWav(seconds: number, freq?: number): string;
  /** A registered phone for `user` answering calls with `scenario` (a sipp UAS on the registered port). */
  phone(r: Rig, user: string, password: string, scenario: string, values: Record<string, string | number>, calls?: number, extraArgs?: string[]): Promise<SippRun>;
  /** A file in the kit's temporary directory. */
  tmpFile(name: string): string;
}

export function telephonyKit(): TelephonyKit {
  const per = closedAfterEach();
  afterEach(() => killSipps());
  const dir = mkdtempSync(join(tmpdir(), 'vm-tel-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let rendered = 0;

  const scenarioFile = (name: string, values: Record<string, string | number>): string => {
    let text = readFileSync(new URL(`../sipp/${name}.xml`, import.meta.url), 'utf8');
    for (const [k, v] of Object.entries(values)) text = text.replaceAll(`{{${k}}}`, String(v));
    const left = /\{\{(\w+)\}\}/.exec(text);
    if (left) throw new Error(`scenario ${name}: no value for {{${left[1]}}}`);
    const file = join(dir, `${++rendered}-${name}.xml`);
    writeFileSync(file, text);
    return file;
  };

  const rig = async (o: RigOptions): Promise<Rig> => {
    const account = o.account ?? 71;
    const telephony: TelephonySettings = {
      sip: { host: '127.0.0.1', port: 0 },
      trust: ['127.0.0.1/32'],
      media: o.media,
      rtpPorts: o.rtpPorts,
      ...(o.gatewayPort ? { gateway: `sip:127.0.0.1:${o.gatewayPort}` } : {}),
      ...o.telephony,
    };
    const srv = await per.server(o.fixtures ?? ['phones.json'], { ...o.server, telephony });
    const user = o.apiUser ?? { login: 'phones-api', password: 'phones-secret' };
    const t = await vmToken(srv.url, user.login, user.password, { user_type: 'api' });
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    const stream = per.client(srv.url);
    const ack = await stream.init('api', account, t.body.id_session, { types: o.types ?? ['operator', 'UI', 'queue', 'trunk', 'num'] });
    expect(ack).toMatchObject({ ok: true });
    const addr = srv.app.telephony!.address();
    return { srv, stream, sip: `${addr.host}:${addr.port}`, account };
  };

  const toneWav = (seconds: number, freq = 440): string => {
    const n = 8000 * seconds;
    const data = Buffer.alloc(n);
    for (let i = 0; i < n; i++) data[i] = linearToUlaw(8000 * Math.sin((2 * Math.PI * freq * i) / 8000));
    const h = Buffer.alloc(58);
    h.write('RIFF', 0); h.writeUInt32LE(50 + n, 4); h.write('WAVE', 8);
    h.write('fmt ', 12); h.writeUInt32LE(18, 16); h.writeUInt16LE(7, 20); h.writeUInt16LE(1, 22);
    h.writeUInt32LE(8000, 24); h.writeUInt32LE(8000, 28); h.writeUInt16LE(1, 32); h.writeUInt16LE(8, 34); h.writeUInt16LE(0, 36);
    h.write('fact', 38); h.writeUInt32LE(4, 42); h.writeUInt32LE(n, 46);
    h.write('data', 50); h.writeUInt32LE(n, 54);
    const file = join(dir, `tone-${++rendered}.wav`);
    writeFileSync(file, Buffer.concat([h, data]));
    return file;
  };

  const phone: TelephonyKit['phone'] = async (r, user, password, scenario, values, calls = 1, extraArgs = []) => {
    const port = await freePort();
    await register(r, user, password, port);
    return startSipp({ scenario: scenarioFile(scenario, values), localPort: port, calls, timeoutMs: 40_000, extraArgs });
  };

  return { per, scenarioFile, rig, toneWav, phone, tmpFile: (name) => join(dir, name) };
}

/** Logs an operator in through the call-control API. */
export async function login(r: Rig, op: number): Promise<void> {
  const a = await http(`${r.srv.url}/api/v1/accounts/${r.account}/operators/${op}/login`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(a.status, JSON.stringify(a.body)).toBe(200);
}

/** Registers a sipp "phone" as `user` from `port` (the binding is the source address). */
export async function register(r: Rig, user: string, password: string, port: number): Promise<void> {
  const res = await runSipp({ scenario: 'register', target: r.sip, localPort: port, keys: { user, expires: 300, status: 200 }, auth: { username: user, password } });
  expect(res.code, explain(res)).toBe(0);
}

/** Waits for a sipp run and expects it to have succeeded (every expected message came). */
export async function done(run: { done: Promise<SippResult> }): Promise<SippResult> {
  const res = await run.done;
  expect(res.code, explain(res)).toBe(0);
  return res;
}

export const events = (s: TestClient): Notification[] => s.updates.map((u: Update) => u.event as Notification);
/** `type/event[:status]` of a notification, to compare sequences. */
export const line = (n: Notification): string => `${n.type_notification}/${n.event}${'status' in n.msg ? `:${String(n.msg.status)}` : ''}`;
export const idOf = (n: Notification): number | undefined => (n.msg as { id_call?: number }).id_call;

/** The first call's events once its num/end arrived (or the call of `caller`). */
export async function callEvents(stream: TestClient, caller?: string, timeoutMs = 30_000): Promise<Notification[]> {
  const started = await until('a call to start', () =>
    events(stream).find((n) => n.type_notification === 'num' && n.event === 'start' && (caller === undefined || (n.msg as { caller_id_num?: string }).caller_id_num === caller)),
  timeoutMs);
  const id = (started.msg as { id_call: number }).id_call;
  await until(`num/end of call ${id}`, () => events(stream).some((n) => n.type_notification === 'num' && n.event === 'end' && idOf(n) === id), timeoutMs);
  return events(stream).filter((n) => idOf(n) === id);
}

/** Operator ids of the call's operator events with this status, in order. */
export const opsWith = (call: Notification[], status: string): number[] =>
  call.filter((n) => n.type_notification === 'operator' && (n.msg as { status?: string }).status === status).map((n) => (n.msg as { id_operator: number }).id_operator);

/** The whole stream is lawful (PROTOCOL §5) and every call on it ended. */
export function lawful(stream: TestClient, account: number): void {
  const checker = new LawfulChecker(account);
  for (const n of events(stream)) checker.observe(n);
  expect(checker.finalErrors()).toEqual([]);
}

/** The first operator event with `status` (optionally of operator `op`), once it came. */
export function operatorStatus(stream: TestClient, status: string, timeoutMs = 20_000, op?: number): Promise<Notification> {
  return until(`an operator ${status}`, () =>
    events(stream).find((n) => n.type_notification === 'operator' && (n.msg as { status?: string }).status === status && (op === undefined || (n.msg as { id_operator?: number }).id_operator === op)),
  timeoutMs);
}
