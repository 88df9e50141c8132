// Real calls end to end: sipp plays the carrier (INVITE to a service number, RFC 4733 DTMF
// from a real capture, BYE) and the operators' phones (a gateway number, registered
// devices with digest auth); the platform is a real server with SIP and a media plane
// (one file per plane: telephony-e2e-node/-rtpengine.test.ts). Each case checks the SIP outcome (sipp's exit code: every expected message came)
// and the call's notifications on a real stream client: PROTOCOL §5 order (the lawfulness
// checker), the right id_queue, id_operator, and caller_id_num = the From user.
import { beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { ADMIN_TOKEN, http } from './helpers/server.ts';
import { explain, freePort, runSipp, startSipp } from './helpers/sipp.ts';
import { until } from './helpers/until.ts';
import { callEvents, done, events, idOf, lawful as lawfulOf, line, login, operatorStatus, opsWith, telephonyKit, type Rig } from './helpers/telephony.ts';
import type { TelephonySettings } from '../src/telephony/config.ts';

const ACCOUNT = 71;
const kit = telephonyKit();
const { scenarioFile, toneWav } = kit;
let media: TelephonySettings['media'] = 'node';

/** A server with SIP on loopback and the phones account, for the file's media plane. */
const rig = (gatewayPort?: number, telephony: Partial<TelephonySettings> = {}): Promise<Rig> =>
  kit.rig({
    media,
    // One range per media plane: the two files run side by side (see test/helpers/telephony.ts).
    rtpPorts: media === 'node' ? { min: 21_000, max: 21_999 } : { min: 22_000, max: 22_999 },
    ...(gatewayPort ? { gatewayPort } : {}),
    telephony,
  });
const phone = (r: Rig, user: string, password: string, scenario: string, values: Record<string, string | number>) => kit.phone(r, user, password, scenario, values);
const lawful = (stream: Rig['stream']) => lawfulOf(stream, ACCOUNT);
/** An operator's toolbar action through the call-control API (`consult`, `consult/complete`…). */
const opAction = (r: Rig, op: number, path: string, body?: object) =>
  http(`${r.srv.url}/api/v1/accounts/${ACCOUNT}/operators/${op}/${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });

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
      const caller = await runSipp({ scenario: scenarioFile('e2e-caller-late', { dtmf: 1, before_dtmf: 400, talk: 5000 }), target: r.sip, service: '33100000071', keys: { caller: '33615151515' }, timeoutMs: 30_000 });
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

    it("a consultation: the caller on hold, the consulted phone rings and talks with the operator, complete: the caller's voice reaches them", async () => {
      const gw = await freePort();
      const ann = await startSipp({ scenario: scenarioFile('e2e-operator', { ring: 100 }), localPort: gw, timeoutMs: 40_000 });
      const r = await rig(gw);
      // Bob's phone echoes what it hears: once he has the caller, RTP flows both ways on his leg.
      const bob = await kit.phone(r, 'bob-phone', 'bob-secret-2', 'e2e-operator', { ring: 100 }, 1, ['-rtp_echo']);
      await login(r, 7101);
      const caller = startSipp({ scenario: scenarioFile('e2e-caller-talks', { wav: toneWav(1), talk: 12_000 }), target: r.sip, service: '33100000072', keys: { caller: '33688888888' }, timeoutMs: 40_000 });
      const connected = await operatorStatus(r.stream, 'connected', 20_000, 7101);
      const id = idOf(connected)!;
      await login(r, 7102);
      const post = (path: string, body?: object) => opAction(r, 7101, path, body);
      const c = await post('consult', { type: 'operator', id: 7102 });
      expect(c.status, JSON.stringify(c.body)).toBe(200);
      await until('Bob answered the consultation', () => events(r.stream).some((n) => n.type_notification === 'UI' && n.event === 'consult_answer' && idOf(n) === id), 20_000);
      const done2 = await post('consult/complete');
      expect(done2.status, JSON.stringify(done2.body)).toBe(200);
      await done(ann); // released: BYE
      const legs = r.srv.app.telephony!.b2bua.mediaLegs(ACCOUNT, id)!;
      const media = r.srv.app.telephony!.media;
      const bobLeg = legs.operators[7102]!;
      const start = media.stats(bobLeg)!;
      await until("the caller's RTP relayed to Bob and his echo back", () => {
        const s = media.stats(bobLeg);
        return !!s && s.txPackets - start.txPackets > 25 && s.rxPackets - start.rxPackets > 25;
      }, 10_000);
      await done(await caller);
      await done(bob);
      const call = await callEvents(r.stream, '33688888888');
      expect(opsWith(call, 'connected')).toEqual([7101, 7102]);
      expect(call.map(line).filter((l) => l.startsWith('UI/'))).toEqual(['UI/hold', 'UI/consult', 'UI/consult_answer', 'UI/consult_end', 'UI/unhold']);
      lawful(r.stream);
    }, 60_000);

    it("a consultation of a number: dialled through the gateway while the caller is on hold, complete: the caller's voice reaches the far party", async () => {
      const gw = await freePort();
      // The far party (the gateway) echoes what it hears: once it has the caller, RTP flows both ways on its leg.
      const far = await startSipp({ scenario: scenarioFile('e2e-operator', { ring: 200 }), localPort: gw, timeoutMs: 40_000, extraArgs: ['-rtp_echo'] });
      const r = await rig(gw);
      const ann = await phone(r, 'ann-phone', 'ann-secret-1', 'e2e-operator', { ring: 100 });
      await login(r, 7101);
      const caller = startSipp({ scenario: scenarioFile('e2e-caller-talks', { wav: toneWav(1), talk: 12_000 }), target: r.sip, service: '33100000072', keys: { caller: '33687878787' }, timeoutMs: 40_000 });
      const id = idOf(await operatorStatus(r.stream, 'connected', 20_000, 7101))!;
      const post = (path: string, body?: object) => opAction(r, 7101, path, body);
      const forbidden = await post('consult', { type: 'number', e164: '33890000000' });
      expect(forbidden.status).toBe(403);
      expect(forbidden.body).toMatchObject({ error: 'TRANSFER_FORBIDDEN' });
      const c = await post('consult', { type: 'number', e164: '33612340000' });
      expect(c.status, JSON.stringify(c.body)).toBe(200);
      await until('the number answered the consultation', () => events(r.stream).some((n) => n.type_notification === 'UI' && n.event === 'consult_answer' && idOf(n) === id), 20_000);
      const completed = await post('consult/complete');
      expect(completed.status, JSON.stringify(completed.body)).toBe(200);
      await done(ann); // released: BYE
      const legs = r.srv.app.telephony!.b2bua.mediaLegs(ACCOUNT, id)!;
      const media = r.srv.app.telephony!.media;
      const farLeg = legs.far!;
      expect(farLeg).toBeDefined();
      const start = media.stats(farLeg)!;
      await until("the caller's RTP relayed to the far party and its echo back", () => {
        const s = media.stats(farLeg);
        return !!s && s.txPackets - start.txPackets > 25 && s.rxPackets - start.rxPackets > 25;
      }, 10_000);
      await done(await caller);
      const res = await far.done;
      expect(res.code, explain(res)).toBe(0);
      expect(res.messages).toMatch(/INVITE sip:33612340000@/);
      const call = await callEvents(r.stream, '33687878787');
      expect(opsWith(call, 'connected')).toEqual([7101]);
      expect(call.map(line).filter((l) => l.startsWith('UI/') || l.startsWith('operator/status:transfert'))).toEqual([
        'UI/hold', 'UI/consult', 'UI/consult_answer', 'UI/consult_end', 'UI/unhold', 'operator/status:transfert_start', 'operator/status:transfert_end',
      ]);
      lawful(r.stream);
    }, 60_000);

    it('a consulted number that is busy (486) ends the consultation as failed: the caller stays on hold until resumed', async () => {
      const gw = await freePort();
      const busy = await startSipp({ scenario: scenarioFile('e2e-busy', {}), localPort: gw, timeoutMs: 30_000 });
      const r = await rig(gw);
      const ann = await phone(r, 'ann-phone', 'ann-secret-1', 'e2e-operator', { ring: 100 });
      await login(r, 7101);
      const caller = startSipp({ scenario: scenarioFile('e2e-caller-talks', { wav: toneWav(1), talk: 6000 }), target: r.sip, service: '33100000072', keys: { caller: '33686868686' }, timeoutMs: 30_000 });
      const id = idOf(await operatorStatus(r.stream, 'connected', 20_000, 7101))!;
      const c = await opAction(r, 7101, 'consult', { type: 'number', e164: '33612340001' });
      expect(c.status, JSON.stringify(c.body)).toBe(200);
      const end = await until('the consultation ended', () => events(r.stream).find((n) => n.type_notification === 'UI' && n.event === 'consult_end' && idOf(n) === id), 20_000);
      expect(end.msg).toMatchObject({ supp: 'failed' });
      await done(busy);
      const back = await opAction(r, 7101, 'unhold');
      expect(back.status, JSON.stringify(back.body)).toBe(200);
      await done(await caller);
      await done(ann);
      const call = await callEvents(r.stream, '33686868686');
      expect(call.map(line).filter((l) => l.startsWith('UI/'))).toEqual(['UI/hold', 'UI/consult', 'UI/consult_end', 'UI/unhold']);
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
