// The demo path of issue 10: a person calls the demo center from a softphone and a
// simulated operator answers with a voice prompt, and the call shows on the stream as a
// simulated one does. Here sipp is the softphone, the server runs SIP and the demo
// center's live simulation (as `vm demo` does), on both media planes; and `vm demo --json`
// itself prints a SIP URI that answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DEMO_API, DEMO_FILE, DEMO_OPERATOR } from '../src/cli/demo.ts';
import { importAccountFile } from '../src/cli/directory.ts';
import { createSqliteStore } from '../src/store/sqlite/index.ts';
import { liveSimulation } from '../src/sim/index.ts';
import { LawfulChecker } from './engine-lawful.ts';
import { spawnVm } from './helpers/cli.ts';
import { explain, runSipp, startSipp, untilSipp } from './helpers/sipp.ts';
import { ADMIN_TOKEN, http, wsInit } from './helpers/server.ts';
import { until } from './helpers/until.ts';
import { callEvents, done, events, idOf, line, login, telephonyKit } from './helpers/telephony.ts';
import type { TelephonySettings } from '../src/telephony/config.ts';

const kit = telephonyKit();
const tmp = mkdtempSync(join(tmpdir(), 'vm-demo-sip-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

let media: TelephonySettings['media'] = 'node';
let dirs = 0;

/** A server with SIP on the demo center, imported into its data directory first as `vm demo` does. */
async function demoRig() {
  const dataDir = join(tmp, `data-${++dirs}`);
  const store = createSqliteStore(dataDir);
  const { accountId } = await importAccountFile(store, DEMO_FILE);
  await store.close();
  const r = await kit.rig({
    fixtures: [],
    account: accountId,
    apiUser: DEMO_API,
    media,
    rtpPorts: media === 'node' ? { min: 25_000, max: 25_499 } : { min: 25_500, max: 25_999 },
    server: { dataDir },
  });
  return { r, accountId };
}

describe.each([['node'], ['rtpengine']] as const)('a SIP call into the live demo center (%s media)', (plane) => {
  beforeAll(() => {
    media = plane;
  });

  it('Sales direct: a simulated operator answers with the operator prompt; the stream shows ringing → connected; the caller hangs up', async () => {
    const { r, accountId } = await demoRig();
    // The demo's live simulation (what startSimulations attaches), its simulated people
    // tamed so that they never end this test's call themselves: no conversation ends before
    // a day, no transfer. The SIP caller is the one who hangs up.
    await r.srv.app.services.engines.attach(accountId, liveSimulation({ ahtSec: 86_400, transferShare: 0 }));
    const operators = new Set(((await r.srv.app.services.store.directory.getDirectory(accountId))?.operators ?? []).map((o) => o.id));

    // The caller echoes what it hears (sipp -rtp_echo): what the platform receives back on
    // the caller's leg is what reached the caller (rtpengine counts only what it receives).
    // Every wait below is bounded by the caller's own run too: a caller that fails (an
    // unexpected BYE) fails the test at once, with what it saw.
    const caller = await startSipp({ scenario: kit.scenarioFile('e2e-caller-listens', { talk: 14_000 }), target: r.sip, service: '33180000002', keys: { caller: '33622200001' }, timeoutMs: 40_000, extraArgs: ['-rtp_echo'] });
    const start = await untilSipp(caller, 'the SIP call on the stream', () => events(r.stream).find((n) => n.type_notification === 'num' && n.event === 'start' && (n.msg as { caller_id_num?: string }).caller_id_num === '33622200001'), 20_000);
    const id = idOf(start)!;
    const connected = await untilSipp(caller, 'a simulated operator answered', () => events(r.stream).find((n) => n.type_notification === 'operator' && idOf(n) === id && (n.msg as { status?: string }).status === 'connected'), 20_000);
    const op = (connected.msg as { id_operator: number }).id_operator;
    expect(operators.has(op)).toBe(true);

    // No SIP leg for a simulated operator: the B2BUA plays default:operator to the caller.
    const legs = r.srv.app.telephony!.b2bua.mediaLegs(accountId, id)!;
    expect(legs.operators).toEqual({});
    const plane = r.srv.app.telephony!.media;
    const echoed = () => plane.stats(legs.caller!)?.rxPackets ?? 0;
    const before = echoed();
    await untilSipp(caller, 'RTP to the caller (echoed back) after the answer', () => echoed() >= before + 50, 10_000);

    await done(caller);
    await until(`num/end of call ${id}`, () => events(r.stream).some((n) => n.type_notification === 'num' && n.event === 'end' && idOf(n) === id), 15_000);
    const call = events(r.stream).filter((n) => idOf(n) === id);
    expect(call.map(line)).toEqual([
      'num/start', 'num/answer', 'queue/insert_call', 'operator/status:ringing', 'queue/connect_call:connected', 'operator/status:connected',
      'queue/delete_call', expect.stringMatching(/^operator\/status:(available|wrapup)$/), 'num/end',
    ]);
    for (const n of call) {
      if (n.type_notification === 'queue') expect(n.msg).toMatchObject({ id_queue: 1 });
      if (n.type_notification === 'operator') expect(n.msg).toMatchObject({ id_operator: op });
    }
    // The whole stream, simulated calls and ours, is lawful so far (simulated calls may still run).
    const checker = new LawfulChecker(accountId);
    for (const n of events(r.stream)) checker.observe(n);
    expect(checker.errors).toEqual([]);
    const track = checker.calls.get(id)!;
    expect([track.ended, track.leg, track.operators.size]).toEqual([true, null, 0]);
  }, 90_000);

  it('a simulated operator who ends the conversation hangs up the SIP caller (BYE)', async () => {
    const { r, accountId } = await demoRig();
    // Short conversations: the simulated operator hangs up within seconds.
    await r.srv.app.services.engines.attach(accountId, liveSimulation({ ahtSec: 2, transferShare: 0 }));
    const caller = await runSipp({ scenario: kit.scenarioFile('e2e-caller-waits', { dtmf: 1, before_dtmf: 200 }), target: r.sip, service: '33180000002', keys: { caller: '33622200002' }, timeoutMs: 60_000 });
    expect(caller.code, explain(caller)).toBe(0);
    const call = await callEvents(r.stream, '33622200002');
    expect(call.map(line)).toContain('operator/status:connected');
    expect(call.at(-1)).toMatchObject({ type_notification: 'num', event: 'end' });
  }, 90_000);
});

describe('vm demo --json', () => {
  it('prints a sip URI to call the demo center, which answers SIP; the demo phone and your toolbar (signed in by its link, or operator / demo)', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', PORT: '0', VM_SIP: '127.0.0.1:0', VM_RTP_PORTS: '26000-26099' };
    for (const k of ['VM_URL', 'HOST', 'VM_DATA', 'VM_PASSWORD', 'VM_MEDIA'] as const) delete env[k];
    const child = spawnVm(['demo', '--data', join(tmp, 'cli-data'), '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const line = await new Promise<Record<string, unknown>>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', (l) => resolve(JSON.parse(l) as Record<string, unknown>));
      child.once('close', (code) => reject(new Error(`vm demo exited with ${code}: ${stderr}`)));
    });
    try {
      const m = /^sip:33180000001@127\.0\.0\.1:(\d+)$/.exec(String(line.sip));
      expect(m, JSON.stringify(line)).not.toBeNull();
      const port = Number(m![1]);
      expect(port).toBeGreaterThan(0);
      const res = await runSipp({ scenario: 'options', target: `127.0.0.1:${port}`, service: '33180000001', keys: { caller: '33622200002' } });
      expect(res.code, explain(res)).toBe(0);

      // The demo phone page, served by the demo.
      const url = String(line.url);
      expect(line.phone).toBe(`${url}/demo/phone`);
      expect((await http(String(line.phone), { headers: { accept: 'text/html' } })).status).toBe(200);
      // Your toolbar: the link signs in as the demo's operator (an agent token), or log in with these.
      expect(line.operator).toEqual({ id: DEMO_OPERATOR.id, login: 'operator', password: 'demo' });
      const toolbar = new URL(String(line.toolbar));
      expect(`${toolbar.origin}${toolbar.pathname}`).toBe(`${url}/operator/`);
      const token = toolbar.searchParams.get('token_session');
      const soft = await http(`${url}/api/v1/accounts/${String(line.account)}/operators/${DEMO_OPERATOR.id}/softphone`, { headers: { authorization: `Bearer ${token}` } });
      expect(soft.status, JSON.stringify(soft.body)).toBe(200);
      expect(soft.body).toMatchObject({ ws_path: '/sip', username: 'operator' });
      const signin = await wsInit(url, 'operator', 'demo', { accountType: 'operator' });
      expect(signin.status, JSON.stringify(signin.body)).toBe(200);
      // WebRTC's ICE address: this machine's first non-loopback IPv4 (none: null, and a warning).
      expect(line.webrtc_address === null || /^\d+\.\d+\.\d+\.\d+$/.test(String(line.webrtc_address))).toBe(true);
      if (line.webrtc_address === null) expect(stderr).toMatch(/No non-loopback IPv4 address/);
    } finally {
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('close', () => resolve());
        child.kill('SIGTERM');
      });
    }
  }, 60_000);

  it("a simulated call's trunk leg is the simulation's, not dialled over SIP (no gateway needed)", async () => {
    const r = await kit.rig({ media, rtpPorts: media === 'node' ? { min: 25_000, max: 25_499 } : { min: 25_500, max: 25_999 } });
    const seen: string[] = [];
    await r.srv.app.services.engines.attach(71, () => ({ telephony: { command: (c) => seen.push(c.op === 'dial' ? `dial ${c.purpose} ${c.e164}` : c.op) }, start() {}, stop() {} }));
    // A call placed through the call-control API (a PBX), never seen by SIP, on the trunk line.
    const placed = await http(`${r.srv.url}/api/v1/accounts/71/calls`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ service: '33100000073', caller: '33622200003' }) });
    expect(placed.status, JSON.stringify(placed.body)).toBe(200);
    await until('the simulation got the trunk dial', () => seen.includes('dial trunk 33970000071'), 10_000);
    expect(seen).not.toContain('hangup');
  }, 60_000);

  it("a simulated operator's own call (outgoing, callback) is the simulation's, not hung up for want of a gateway", async () => {
    const r = await kit.rig({ media, rtpPorts: media === 'node' ? { min: 25_000, max: 25_499 } : { min: 25_500, max: 25_999 } });
    const seen: string[] = [];
    await r.srv.app.services.engines.attach(71, () => ({ telephony: { command: (c) => seen.push(c.op === 'dial' ? `dial ${c.purpose} ${c.e164} ${c.id_operator}` : c.op) }, start() {}, stop() {} }));
    // Bob's phone never registered: his calls are the simulation's (the demo's callbacks
    // were hung up with 'no --sip-gateway' before).
    await login(r, 7102);
    const placed = await http(`${r.srv.url}/api/v1/accounts/71/operators/7102/call`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ e164: '33612345678' }) });
    expect(placed.status, JSON.stringify(placed.body)).toBe(200);
    await until('the simulation got the outgoing dial', () => seen.includes('dial outgoing 33612345678 7102'), 10_000);
    expect(seen).not.toContain('hangup');
    const calls = await http(`${r.srv.url}/api/v1/accounts/71/calls`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(calls.body, JSON.stringify(calls.body)).toHaveLength(1);
  }, 60_000);
});
