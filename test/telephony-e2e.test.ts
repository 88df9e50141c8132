// Real calls end to end: sipp plays the carrier (INVITE to a service number, RFC 4733 DTMF
// from a real capture, BYE) and the operators' phones (a gateway number, registered
// devices with digest auth); the platform is a real server with SIP and the embedded
// media. Each case checks the SIP outcome (sipp's exit code: every expected message came)
// and the call's notifications on a real stream client: PROTOCOL §5 order (the lawfulness
// checker), the right id_queue, id_operator, and caller_id_num = the From user.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedAfterEach } from './helpers/per-test.ts';
import { ADMIN_TOKEN, http, vmToken, type TestServer } from './helpers/server.ts';
import type { TestClient } from './helpers/clients.ts';
import { explain, freePort, killSipps, runSipp, startSipp } from './helpers/sipp.ts';
import { until } from './helpers/until.ts';
import { LawfulChecker } from './engine-lawful.ts';
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
async function rig(gatewayPort?: number, extra: Partial<TelephonySettings> = {}): Promise<Rig> {
  const telephony: TelephonySettings = {
    sip: { host: '127.0.0.1', port: 0 },
    trust: ['127.0.0.1/32'],
    media: 'node',
    rtpPorts: { min: 40_000, max: 40_999 },
    ...(gatewayPort ? { gateway: `sip:127.0.0.1:${gatewayPort}` } : {}),
    ...extra,
  };
  const srv = await per.server(['phones.json'], { telephony });
  const t = await vmToken(srv.url, 'phones-api', 'phones-secret', { user_type: 'api' });
  const stream = per.client(srv.url);
  await stream.init('api', ACCOUNT, t.body.id_session, { types: ['operator', 'UI', 'queue', 'num'] });
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

const events = (s: TestClient) => s.updates.map((u: Update) => u.event as Notification);
const line = (n: Notification) => `${n.type_notification}/${n.event}${'status' in n.msg ? `:${String(n.msg.status)}` : ''}`;

/** The call's events once its num/end arrived. */
async function callEvents(stream: TestClient): Promise<Notification[]> {
  const started = await until('a call to start', () => events(stream).find((n) => n.type_notification === 'num' && n.event === 'start'));
  const id = (started.msg as { id_call: number }).id_call;
  await until(`num/end of call ${id}`, () => events(stream).some((n) => n.type_notification === 'num' && n.event === 'end' && (n.msg as { id_call: number }).id_call === id), 30_000);
  return events(stream).filter((n) => (n.msg as { id_call?: number }).id_call === id);
}

function lawful(stream: TestClient): void {
  const checker = new LawfulChecker(ACCOUNT);
  for (const n of events(stream)) checker.observe(n);
  expect(checker.finalErrors()).toEqual([]);
}

describe('real calls over SIP (embedded media)', () => {
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
});
