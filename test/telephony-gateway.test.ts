// Keep-alive of the outbound gateway (issue 10): an OPTIONS every interval to the
// `--sip-gateway`; one that answers none 3 times in a row is down (on /healthz), and legs
// to e164 numbers then fail at once as unreachable, without an INVITE, so the engine
// moves on; its next answer brings it back up. The gateway is a real sipp answering
// OPTIONS (and INVITEs with 486); "stops answering" is its SIP gone while its host still
// receives: a silent UDP socket on its port, which also shows what reached it.
import { describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import { GatewayMonitor } from '../src/telephony/index.ts';
import { explain, freePort, runSipp, startSipp } from './helpers/sipp.ts';
import { http } from './helpers/server.ts';
import { until } from './helpers/until.ts';
import { callEvents, telephonyKit } from './helpers/telephony.ts';

const kit = telephonyKit();
const RTP = { min: 30_000, max: 30_199 };

/** A UDP socket bound on `port` that answers nothing: the first line of each datagram it got. */
async function silentHost(port: number): Promise<{ heard: string[]; close(): Promise<void> }> {
  const heard: string[] = [];
  const sock = dgram.createSocket('udp4');
  sock.on('message', (m) => heard.push(m.toString('latin1').split('\r\n')[0]!));
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, '127.0.0.1', () => resolve());
  });
  return { heard, close: () => new Promise((resolve) => sock.close(() => resolve())) };
}

describe('the gateway keep-alive', () => {
  it('marks a gateway that stops answering OPTIONS down (trunk legs then fail at once, no INVITE sent) and up again on its next answer', async () => {
    const gw = await freePort();
    let gateway = await startSipp({ scenario: 'gateway-options', localPort: gw, calls: 100_000, timeoutMs: 120_000 });
    const r = await kit.rig({ media: 'node', rtpPorts: RTP, gatewayPort: gw, telephony: { gatewayPingMs: 1000 } });
    const state = async () => ((await http(`${r.srv.url}/healthz`)).body as { sip_gateway?: string }).sip_gateway;
    await until('the gateway up on /healthz', async () => (await state()) === 'up', 15_000);

    // Its SIP stops: nothing answers on its port any more.
    gateway.kill();
    await gateway.done;
    const host = await silentHost(gw);
    try {
      await until('the gateway down on /healthz', async () => (await state()) === 'down', 20_000);
      expect(host.heard.some((l) => l.startsWith('OPTIONS sip:127.0.0.1:'))).toBe(true);

      // A call to the trunk: its leg fails at once, the caller is refused (480), the call
      // ends; not one INVITE went to the gateway (a transaction timeout would have sent it).
      const refused = await runSipp({ scenario: kit.scenarioFile('e2e-caller-rejected', { pt: 0, codec: 'PCMU/8000', status: 480 }), target: r.sip, service: '33100000073', keys: { caller: '33622200011' } });
      expect(refused.code, explain(refused)).toBe(0);
      const call = await callEvents(r.stream, '33622200011');
      expect(call.at(-1)).toMatchObject({ type_notification: 'num', event: 'end' });
      expect(host.heard.filter((l) => !l.startsWith('OPTIONS '))).toEqual([]);
      expect(r.srv.app.telephony!.gateway!.monitor!.health()).toMatchObject({ state: 'down' });
    } finally {
      await host.close();
    }

    // It answers again: up, and the next trunk leg reaches it (busy: the caller gets 480).
    gateway = await startSipp({ scenario: 'gateway-options', localPort: gw, calls: 100_000, timeoutMs: 120_000 });
    await until('the gateway up again on /healthz', async () => (await state()) === 'up', 15_000);
    const busy = await runSipp({ scenario: kit.scenarioFile('e2e-caller-rejected', { pt: 0, codec: 'PCMU/8000', status: 480 }), target: r.sip, service: '33100000073', keys: { caller: '33622200012' } });
    expect(busy.code, explain(busy)).toBe(0);
    await callEvents(r.stream, '33622200012');
    gateway.kill();
    const g = await gateway.done;
    expect(g.messages).toMatch(/INVITE sip:33970000071@127\.0\.0\.1:/);
  }, 90_000);

  it('without a gateway, or with the keep-alive off, nothing is probed and /healthz says nothing of it', async () => {
    const r = await kit.rig({ media: 'node', rtpPorts: RTP });
    expect(r.srv.app.telephony!.gateway).toBeUndefined();
    expect((await http(`${r.srv.url}/healthz`)).body).toEqual({ ok: true });
  }, 30_000);
});

describe('GatewayMonitor', () => {
  /** A monitor over a scripted series of answers (undefined: none in time). */
  function scripted(answers: (number | undefined)[]) {
    const logs: string[] = [];
    const log = { info: (_o: object, m?: string) => logs.push(`info ${m}`), warn: (_o: object, m?: string) => logs.push(`warn ${m}`) };
    const m = new GatewayMonitor({ gateway: 'sip:192.0.2.1:5060', options: async () => answers.shift(), log });
    return { m, logs };
  }

  it('is down after 3 unanswered probes in a row (logged once), and up on any final answer (a 405 too: the gateway is alive)', async () => {
    const { m, logs } = scripted([200, undefined, undefined, 200, undefined, undefined, undefined, undefined, undefined, 405]);
    expect(m.health().state).toBe('unknown');
    await m.probe();
    expect(m.health()).toMatchObject({ state: 'up', misses: 0, lastStatus: 200 });
    await m.probe();
    await m.probe();
    expect([m.health().state, m.down]).toEqual(['up', false]);
    await m.probe(); // an answer resets the count
    for (let i = 0; i < 3; i++) await m.probe();
    expect([m.health().state, m.down]).toEqual(['down', true]);
    await m.probe();
    await m.probe();
    expect(m.health()).toMatchObject({ state: 'down', misses: 5 });
    await m.probe();
    expect(m.health()).toMatchObject({ state: 'up', misses: 0, lastStatus: 405 });
    expect(logs.map((l) => l.split(':')[0])).toEqual(['warn SIP gateway down', 'info SIP gateway answers again']);
  });

  it('is down from the start when the first 3 probes get no answer; a probe that throws counts as unanswered', async () => {
    const logs: string[] = [];
    let n = 0;
    const m = new GatewayMonitor({ gateway: 'sip:192.0.2.1:5060', options: async () => { if (++n === 2) throw new Error('boom'); return undefined; }, log: { info: () => {}, warn: (_o, msg) => logs.push(String(msg)) } });
    await m.probe();
    await m.probe();
    expect(m.health().state).toBe('unknown');
    await m.probe();
    expect(m.health()).toMatchObject({ state: 'down', misses: 3 });
    expect(logs).toHaveLength(1);
  });
});
