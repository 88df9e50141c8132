// A supervisor listens to a real call end to end (embedded media): sipp plays the SIP of the
// caller, the operator's registered phone and the supervisor's phone (registered with the
// one-time identity POST …/listen hands out); their RTP is the test's own sockets (the
// scenarios' SDP points at them), each speaking its tone, so who hears whom is checked by
// content through the B2BUA: listen, whisper, barge, stop, and the call's end.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, http, wsInit } from './helpers/server.ts';
import { explain, startSipp } from './helpers/sipp.ts';
import { until } from './helpers/until.ts';
import { events, login, telephonyKit, type Rig } from './helpers/telephony.ts';
import { FarEnd } from './media/far-end.ts';
import { speakAtOnce } from './media/three-way.ts';

const kit = telephonyKit();
const OP = 7102;

const listenApi = (r: Rig, method: string, token: string, body?: object) =>
  http(`${r.srv.url}/api/v1/accounts/${r.account}/operators/${OP}/listen`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

/** The RTP port the platform gave a sipp party (its scenario writes it into `file`). */
async function platformPort(file: string): Promise<{ address: string; port: number }> {
  const port = await until(`the port in ${file}`, () => {
    const t = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
    return /^\d+$/.test(t) ? Number(t) : false;
  }, 20_000);
  return { address: '127.0.0.1', port };
}

describe('a supervisor listening to a call over SIP (embedded media)', () => {
  it('listens (hears both), whispers (the operator hears them, the caller not), barges (everyone), stops; the call’s end hangs the listener up', async () => {
    const r = await kit.rig({ media: 'node', rtpPorts: { min: 30_200, max: 30_399 } });
    const ends = { a: { far: await FarEnd.open(), codec: 'PCMU' }, b: { far: await FarEnd.open(), codec: 'PCMU' }, s: { far: await FarEnd.open(), codec: 'PCMU' } } as const;
    const supervisor = (await wsInit(r.srv.url, 'phones-sup', 'phones-sup-secret')).body.id_session as string;
    try {
      const file = { a: kit.tmpFile('caller.port'), b: kit.tmpFile('operator.port'), s: kit.tmpFile('supervisor.port'), s2: kit.tmpFile('supervisor2.port') };
      const operator = await kit.phone(r, 'bob-phone', 'bob-secret-2', 'listen-phone', { rtp: ends.b.far.port, portfile: file.b });
      await login(r, OP);
      expect(await listenApi(r, 'POST', supervisor, { mode: 'listen' })).toMatchObject({ status: 409, body: { error: 'LISTEN_NO_CALL' } });
      const caller = startSipp({ scenario: kit.scenarioFile('listen-caller', { rtp: ends.a.far.port, portfile: file.a }), target: r.sip, service: '33100000072', keys: { caller: '33644444444' }, timeoutMs: 60_000 });
      await until('the operator connected', () => events(r.stream).some((n) => n.type_notification === 'operator' && (n.msg as { status?: string }).status === 'connected'), 20_000);
      ends.a.far.target = await platformPort(file.a);
      ends.b.far.target = await platformPort(file.b);

      const started = await listenApi(r, 'POST', supervisor, { mode: 'listen' });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      const id = started.body as { username: string; password: string; realm: string; ha1: string; mode: string };
      expect(id).toMatchObject({ mode: 'listen', username: expect.stringMatching(/^listen-[0-9a-f]+$/), realm: 'voice-management' });
      expect(await listenApi(r, 'POST', supervisor, { mode: 'listen' })).toMatchObject({ status: 409, body: { error: 'LISTEN_BUSY' } });
      // The supervisor's phone registers with the one-time identity; the platform calls it.
      const phone = await kit.phone(r, id.username, id.password, 'listen-phone', { rtp: ends.s.far.port, portfile: file.s });
      ends.s.far.target = await platformPort(file.s);
      await until('the listener’s stream', () => ends.s.far.received.length > 5, 10_000);

      expect(await speakAtOnce(ends, ['s'])).toEqual({ a: ['b'], b: ['a'], s: ['a', 'b'] });
      expect(await listenApi(r, 'PUT', supervisor, { mode: 'whisper' })).toMatchObject({ status: 200, body: { mode: 'whisper' } });
      expect(await speakAtOnce(ends, ['s', 'b'])).toEqual({ a: ['b'], b: ['a', 's'], s: ['a', 'b'] });
      expect(await listenApi(r, 'PUT', supervisor, { mode: 'barge' })).toMatchObject({ status: 200, body: { mode: 'barge' } });
      expect(await speakAtOnce(ends, ['s', 'b', 'a'])).toEqual({ a: ['b', 's'], b: ['a', 's'], s: ['a', 'b'] });

      // Stopped: the platform hangs the supervisor's phone up (its scenario ends on that BYE).
      expect((await listenApi(r, 'DELETE', supervisor)).status).toBe(204);
      const stopped = await phone.done;
      expect(stopped.code, explain(stopped)).toBe(0);
      expect(await listenApi(r, 'PUT', supervisor, { mode: 'listen' })).toMatchObject({ status: 404, body: { error: 'LISTEN_NONE' } });
      expect(await listenApi(r, 'DELETE', supervisor)).toMatchObject({ status: 404, body: { error: 'LISTEN_NONE' } });
      // The one-time identity is spent: its registration is refused.
      expect(r.srv.app.telephony!.b2bua.listening.credentials(id.username)).toBeUndefined();
      // Each listening action is in the audit, with who, whom, the mode and the result.
      const audit = await http(`${r.srv.url}/api/v1/accounts/${r.account}/audit?limit=20`, { headers: { authorization: `Bearer ${supervisor}` } });
      const listened = (audit.body as { entries: { action: string; operator: number; actor: { login: string }; details: { mode?: string }; result: string }[] }).entries
        .filter((e) => e.action.startsWith('listen'))
        .reverse()
        .map((e) => `${e.actor.login} ${e.action} ${e.operator} ${e.details.mode ?? '-'} ${e.result}`);
      expect(listened).toEqual([
        `phones-sup listen ${OP} listen LISTEN_NO_CALL`,
        `phones-sup listen ${OP} listen ok`,
        `phones-sup listen ${OP} listen LISTEN_BUSY`,
        `phones-sup listen-mode ${OP} whisper ok`,
        `phones-sup listen-mode ${OP} barge ok`,
        `phones-sup listen-stop ${OP} - ok`,
        `phones-sup listen-mode ${OP} listen LISTEN_NONE`,
        `phones-sup listen-stop ${OP} - LISTEN_NONE`,
      ]);

      // Listening again, then the operator hangs up: the call's end hangs the listener up too.
      const again = (await listenApi(r, 'POST', ADMIN_TOKEN, { mode: 'barge' })).body as { username: string; password: string };
      const fs2 = await FarEnd.open();
      const phone2 = await kit.phone(r, again.username, again.password, 'listen-phone', { rtp: fs2.port, portfile: file.s2 });
      fs2.target = await platformPort(file.s2);
      await until('the second listener’s stream', () => fs2.received.length > 5, 10_000);
      fs2.close();
      const hangup = await http(`${r.srv.url}/api/v1/accounts/${r.account}/operators/${OP}/hangup`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(hangup.status, JSON.stringify(hangup.body)).toBe(200);
      for (const run of [phone2, operator, await caller]) {
        const res = await run.done;
        expect(res.code, explain(res)).toBe(0);
      }
    } finally {
      for (const e of Object.values(ends)) e.far.close();
    }
  }, 90_000);

  it('with rtpengine 10.5 as the media plane, every mode is refused with LISTEN_MODE_UNSUPPORTED (it mixes nothing)', async () => {
    const r = await kit.rig({ media: 'rtpengine', rtpPorts: { min: 30_400, max: 30_599 } });
    const farA = await FarEnd.open();
    const farB = await FarEnd.open();
    try {
      const operator = await kit.phone(r, 'bob-phone', 'bob-secret-2', 'listen-phone', { rtp: farB.port, portfile: kit.tmpFile('rtpengine-operator.port') });
      await login(r, OP);
      const caller = startSipp({ scenario: kit.scenarioFile('listen-caller', { rtp: farA.port, portfile: kit.tmpFile('rtpengine-caller.port') }), target: r.sip, service: '33100000072', keys: { caller: '33655555555' }, timeoutMs: 60_000 });
      await until('the operator connected', () => events(r.stream).some((n) => n.type_notification === 'operator' && (n.msg as { status?: string }).status === 'connected'), 20_000);
      for (const mode of ['listen', 'whisper', 'barge']) {
        const res = await listenApi(r, 'POST', ADMIN_TOKEN, { mode });
        expect(res, mode).toMatchObject({ status: 501, body: { error: 'LISTEN_MODE_UNSUPPORTED', message: expect.stringContaining('rtpengine 10.5') } });
      }
      const hangup = await http(`${r.srv.url}/api/v1/accounts/${r.account}/operators/${OP}/hangup`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(hangup.status, JSON.stringify(hangup.body)).toBe(200);
      for (const run of [operator, await caller]) {
        const res = await run.done;
        expect(res.code, explain(res)).toBe(0);
      }
    } finally {
      farA.close();
      farB.close();
    }
  }, 90_000);
});
