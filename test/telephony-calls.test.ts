// More real calls end to end, each on both media planes (embedded and rtpengine): the
// recording of a call in a `rec` group (the row says so, the WAV downloads with auth, lasts
// as long as the conversation on the stream and holds the caller's tone) and none for a
// group without rec; a web callback (the operator's phone first, then the visitor at the
// gateway; a forbidden destination dials nothing); an IVR key by SIP INFO; hold and resume
// by re-INVITE; an anonymous caller; INVITEs refused before anything reaches the stream.
// sipp plays the carrier, the gateway and the phones; the stream client checks each call.
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_TOKEN, http, vmToken } from './helpers/server.ts';
import { explain, freePort, runSipp, startSipp, type SippResult } from './helpers/sipp.ts';
import { until } from './helpers/until.ts';
import { frequencyOf, rmsOf } from './helpers/wav.ts';
import { callEvents, done, events, idOf, lawful, line, login, operatorStatus, opsWith, telephonyKit, type Rig } from './helpers/telephony.ts';
import type { Notification } from '../src/protocol/index.ts';
import type { TelephonySettings } from '../src/telephony/config.ts';

const ACCOUNT = 71;
const kit = telephonyKit();
const { scenarioFile, toneWav } = kit;

let media: TelephonySettings['media'] = 'node';
// Port ranges of this file (telephony-e2e uses 40000-41999; files run side by side).
const rtpPorts = () => (media === 'node' ? { min: 23_000, max: 23_999 } : { min: 24_000, max: 24_999 });
const rig = (gatewayPort?: number, fixtures?: string[]) => kit.rig({ media, rtpPorts: rtpPorts(), ...(gatewayPort ? { gatewayPort } : {}), ...(fixtures ? { fixtures } : {}), types: ['operator', 'UI', 'queue', 'trunk', 'num', 'PUSHCALL'] });

const TALK_SEQUENCE = [
  'num/start', 'queue/insert_call', 'operator/status:ringing', 'queue/connect_call:connected', 'operator/status:connected',
  'queue/delete_call', 'operator/status:available', 'num/end',
];
const IVR_SEQUENCE = [
  'num/start', 'num/answer', 'queue/insert_call', 'operator/status:ringing', 'queue/connect_call:connected', 'operator/status:connected',
  'queue/delete_call', 'operator/status:available', 'num/end',
];

/** A WAV's format and samples (PCM 16-bit; any chunk layout). */
function readWav(buf: Buffer): { channels: number; rate: number; bits: number; frames: number; channel(i: number): Int16Array } {
  expect(buf.toString('ascii', 0, 4)).toBe('RIFF');
  expect(buf.toString('ascii', 8, 12)).toBe('WAVE');
  let at = 12;
  let fmt: { tag: number; channels: number; rate: number; bits: number } | undefined;
  let data: Buffer | undefined;
  while (at + 8 <= buf.length) {
    const id = buf.toString('ascii', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    const body = buf.subarray(at + 8, at + 8 + size);
    if (id === 'fmt ') fmt = { tag: body.readUInt16LE(0), channels: body.readUInt16LE(2), rate: body.readUInt32LE(4), bits: body.readUInt16LE(14) };
    if (id === 'data') data = body;
    at += 8 + size + (size & 1);
  }
  if (!fmt || !data) throw new Error('a WAV needs fmt and data chunks');
  expect(fmt.tag).toBe(1);
  expect(fmt.bits).toBe(16);
  const { channels } = fmt;
  const frames = data.length / (2 * channels);
  expect(Number.isInteger(frames)).toBe(true);
  return {
    ...fmt,
    frames,
    channel: (i) => Int16Array.from({ length: frames }, (_, f) => data.readInt16LE((f * channels + i) * 2)),
  };
}

/** The account's history rows of today (the stats service flushed first). */
async function callRows(r: Rig): Promise<Record<string, unknown>[]> {
  await r.srv.app.services.stats.flush();
  const res = await http(`${r.srv.url}/vm/calls/in`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('phones-api:phones-secret').toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ date: new Date().toISOString().slice(0, 10) }),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as Record<string, unknown>[];
}

/** When the call's events happened (ms), from the event log. */
async function eventTimes(r: Rig, id: number): Promise<Map<string, number>> {
  const logged = await r.srv.app.services.store.events.readAfter(ACCOUNT, 0, 10_000);
  const times = new Map<string, number>();
  for (const e of logged) if (idOf(e.notification) === id && !times.has(line(e.notification))) times.set(line(e.notification), e.at);
  return times;
}

/** The time (ms, from sipp's -trace_msg header lines, local time) of the first message matching `re` in a trace. */
function traceTime(res: SippResult, re: RegExp): number {
  // Each message starts with a line of dashes and `YYYY-MM-DD HH:MM:SS.micro`.
  for (const b of res.messages.split(/^-{10,} /m)) {
    if (!re.test(b)) continue;
    const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)\.(\d{6})/.exec(b);
    if (m) return new Date(`${m[1]}T${m[2]}`).getTime() + Number(m[3]) / 1000;
  }
  throw new Error(`no message ${re} in the trace:\n${res.messages.slice(0, 3000)}`);
}

describe.each([['node'], ['rtpengine']] as const)('more real calls over SIP (%s media)', (plane) => {
  beforeAll(() => {
    media = plane;
  });

  it('a call in a rec group is recorded: the row says so, the WAV downloads, lasts the conversation and holds the caller’s tone', async () => {
    const gw = await freePort();
    const op = await startSipp({ scenario: scenarioFile('e2e-operator', { ring: 100 }), localPort: gw, timeoutMs: 30_000 });
    const r = await rig(gw);
    await login(r, 7101);
    const caller = await runSipp({ scenario: scenarioFile('e2e-caller-talks', { wav: toneWav(2, 440), talk: 4000 }), target: r.sip, service: '33100000072', keys: { caller: '33611100001' }, timeoutMs: 30_000 });
    expect(caller.code, explain(caller)).toBe(0);
    await done(op);
    const call = await callEvents(r.stream);
    expect(call.map(line)).toEqual(TALK_SEQUENCE);
    const id = idOf(call[0]!)!;
    lawful(r.stream, ACCOUNT);

    const rec = await until('the recording stored', () => r.srv.app.services.store.recordings.get(ACCOUNT, id), 15_000);
    const row = await until('the history row of the call', async () => (await callRows(r)).find((x) => x.id_appel === id), 15_000);
    expect(row).toMatchObject({ recording: true, recording_url: `/api/v1/accounts/${ACCOUNT}/recordings/${id}` });

    const api = (await vmToken(r.srv.url, 'phones-api', 'phones-secret', { user_type: 'api' })).body.id_session as string;
    const url = `${r.srv.url}/api/v1/accounts/${ACCOUNT}/recordings/${id}`;
    expect((await http(url)).status).toBe(401);
    let wav: Buffer | undefined;
    for (const token of [ADMIN_TOKEN, api]) {
      const got = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(got.status).toBe(200);
      expect(got.headers.get('content-type')).toBe('audio/wav');
      wav = Buffer.from(await got.arrayBuffer());
    }
    expect(wav!.length).toBe(rec.bytes);
    const w = readWav(wav!);
    expect(w.rate).toBe(8000);
    expect([1, 2]).toContain(w.channels);

    // As long as the conversation: connect_call → delete_call in the event log, within 10 %.
    const times = await eventTimes(r, id);
    const conversation = times.get('queue/delete_call')! - times.get('queue/connect_call:connected')!;
    expect(conversation).toBeGreaterThan(2000);
    const recorded = (w.frames / w.rate) * 1000;
    expect(Math.abs(recorded - conversation) / conversation, `recorded ${recorded} ms, conversation ${conversation} ms`).toBeLessThan(0.1);
    expect(Math.abs(rec.durationMs - recorded) / recorded).toBeLessThan(0.05);

    // The caller's side (first channel): the 440 Hz tone it streamed, loud.
    const callerSide = w.channel(0);
    expect(rmsOf(callerSide)).toBeGreaterThan(2000);
    expect(frequencyOf(callerSide, w.rate)).toBeGreaterThan(440 * 0.97);
    expect(frequencyOf(callerSide, w.rate)).toBeLessThan(440 * 1.03);
  }, 60_000);

  it('a call in a group without rec has no recording', async () => {
    const gw = await freePort();
    const op = await startSipp({ scenario: scenarioFile('e2e-operator', { ring: 100 }), localPort: gw, timeoutMs: 30_000 });
    const r = await rig(gw);
    await login(r, 7101);
    // IVR key 2 → Support (712, no rec). The caller, answered by the IVR, stays 5 s after its key:
    // time enough, even on a loaded machine, for the engine to ring and the operator to answer.
    const caller = await runSipp({ scenario: scenarioFile('e2e-caller', { dtmf: 2, before_dtmf: 400, talk: 5000 }), target: r.sip, service: '33100000071', keys: { caller: '33611100002' }, timeoutMs: 30_000 });
    expect(caller.code, explain(caller)).toBe(0);
    await done(op);
    const call = await callEvents(r.stream);
    expect(call.map(line)).toEqual(IVR_SEQUENCE);
    expect(call.find((n) => n.type_notification === 'queue')!.msg).toMatchObject({ id_queue: 712 });
    const id = idOf(call[0]!)!;
    const row = await until('the history row of the call', async () => (await callRows(r)).find((x) => x.id_appel === id), 15_000);
    expect(row).not.toHaveProperty('recording');
    const got = await http(`${r.srv.url}/api/v1/accounts/${ACCOUNT}/recordings/${id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(got).toMatchObject({ status: 404, body: { error: 'RECORDING_UNKNOWN' } });
    // A recording's file exists from its start (the bridge): none was begun.
    expect(existsSync(join(r.srv.dataDir, 'recordings', String(ACCOUNT), `${id}.wav`))).toBe(false);
    expect(await r.srv.app.services.store.recordings.get(ACCOUNT, id)).toBeUndefined();
    lawful(r.stream, ACCOUNT);
  }, 60_000);

  it('web callback: the operator’s registered phone rings and answers first, then the visitor is dialled at the gateway; the visitor hangs up', async () => {
    const gw = await freePort();
    const visitor = await startSipp({ scenario: scenarioFile('e2e-operator-bye', { ring: 200, talk: 1500 }), localPort: gw, timeoutMs: 30_000 });
    const r = await rig(gw, ['phones-callback.json']);
    const ann = await kit.phone(r, 'ann-phone', 'ann-secret-1', 'e2e-operator', { ring: 300 });
    await login(r, 7101);
    const asked = await http(`${r.srv.url}/api/v1/accounts/${ACCOUNT}/callbacks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ e164: '33655500001' }),
    });
    expect(asked.status, JSON.stringify(asked.body)).toBe(200);
    const farRes = await done(visitor);
    const annRes = await done(ann);
    expect(annRes.messages).toMatch(/INVITE sip:ann-phone@|INVITE sip:[^\s]*@127\.0\.0\.1/);
    expect(farRes.messages).toMatch(/INVITE sip:33655500001@/);
    // Ann's phone answered (its 200 left) before the visitor's INVITE reached the gateway.
    expect(traceTime(annRes, /^SIP\/2\.0 200 OK[\s\S]*CSeq: \d+ INVITE/m)).toBeLessThanOrEqual(traceTime(farRes, /^INVITE sip:33655500001@/m));

    const outgoing = await operatorStatus(r.stream, 'calling');
    const id = idOf(outgoing)!;
    expect(id).toBeLessThan(0);
    await until('the callback call released its operator', () => events(r.stream).some((n) => n.type_notification === 'operator' && idOf(n) === id && !['calling', 'connected'].includes((n.msg as { status: string }).status)), 15_000);
    const all = events(r.stream);
    expect(all.some((n) => n.type_notification === 'PUSHCALL' && (n.msg as { e164?: string }).e164 === '33655500001')).toBe(true);
    expect(all.some((n) => n.type_notification === 'UI' && n.event === 'push' && (n.msg as { id_operator?: number }).id_operator === 7101)).toBe(true);
    const mine = all.filter((n: Notification) => idOf(n) === id);
    expect(opsWith(mine, 'calling')).toEqual([7101]);
    expect(opsWith(mine, 'connected')).toEqual([7101]);
    lawful(r.stream, ACCOUNT);
  }, 60_000);

  it("click-to-call: the operator's registered phone answers first, then the number is dialled at the gateway with the account's presentation", async () => {
    const gw = await freePort();
    const far = await startSipp({ scenario: scenarioFile('e2e-operator-bye', { ring: 200, talk: 1500 }), localPort: gw, timeoutMs: 30_000 });
    const r = await rig(gw, ['phones-callback.json']);
    const ann = await kit.phone(r, 'ann-phone', 'ann-secret-1', 'e2e-operator', { ring: 300 });
    await login(r, 7101);
    const placed = await http(`${r.srv.url}/api/v1/accounts/${ACCOUNT}/operators/7101/call`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ e164: '33655500002' }),
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(200);
    const farRes = await done(far);
    await done(ann);
    const invite = farRes.messages.split(/^-{10,}.*$/m).find((m) => /^INVITE sip:33655500002@/m.test(m));
    expect(invite, 'the INVITE at the gateway').toBeDefined();
    // The account has no caller_id: its first service number is presented.
    expect(invite).toMatch(/^From:[^\r\n]*<sip:33100000071@/m);
    const calling = await operatorStatus(r.stream, 'calling');
    await until('the call ended', () => events(r.stream).some((n) => n.type_notification === 'operator' && idOf(n) === idOf(calling) && (n.msg as { status: string }).status !== 'calling' && (n.msg as { status: string }).status !== 'connected'), 15_000);
    expect(opsWith(events(r.stream).filter((n) => idOf(n) === idOf(calling)), 'connected')).toEqual([7101]);
    lawful(r.stream, ACCOUNT);
  }, 60_000);

  it('web callback to a forbidden destination is refused before anything is dialled', async () => {
    const gw = await freePort();
    const gateway = await startSipp({ scenario: scenarioFile('e2e-operator', { ring: 100 }), localPort: gw, timeoutMs: 30_000 });
    const r = await rig(gw, ['phones-callback.json']);
    await login(r, 7101);
    const asked = await http(`${r.srv.url}/api/v1/accounts/${ACCOUNT}/callbacks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ e164: '33891234567' }),
    });
    expect(asked).toMatchObject({ status: 403, body: { error: 'DESTINATION_FORBIDDEN' } });
    // Refused synchronously: no push exists that could dial later, no leg was placed.
    expect(r.srv.app.telephony!.b2bua.size).toBe(0);
    expect(events(r.stream).filter((n) => n.type_notification === 'PUSHCALL' || (n.type_notification === 'UI' && n.event === 'push'))).toEqual([]);
    gateway.kill();
    const res = await gateway.done;
    expect(res.messages).not.toMatch(/INVITE/);
  }, 60_000);

  it('IVR key 2 by SIP INFO (application/dtmf-relay) → Support', async () => {
    const gw = await freePort();
    const op = await startSipp({ scenario: scenarioFile('e2e-operator', { ring: 100 }), localPort: gw, timeoutMs: 30_000 });
    const r = await rig(gw);
    await login(r, 7101);
    const caller = await runSipp({ scenario: scenarioFile('e2e-caller-info', { dtmf: 2, before_dtmf: 400, talk: 5000 }), target: r.sip, service: '33100000071', keys: { caller: '33611100003' }, timeoutMs: 30_000 });
    expect(caller.code, explain(caller)).toBe(0);
    await done(op);
    const call = await callEvents(r.stream);
    expect(call.map(line)).toEqual(IVR_SEQUENCE);
    for (const n of call) if (n.type_notification === 'queue') expect(n.msg).toMatchObject({ id_queue: 712 });
    lawful(r.stream, ACCOUNT);
  }, 60_000);

  it('the caller holds (re-INVITE sendonly) and resumes (sendrecv): both answered, the call stays connected', async () => {
    const gw = await freePort();
    const op = await startSipp({ scenario: scenarioFile('e2e-operator', { ring: 100 }), localPort: gw, timeoutMs: 30_000, extraArgs: ['-rtp_echo'] });
    const r = await rig(gw);
    await login(r, 7101);
    const caller = startSipp({ scenario: scenarioFile('e2e-caller-hold', { wav: toneWav(1), before_hold: 800, held: 800, talk: 1500 }), target: r.sip, service: '33100000072', keys: { caller: '33611100004' }, timeoutMs: 30_000 });
    const connected = await operatorStatus(r.stream, 'connected').catch(async (err: Error) => {
      throw new Error(`${err.message}\n${explain(await (await caller).done)}`);
    });
    const legs = r.srv.app.telephony!.b2bua.mediaLegs(ACCOUNT, idOf(connected)!)!;
    const res = await done(await caller);
    expect(res.messages.match(/^SIP\/2\.0 200 OK[\s\S]*?CSeq: \d INVITE/gm)?.length ?? 0, 'a 200 for the INVITE and each re-INVITE').toBeGreaterThanOrEqual(3);
    await done(op);
    const call = await callEvents(r.stream);
    expect(call.map(line)).toEqual(TALK_SEQUENCE);
    expect(legs.caller).toBeDefined();
    lawful(r.stream, ACCOUNT);
  }, 60_000);

  it(
    plane === 'node'
      ? "the operator holds from the toolbar: the caller's voice stops reaching the phone, the caller hears music; unhold relays again"
      : 'the operator holds from the toolbar and takes the caller back: both answered, UI/hold and UI/unhold in the call (no exact relay counters on rtpengine)',
    async () => {
    const gw = await freePort();
    const op = await startSipp({ scenario: scenarioFile('e2e-operator', { ring: 100 }), localPort: gw, timeoutMs: 40_000 });
    const r = await rig(gw);
    await login(r, 7101);
    const caller = startSipp({ scenario: scenarioFile('e2e-caller-talks', { wav: toneWav(12, 440), talk: 9000 }), target: r.sip, service: '33100000072', keys: { caller: '33611100006' }, timeoutMs: 40_000 });
    const connected = await operatorStatus(r.stream, 'connected').catch(async (err: Error) => {
      throw new Error(`${err.message}\n${explain(await (await caller).done)}`);
    });
    const legs = r.srv.app.telephony!.b2bua.mediaLegs(ACCOUNT, idOf(connected)!)!;
    const opLeg = legs.operators[7101]!;
    const media = r.srv.app.telephony!.media;
    // What the plane sent to the operator's phone (the caller's voice) and to the caller.
    // Exact counters on the embedded plane only: rtpengine's `query` counts what a leg's
    // peer received, not what it sent, and nothing of what it plays.
    const exact = plane === 'node';
    const toOp = () => media.stats(opLeg)?.txPackets ?? 0;
    const toCaller = () => media.stats(legs.caller!)?.txPackets ?? 0;
    if (exact) await until('the caller heard by the operator', () => toOp() >= 25, 10_000);
    const act = (what: string) =>
      http(`${r.srv.url}/api/v1/accounts/${ACCOUNT}/operators/7101/${what}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect((await act('hold')).body).toMatchObject({ ok: true, id_call: idOf(connected) });
    await until('UI/hold on the stream', () => events(r.stream).find((n) => n.type_notification === 'UI' && n.event === 'hold'), 5_000);
    // Once the relay is undone, the operator gets nothing while the caller keeps getting the music.
    await new Promise((res) => setTimeout(res, 600));
    const [opAtHold, callerAtHold] = [toOp(), toCaller()];
    if (exact) {
      await until('music to the caller on hold', () => toCaller() >= callerAtHold + 40, 10_000);
      expect(toOp() - opAtHold, 'packets relayed to the operator while the caller is on hold').toBeLessThanOrEqual(2);
    } else await new Promise((res) => setTimeout(res, 1000));
    expect((await act('unhold')).body).toMatchObject({ ok: true });
    if (exact) await until('the caller heard again after unhold', () => toOp() >= opAtHold + 25, 10_000);
    await done(await caller);
    await done(op);
    const call = await callEvents(r.stream);
    expect(call.map(line)).toEqual([...TALK_SEQUENCE.slice(0, 5), 'UI/hold', 'UI/unhold', ...TALK_SEQUENCE.slice(5)]);
    const uis = events(r.stream).filter((n) => n.type_notification === 'UI' && idOf(n) === idOf(connected)).map((n) => n.event);
    expect(uis).toEqual(['hold', 'unhold']);
    lawful(r.stream, ACCOUNT);
  }, 60_000);

  it("the operator's phone holds (re-INVITE sendonly) and resumes: the call is held as from the toolbar (UI/hold, UI/unhold; the music to the caller counted on the embedded plane)", async () => {
    const gw = await freePort();
    const op = await startSipp({ scenario: scenarioFile('e2e-operator-hold', { ring: 100, talk: 1200, held: 2000 }), localPort: gw, timeoutMs: 40_000 });
    const r = await rig(gw);
    await login(r, 7101);
    const caller = startSipp({ scenario: scenarioFile('e2e-caller-talks', { wav: toneWav(12, 440), talk: 6000 }), target: r.sip, service: '33100000072', keys: { caller: '33611100007' }, timeoutMs: 40_000 });
    const connected = await operatorStatus(r.stream, 'connected').catch(async (err: Error) => {
      throw new Error(`${err.message}\n${explain(await (await caller).done)}`);
    });
    const legs = r.srv.app.telephony!.b2bua.mediaLegs(ACCOUNT, idOf(connected)!)!;
    const media = r.srv.app.telephony!.media;
    await until('UI/hold from the phone', () => events(r.stream).find((n) => n.type_notification === 'UI' && n.event === 'hold'), 10_000);
    if (plane === 'node') {
      // The caller gets the music while the phone holds (exact counters on the embedded plane).
      const atHold = media.stats(legs.caller!)?.txPackets ?? 0;
      await until('music to the caller while the phone holds', () => (media.stats(legs.caller!)?.txPackets ?? 0) >= atHold + 25, 10_000);
    }
    await until('UI/unhold from the phone', () => events(r.stream).find((n) => n.type_notification === 'UI' && n.event === 'unhold'), 10_000);
    const res = await done(op);
    const reinviteOks = res.messages.split(/^-{10,}.*$/m).filter((m) => /message received/.test(m) && /^SIP\/2\.0 200 OK/m.test(m) && /^CSeq: 10[12] INVITE/m.test(m));
    expect(reinviteOks.length, 'a 200 for each of the two re-INVITEs').toBe(2);
    await done(await caller);
    const call = await callEvents(r.stream);
    expect(call.map(line)).toEqual([...TALK_SEQUENCE.slice(0, 5), 'UI/hold', 'UI/unhold', ...TALK_SEQUENCE.slice(5)]);
    lawful(r.stream, ACCOUNT);
  }, 60_000);

  it('refused before the stream: 404 for a number nobody owns, 488 for G.729 only; then an anonymous caller shows as 0', async () => {
    const gw = await freePort();
    const op = await startSipp({ scenario: scenarioFile('e2e-operator', { ring: 100 }), localPort: gw, timeoutMs: 30_000 });
    const r = await rig(gw);
    await login(r, 7101);
    const unknown = await runSipp({ scenario: scenarioFile('e2e-caller-rejected', { status: 404, pt: 0, codec: 'PCMU/8000' }), target: r.sip, service: '33100009999', keys: { caller: '33611100005' }, timeoutMs: 15_000 });
    expect(unknown.code, explain(unknown)).toBe(0);
    const g729 = await runSipp({ scenario: scenarioFile('e2e-caller-rejected', { status: 488, pt: 18, codec: 'G729/8000' }), target: r.sip, service: '33100000072', keys: { caller: '33611100006' }, timeoutMs: 15_000 });
    expect(g729.code, explain(g729)).toBe(0);
    expect(r.srv.app.telephony!.b2bua.size).toBe(0);
    // A good call after them: the stream carries it and nothing of the refused ones.
    const anon = await runSipp({ scenario: scenarioFile('e2e-caller-talks', { wav: toneWav(1), talk: 1500 }), target: r.sip, service: '33100000072', keys: { caller: 'anonymous' }, timeoutMs: 30_000 });
    expect(anon.code, explain(anon)).toBe(0);
    await done(op);
    const call = await callEvents(r.stream);
    expect(call.map(line)).toEqual(TALK_SEQUENCE);
    for (const n of call) {
      const m = n.msg as { caller_id_num?: string };
      if (m.caller_id_num !== undefined) expect(m.caller_id_num).toBe('0');
    }
    expect(events(r.stream).filter((n) => n.type_notification === 'num' && n.event === 'start')).toHaveLength(1);
    lawful(r.stream, ACCOUNT);
  }, 60_000);
});
