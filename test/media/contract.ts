// The media plane's contract, for any implementation (embedded Node, rtpengine): real UDP
// far ends on loopback offer and answer, send and receive RTP, and what they get is checked
// by content (decoded samples, digits, stream numbering), never by timing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sdpTransform from 'sdp-transform';
import { MediaError, SOUND_RATE, type MediaEvents, type MediaPlane } from '../../src/media/plane.ts';
import { until } from '../helpers/until.ts';
import { FarEnd, type Codec, type Received } from './far-end.ts';
import { align, extent, readWav, sweep, tone, toneLevel, wavFile } from './signals.ts';
import { AMP, FREQ, speakAtOnce, type Who } from './three-way.ts';

export interface MediaEventLog {
  dtmf: { leg: string; digit: string }[];
  played: string[];
  handlers: MediaEvents;
}

/** Events as a plane reports them, kept for the tests to read. */
export function eventLog(): MediaEventLog {
  const log: MediaEventLog = {
    dtmf: [],
    played: [],
    handlers: {
      dtmf: (leg, digit) => log.dtmf.push({ leg, digit }),
      played: (leg) => log.played.push(leg),
    },
  };
  return log;
}

export interface ContractSubject {
  plane: MediaPlane;
  events: MediaEventLog;
  /** Frees what the subject started besides the plane (a daemon). */
  close?: () => Promise<void>;
}

export interface ContractOptions {
  /** An RTP port range the plane must keep to. */
  ports?: { min: number; max: number };
}

/** An even port range of `n` ports above the kernel's ephemeral range, picked at random. */
export function testPorts(n: number): { min: number; max: number } {
  const min = 61000 + 2 * Math.floor(Math.random() * ((65000 - 61000 - n) / 2));
  return { min, max: min + n - 1 };
}

/** Waits until `far` has received nothing new for `ms` (bounded). */
async function quiet(far: FarEnd, ms = 150): Promise<number> {
  let n = far.received.length;
  let since = performance.now();
  return until(`${ms} ms without RTP`, () => {
    if (far.received.length !== n) {
      n = far.received.length;
      since = performance.now();
      return false;
    }
    return performance.now() - since >= ms ? n : false;
  });
}

function media(sdp: string) {
  const s = sdpTransform.parse(sdp);
  const m = s.media.find((x) => x.type === 'audio')!;
  const pts = String(m.payloads).split(' ').map(Number);
  const name = (pt: number) => m.rtp.find((r) => r.payload === pt)?.codec ?? (pt === 0 ? 'PCMU' : pt === 8 ? 'PCMA' : '?');
  return { s, m, pts, names: pts.map(name), address: (m.connection ?? s.connection)?.ip, direction: m.direction ?? s.direction ?? 'sendrecv' };
}

/** The packets of one codec, checked to be one stream with consecutive numbers; returns them. */
function oneStream(pkts: Received[]): void {
  expect(new Set(pkts.map((p) => p.ssrc)).size).toBe(1);
  for (let i = 1; i < pkts.length; i++) {
    expect((pkts[i]!.seq - pkts[i - 1]!.seq) & 0xffff).toBe(1);
  }
}

async function refusal(p: Promise<unknown>): Promise<MediaError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(MediaError);
  return e as MediaError;
}

export function mediaContract(name: string, make: (opts?: ContractOptions) => Promise<ContractSubject>): void {
  describe(`media plane contract: ${name}`, () => {
    let subject: ContractSubject;
    let plane: MediaPlane;
    let events: MediaEventLog;
    let dir: string;
    let fars: FarEnd[] = [];
    let n = 0;
    const leg = (s: string) => `t${process.pid}.${++n}.${s}`;
    const far = async (opts: { behindNat?: boolean } = {}) => {
      const f = await FarEnd.open(opts);
      fars.push(f);
      return f;
    };
    /** A leg answering the far end's offer. */
    const answered = async (f: FarEnd, call: string, id: string, codecs: Codec[], dtmfPt: number | undefined = 101) => {
      const sdp = await plane.answer(call, id, f.offer(codecs, { dtmfPt }));
      f.heard(sdp);
      return sdp;
    };
    const sound = (samples: Int16Array, file = 'sound.wav') => {
      const path = join(dir, file);
      writeFileSync(path, wavFile(samples, SOUND_RATE));
      return path;
    };

    beforeEach(async () => {
      subject = await make();
      plane = subject.plane;
      events = subject.events;
      dir = mkdtempSync(join(tmpdir(), 'media-contract-'));
    });
    afterEach(async () => {
      for (const f of fars) f.close();
      fars = [];
      await plane.stop();
      await subject.close?.();
      rmSync(dir, { recursive: true, force: true });
    });

    it('answers in the first codec of the offer with its telephone-event, offers PCMU, PCMA and telephone-event, refuses what it cannot speak', async () => {
      const f = await far();
      const call = leg('call');
      const a = media(await plane.answer(call, leg('a'), f.offer(['PCMA', 'PCMU'], { dtmfPt: 96 })));
      expect(a.m.port).toBeGreaterThan(0);
      expect(a.m.protocol).toBe('RTP/AVP');
      expect(a.names[0]).toBe('PCMA');
      expect(a.m.rtp.find((r) => r.codec === 'telephone-event')?.payload).toBe(96);
      expect(a.address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(a.direction).toBe('sendrecv');

      const b = media(await plane.answer(call, leg('b'), f.offer(['PCMU', 'PCMA'])));
      expect(b.names[0]).toBe('PCMU');
      expect(b.m.port).not.toBe(a.m.port);

      const o = media(await plane.offer(call, leg('c')));
      expect(o.names).toEqual(expect.arrayContaining(['PCMU', 'PCMA', 'telephone-event']));
      expect(o.names.indexOf('PCMU')).toBeLessThan(o.names.indexOf('PCMA'));
      const te = o.m.rtp.find((r) => r.codec === 'telephone-event')!;
      expect(te.rate).toBe(8000);
      expect(o.m.fmtp.find((x) => x.payload === te.payload)?.config).toBe('0-16');
      expect(o.m.ptime).toBe(20);
      expect(o.direction).toBe('sendrecv');

      // G.729 only: nothing in common.
      const g729 = f.offer(['PCMU']).replace(/RTP\/AVP 0 101/, 'RTP/AVP 18').replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:18 G729/8000');
      expect((await refusal(plane.answer(call, leg('d'), g729))).code).toBe('MEDIA_NO_CODEC');
      // Not SDP at all.
      await refusal(plane.answer(call, leg('e'), 'hello\r\n'));
    });

    it('plays a sound: a packet per 20 ms of it in one stream, samples as recorded, then "played"', async () => {
      // One second of a 300 → 2,800 Hz sweep at 16 kHz: 50 frames at 8 kHz.
      const file = sound(sweep(SOUND_RATE, SOUND_RATE, 300, 2800));
      const want = sweep(8000, 8000, 300, 2800);
      const call = leg('call');
      const legs: [FarEnd, string, Codec][] = [];
      for (const codec of ['PCMU', 'PCMA'] as const) {
        const f = await far();
        const id = leg(codec);
        await answered(f, call, id, [codec]);
        legs.push([f, id, codec]);
      }
      await Promise.all(legs.map(([, id]) => plane.play(id, file, { loop: false })));
      for (const [f, id, codec] of legs) {
        await until(`played on ${id}`, () => events.played.includes(id));
        await quiet(f);
        const pkts = f.received.filter((p) => p.pt === (codec === 'PCMU' ? 0 : 8));
        expect(pkts.length).toBe(f.received.length);
        expect(pkts.length).toBeGreaterThanOrEqual(50);
        expect(pkts.length).toBeLessThanOrEqual(52);
        oneStream(pkts);
        for (let i = 1; i < pkts.length; i++) expect((pkts[i]!.ts - pkts[i - 1]!.ts) >>> 0).toBe(160);
        const got = f.audio(codec);
        const { corr } = align(want, got, 80);
        expect(corr).toBeGreaterThan(0.95);
      }
      expect(events.played.filter((l) => legs.some(([, id]) => id === l))).toHaveLength(2);
    });

    it('loops a sound until stopPlay, then sends nothing', async () => {
      const file = sound(tone(SOUND_RATE / 5, SOUND_RATE, 1000)); // 200 ms: 10 frames
      const f = await far();
      const id = leg('a');
      await answered(f, leg('call'), id, ['PCMU']);
      await plane.play(id, file, { loop: true });
      await until('the loop played past its end', () => f.received.length >= 25);
      expect(events.played).not.toContain(id);
      await plane.stopPlay(id);
      const after = await quiet(f);
      await new Promise((r) => setTimeout(r, 200));
      expect(f.received.length).toBe(after);
      oneStream(f.received);
    });

    it("reports RFC 4733 DTMF (sipp's captures) once per key press, end retransmissions included", async () => {
      const f = await far();
      const id = leg('a');
      await answered(f, leg('call'), id, ['PCMU'], 101);
      // The same key twice in a row is two presses; "9" last marks the end.
      await f.sendDtmf('12#*0119');
      await until('the last key', () => events.dtmf.some((e) => e.leg === id && e.digit === '9'));
      expect(events.dtmf.filter((e) => e.leg === id).map((e) => e.digit).join('')).toBe('12#*0119');
    });

    it('bridges two legs both ways with latching: to the SDP address first, then to where the far end sends from', async () => {
      const fa = await far({ behindNat: true });
      const fb = await far({ behindNat: true });
      const call = leg('call');
      const a = leg('a');
      const b = leg('b');
      await answered(fa, call, a, ['PCMU']);
      await answered(fb, call, b, ['PCMU']);
      await plane.bridge(a, b);

      const sa = tone(160 * 25, 8000, 500);
      expect(await fa.sendAudio('PCMU', sa)).toBe(25);
      await until('A heard at B', () => fb.received.length >= 25);
      // B has not sent yet: its audio goes to its SDP port.
      expect(new Set(fb.received.map((p) => p.at))).toEqual(new Set(['sdp']));
      expect(align(sa, fb.audio('PCMU'), 40).corr).toBeGreaterThan(0.98);

      const sb = tone(160 * 25, 8000, 1200);
      await fb.sendAudio('PCMU', sb);
      await until('B heard at A', () => fa.received.length >= 25);
      // A sent from its other port: B's audio reaches it there.
      expect(new Set(fa.received.map((p) => p.at))).toEqual(new Set(['sender']));
      expect(align(sb, fa.audio('PCMU'), 40).corr).toBeGreaterThan(0.98);

      const before = fb.received.length;
      await fa.sendAudio('PCMU', sa);
      await until('A heard at B again', () => fb.received.length >= before + 25);
      expect(new Set(fb.received.slice(before).map((p) => p.at))).toEqual(new Set(['sender']));
      expect(align(sa, fb.audio('PCMU', before), 40).corr).toBeGreaterThan(0.98);
      oneStream(fb.received);
      oneStream(fa.received);

      // Unbridged: no more relay.
      await plane.unbridge(a);
      const heard = fb.received.length;
      await fa.sendAudio('PCMU', tone(160 * 5, 8000, 500));
      await quiet(fb);
      expect(fb.received.length).toBe(heard);
    });

    it('keeps one outbound stream when a prompt gives way to the relay', async () => {
      const file = sound(tone(SOUND_RATE / 5, SOUND_RATE, 700)); // 10 frames
      const fa = await far();
      const fb = await far();
      const call = leg('call');
      const a = leg('a');
      const b = leg('b');
      await answered(fa, call, a, ['PCMU']);
      await answered(fb, call, b, ['PCMU']);
      await plane.play(a, file, { loop: false });
      await until('the prompt played', () => events.played.includes(a));
      await quiet(fa);
      const prompt = fa.received.length;
      expect(prompt).toBeGreaterThanOrEqual(10);
      await plane.bridge(a, b);
      await fb.sendAudio('PCMU', tone(160 * 10, 8000, 900));
      await until('B heard at A', () => fa.received.length >= prompt + 10);
      // One SSRC, sequence numbers on by one, timestamps forward, across the switch.
      oneStream(fa.received);
      for (let i = 1; i < fa.received.length; i++) {
        const d = (fa.received[i]!.ts - fa.received[i - 1]!.ts) | 0;
        expect(d).toBeGreaterThan(0);
      }
    });

    it('transcodes between a PCMU leg and a PCMA leg, and forwards telephone-events in the other leg’s payload type', async () => {
      const fa = await far();
      const fb = await far();
      const call = leg('call');
      const a = leg('a');
      const b = leg('b');
      await answered(fa, call, a, ['PCMU'], 101);
      await answered(fb, call, b, ['PCMA'], 96);
      await plane.bridge(a, b);
      const sa = sweep(160 * 25, 8000, 300, 3000);
      await fa.sendAudio('PCMU', sa);
      await until('A heard at B', () => fb.received.filter((p) => p.pt === 8).length >= 25);
      expect(fb.received.every((p) => p.pt === 8)).toBe(true);
      expect(align(sa, fb.audio('PCMA'), 40).corr).toBeGreaterThan(0.98);

      const sb = sweep(160 * 25, 8000, 3000, 300);
      await fb.sendAudio('PCMA', sb);
      await until('B heard at A', () => fa.received.filter((p) => p.pt === 0).length >= 25);
      expect(align(sb, fa.audio('PCMU'), 40).corr).toBeGreaterThan(0.98);

      const fromA = fb.received.length;
      await fa.sendDtmf('5', 101);
      await until('the key at A', () => events.dtmf.some((e) => e.leg === a && e.digit === '5'));
      await until('the event at B', () => fb.received.slice(fromA).some((p) => p.pt === 96 && p.payload[1]! & 0x80));
      const ev = fb.received.slice(fromA).filter((p) => p.pt === 96);
      expect(new Set(ev.map((p) => p.payload[0]))).toEqual(new Set([5]));
      expect(fb.received.slice(fromA).some((p) => p.pt === 101)).toBe(false);
    });

    it('records a bridged conversation: stereo 8 kHz, each side on its channel, as long as the conversation', async () => {
      const fa = await far();
      const fb = await far();
      const call = leg('call');
      const a = leg('a');
      const b = leg('b');
      await answered(fa, call, a, ['PCMU']);
      await answered(fb, call, b, ['PCMA']);
      await plane.bridge(a, b);
      const file = join(dir, 'call.wav');
      await plane.startRecording(call, [a, b], file);
      const sa = tone(160 * 25, 8000, 500);
      const sb = tone(160 * 25, 8000, 1200);
      await fa.sendAudio('PCMU', sa);
      await until('A heard at B', () => fb.received.length >= 25);
      await fb.sendAudio('PCMA', sb);
      await until('B heard at A', () => fa.received.length >= 25);
      const r = (await plane.stopRecording(call))!;
      expect(r.file).toBe(file);
      expect(r.bytes).toBe(statSync(file).size);
      const wav = readWav(readFileSync(file));
      expect({ format: wav.format, channels: wav.channels, rate: wav.rate, bits: wav.bits }).toEqual({ format: 1, channels: 2, rate: 8000, bits: 16 });
      const [left, right] = wav.channel as [Int16Array, Int16Array];
      expect(wav.dataBytes).toBe(left.length * 4);
      // The duration is the samples' (not a clock's), and holds both turns at least.
      expect(r.durationMs).toBe(Math.round(left.length / 8));
      expect(left.length).toBeGreaterThanOrEqual(sa.length + sb.length);
      // Each channel holds what its side said, all of it in one piece, and the other side not.
      const l = extent(left)!;
      const rr = extent(right)!;
      expect(Math.abs(l.last - l.first + 1 - sa.length)).toBeLessThanOrEqual(160);
      expect(Math.abs(rr.last - rr.first + 1 - sb.length)).toBeLessThanOrEqual(160);
      expect(l.last).toBeLessThan(rr.first);
      expect(align(sa, left.subarray(l.first, l.last + 1), 40).corr).toBeGreaterThan(0.98);
      expect(align(sb, right.subarray(rr.first, rr.last + 1), 40).corr).toBeGreaterThan(0.98);
      // Nothing is running any more.
      expect(await plane.stopRecording(call)).toBeUndefined();
    });

    it('stops sending on hold (a=sendonly, c=0.0.0.0) and goes on, timestamps carried over the silence, once resumed', async () => {
      const file = sound(tone(SOUND_RATE, SOUND_RATE, 440));
      const f = await far();
      const call = leg('call');
      const id = leg('a');
      await answered(f, call, id, ['PCMU']);
      await plane.play(id, file, { loop: true });
      await until('music', () => f.received.length >= 5);

      for (const hold of [f.offer(['PCMU'], { direction: 'sendonly' }), f.offer(['PCMU'], { address: '0.0.0.0' })]) {
        const held = media(await plane.reoffer(id, hold));
        expect(['recvonly', 'inactive', 'sendrecv']).toContain(held.direction);
        const at = await quiet(f);
        await new Promise((r) => setTimeout(r, 300));
        expect(f.received.length).toBe(at);
        const last = f.received[at - 1]!;
        f.heard(await plane.reoffer(id, f.offer(['PCMU'])));
        await until('music again', () => f.received.length > at);
        const next = f.received[at]!;
        // At least the 300 ms waited passed on the RTP clock too.
        expect((next.ts - last.ts) >>> 0).toBeGreaterThanOrEqual(8 * 300);
        oneStream(f.received);
      }
    });

    it('ignores datagrams that are not RTP, and keeps working', async () => {
      const f = await far();
      const id = leg('a');
      await answered(f, leg('call'), id, ['PCMU']);
      const event = Buffer.from('80650001000000010000000101000140', 'hex');
      const garbage: Buffer[] = [
        Buffer.alloc(0),
        Buffer.from('x'),
        Buffer.from('INVITE sip:x@y SIP/2.0\r\n\r\n'),
        Buffer.from(event).fill(0x40, 0, 1), // version 1
        event.subarray(0, 11), // short header
        Buffer.concat([Buffer.from([0x8f]), event.subarray(1)]), // 15 CSRCs, not there
        Buffer.concat([Buffer.from([0x90]), event.subarray(1)]), // an extension, not there
        Buffer.concat([Buffer.from([0xa0]), event.subarray(1, -1), Buffer.from([200])]), // padding past the start
        Buffer.concat([event.subarray(0, 1), Buffer.from([0xc8]), event.subarray(2)]), // RTCP SR
        Buffer.alloc(60_000, 0x80), // huge
      ];
      for (let i = 0; i < 200; i++) garbage.push(Buffer.from(Array.from({ length: 1 + Math.floor(Math.random() * 300) }, () => Math.floor(Math.random() * 256))));
      for (const g of garbage) {
        // Random bytes that happen to read as telephone-event v2 packets would be DTMF: keep the version wrong.
        if (g.length >= 12 && g !== garbage[8]) g[0] = g[0]! & 0x3f;
        f.sendRaw(g);
      }
      await f.sendDtmf('7');
      await until('the key', () => events.dtmf.some((e) => e.leg === id));
      expect(events.dtmf.filter((e) => e.leg === id).map((e) => e.digit)).toEqual(['7']);
    });

    it('refuses a leg with MEDIA_NO_PORT when the port range is used up, and a closed leg frees its port', async () => {
      await plane.stop();
      await subject.close?.();
      subject = await make({ ports: testPorts(8) });
      plane = subject.plane;
      events = subject.events;
      const f = await far();
      const call = leg('call');
      const ids: string[] = [];
      let refused: MediaError | undefined;
      for (let i = 0; i < 10 && !refused; i++) {
        const id = leg(`p${i}`);
        try {
          await plane.answer(call, id, f.offer(['PCMU']));
          ids.push(id);
        } catch (e) {
          refused = e as MediaError;
        }
      }
      expect(refused).toBeInstanceOf(MediaError);
      expect(refused!.code).toBe('MEDIA_NO_PORT');
      expect(ids.length).toBeGreaterThan(0);
      expect(ids.length).toBeLessThanOrEqual(4);
      for (const id of ids) await plane.close(id);
      expect(plane.stats(ids[0]!)).toBeUndefined();
      const again: string[] = [];
      for (let i = 0; i < ids.length; i++) {
        const id = leg(`q${i}`);
        await plane.answer(call, id, f.offer(['PCMU']));
        again.push(id);
      }
      expect(again).toHaveLength(ids.length);
      // Closing an unknown leg is harmless; using one is refused.
      await plane.close(leg('none'));
      expect((await refusal(plane.play(leg('none'), join(dir, 'x.wav'), { loop: false }))).code).toBe('MEDIA_UNKNOWN_LEG');
    });

    it('lets a listener hear both sides mixed (listen), speak to one side (whisper), to both (barge), and leave', async () => {
      if (plane.listenModes.length === 0) {
        // A plane that cannot mix says so for every mode (rtpengine 10.5).
        const fa = await far();
        const fs = await far();
        const call = leg('call');
        const a = leg('a');
        const s = leg('s');
        await answered(fa, call, a, ['PCMU']);
        await answered(fs, call, s, ['PCMU']);
        for (const mode of ['listen', 'whisper', 'barge'] as const) expect((await refusal(plane.listen(s, a, mode))).code).toBe('MEDIA_UNSUPPORTED');
        return;
      }
      // The caller (A) speaks in PCMU, the operator (B) in PCMA, the supervisor (S) in PCMU (three-way.ts).
      const fa = await far();
      const fb = await far();
      const fs = await far();
      const call = leg('call');
      const a = leg('a');
      const b = leg('b');
      const s = leg('s');
      await answered(fa, call, a, ['PCMU']);
      await answered(fb, call, b, ['PCMA']);
      await answered(fs, call, s, ['PCMU']);
      await plane.bridge(a, b);
      const ends = { a: { far: fa, codec: 'PCMU' }, b: { far: fb, codec: 'PCMA' }, s: { far: fs, codec: 'PCMU' } } as const;
      const round = (mixed: Who[]) => speakAtOnce(ends, mixed);
      await plane.listen(s, b, 'listen');
      expect(await round(['s'])).toEqual({ a: ['b'], b: ['a'], s: ['a', 'b'] });
      await plane.listen(s, b, 'whisper');
      expect(await round(['s', 'b'])).toEqual({ a: ['b'], b: ['a', 's'], s: ['a', 'b'] });
      await plane.listen(s, b, 'barge');
      expect(await round(['s', 'b', 'a'])).toEqual({ a: ['b', 's'], b: ['a', 's'], s: ['a', 'b'] });
      await plane.unlisten(s);
      await quiet(fs);
      const after = fs.received.length;
      const heard = await Promise.all([fa.sendAudio('PCMU', tone(1600, 8000, FREQ.a, AMP)), fb.sendAudio('PCMA', tone(1600, 8000, FREQ.b, AMP))]);
      expect(heard).toEqual([10, 10]);
      await quiet(fs);
      expect(fs.received.length).toBe(after);
      // The relay took over again where the mix fed.
      await until('B hears A relayed', () => toneLevel(fb.audio('PCMA', fb.received.length - 10), 8000, FREQ.a) > AMP / 2, 5_000);
    });

    it('counts the RTP of a leg both ways', async () => {
      const f = await far();
      const id = leg('a');
      await answered(f, leg('call'), id, ['PCMU']);
      expect(plane.stats(id)).toEqual({ rxPackets: 0, txPackets: 0, rxBytes: 0, txBytes: 0 });
      await f.sendAudio('PCMU', tone(160 * 5, 8000, 500));
      await until('received', () => plane.stats(id)!.rxPackets === 5);
      expect(plane.stats(id)!.rxBytes).toBe(5 * 172);
      await plane.play(id, sound(tone(SOUND_RATE / 10, SOUND_RATE, 500)), { loop: false });
      await until('played', () => events.played.includes(id));
      await until('sent', () => plane.stats(id)!.txPackets === f.received.length && f.received.length >= 5);
      expect(plane.stats(id)!.txBytes).toBe(f.received.reduce((s, p) => s + 12 + p.payload.length, 0));
    });
  });
}
