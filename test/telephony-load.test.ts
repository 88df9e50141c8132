// The bounded load run of issue 10: 200 concurrent bridged calls for 60 s with 0 failed
// calls. One sipp is the carrier (`-l 200 -m 200 -r 50`, each call streaming a tone for
// 60 s), another the gateway where 200 logged-in operators are reached at their e164
// (answers, echoes RTP back with -rtp_echo, waits for the BYE). Checked: sipp's exit code on
// both sides (0: every call went through its scenario), every call connected and ended
// lawfully on the stream, and RTP relayed both ways on a sample of legs.
//
// Embedded media only: this file proves the B2BUA and the default plane hold the load on a
// shared 2-core machine inside a bounded test time; rtpengine under load (and the two planes
// side by side) is the benchmark's job (`npm run bench -- sip`), and running both here would
// double a 70-second run that already takes much of the machine.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importAccountFile } from '../src/cli/directory.ts';
import { createSqliteStore } from '../src/store/sqlite/index.ts';
import type { Notification } from '../src/protocol/index.ts';
import { explain, freePort, startSipp } from './helpers/sipp.ts';
import { until } from './helpers/until.ts';
import { events, idOf, lawful, line, login, telephonyKit } from './helpers/telephony.ts';

const ACCOUNT = 81;
const OPERATORS = 200;
const CALLS = 200;
const TALK_MS = 60_000;
const SAMPLE = 10;

const kit = telephonyKit();
const tmp = mkdtempSync(join(tmpdir(), 'vm-load-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** An account with one longest-idle group of OPERATORS operators, each reached at an e164. */
function accountFile(): string {
  const ops = Array.from({ length: OPERATORS }, (_, i) => ({ id: 8101 + i, name: `Op ${i + 1}`, groups: [811], e164: `33700${String(100_000 + i)}` }));
  const file = join(tmp, 'load.json');
  writeFileSync(file, JSON.stringify({
    account: { id: ACCOUNT, name: 'Load' },
    groups: [{ id: 811, name: 'Everyone', strategy: 'longest-idle', ring_timeout: 10 }],
    operators: ops,
    numbers: [{ id: 8101, name: 'Load line', service: '33100000081', route: { type: 'group', id: 811 } }],
    api_users: [{ login: 'load-api', password: 'load-secret' }],
  }));
  return file;
}

describe('load', () => {
  it(`${CALLS} concurrent bridged calls for ${TALK_MS / 1000} s: 0 failed calls, every call connected and ended lawfully, RTP relayed`, async () => {
    const dataDir = join(tmp, 'data');
    const store = createSqliteStore(dataDir);
    await importAccountFile(store, accountFile());
    await store.close();

    const gw = await freePort();
    const gateway = await startSipp({ scenario: kit.scenarioFile('e2e-operator', { ring: 100 }), localPort: gw, calls: CALLS, timeoutMs: 140_000, extraArgs: ['-rtp_echo'] });
    const r = await kit.rig({
      fixtures: [],
      account: ACCOUNT,
      apiUser: { login: 'load-api', password: 'load-secret' },
      media: 'node',
      rtpPorts: { min: 27_000, max: 28_999 },
      gatewayPort: gw,
      server: { dataDir },
    });
    for (let i = 0; i < OPERATORS; i++) await login(r, 8101 + i);

    const caller = startSipp({
      scenario: kit.scenarioFile('e2e-caller-talks', { wav: kit.toneWav(2), talk: TALK_MS }),
      target: r.sip, service: '33100000081', keys: { caller: '33688800000' },
      calls: CALLS, limit: CALLS, rate: 50, timeoutMs: 140_000,
    });
    const connected = () => events(r.stream).filter((n) => n.type_notification === 'queue' && n.event === 'connect_call');
    await until(`${CALLS} calls connected`, () => connected().length >= CALLS, 40_000, 200).catch(async (err: Error) => {
      const starts = events(r.stream).filter((n) => n.type_notification === 'num' && n.event === 'start').length;
      gateway.kill();
      const g = await gateway.done;
      throw new Error(`${err.message}: ${connected().length} connected of ${starts} started; SIP ${JSON.stringify(r.srv.app.telephony!.sip.stats())}\ngateway: ${explain(g).slice(0, 3000)}`);
    });

    // While all of them talk: RTP both ways on the caller's and the operator's leg of a sample.
    const telephony = r.srv.app.telephony!;
    const sample = connected().filter((_, i) => i % Math.floor(CALLS / SAMPLE) === 0).map((n) => idOf(n)!);
    expect(sample).toHaveLength(SAMPLE);
    for (const id of sample) {
      const legs = telephony.b2bua.mediaLegs(ACCOUNT, id);
      expect(legs, `call ${id} has its legs`).toBeDefined();
      const operatorLeg = Object.values(legs!.operators)[0];
      const flowing = (leg: string | undefined) => {
        const s = leg ? telephony.media.stats(leg) : undefined;
        return !!s && s.rxPackets > 100 && s.txPackets > 100;
      };
      await until(`RTP both ways on call ${id}`, () => flowing(legs!.caller) && flowing(operatorLeg), 15_000, 100);
    }

    const callerRes = await (await caller).done;
    expect(callerRes.code, explain(callerRes)).toBe(0);
    const gatewayRes = await gateway.done;
    expect(gatewayRes.code, explain(gatewayRes)).toBe(0);

    const ends = () => events(r.stream).filter((n) => n.type_notification === 'num' && n.event === 'end');
    await until(`${CALLS} calls ended`, () => ends().length >= CALLS, 20_000, 200);
    const byCall = new Map<number, Notification[]>();
    for (const n of events(r.stream)) {
      const id = idOf(n);
      if (id === undefined) continue;
      byCall.set(id, [...(byCall.get(id) ?? []), n]);
    }
    expect(byCall.size).toBe(CALLS);
    for (const [id, call] of byCall) {
      expect(call.map(line), `call ${id}`).toEqual([
        'num/start', 'queue/insert_call', 'operator/status:ringing', 'queue/connect_call:connected', 'operator/status:connected',
        'queue/delete_call', 'operator/status:available', 'num/end',
      ]);
    }
    lawful(r.stream, ACCOUNT);
    expect(telephony.b2bua.size).toBe(0);
  }, 150_000);
});
