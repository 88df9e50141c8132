// The rtpengine media plane against a real rtpengine (Debian's rtpengine-daemon, userspace):
// real UDP sockets play the far ends of the legs; RTP is decoded and its tone checked.

import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaError } from '../src/media/plane.ts';
import { startRtpengine, type RtpengineDaemon } from '../src/media/rtpengine/daemon.ts';
import { decodeSample, encodeSample } from '../src/media/g711.ts';

// The one G.711 codec of the product (its properties are tested in media-node-units.test.ts).
const ulawToLinear = (b: number) => decodeSample('PCMU', b);
const alawToLinear = (b: number) => decodeSample('PCMA', b);
const linearToUlaw = (x: number) => encodeSample('PCMU', x);
const linearToAlaw = (x: number) => encodeSample('PCMA', x);
import { bdecode, bencode, NgClient, type NgMessage, type NgValue } from '../src/media/rtpengine/ng.ts';
import { readPcapUdp } from '../src/media/rtpengine/pcap.ts';
import { bindDtmfLog, RtpenginePlane } from '../src/media/rtpengine/plane.ts';
import { parseRtp } from '../src/media/rtpengine/recording.ts';
import { readFarEnd } from '../src/media/rtpengine/sdp.ts';
import { until } from './helpers/until.ts';

const RTP_MIN = 31000;
const RTP_MAX = 31999;

let daemon: RtpengineDaemon;
let plane: RtpenginePlane;
let ng: NgClient;
let dir: string;
let dtmfSock: dgram.Socket;
const digits: string[] = [];
const played: string[] = [];
const sockets: dgram.Socket[] = [];

/** A free UDP port (the OS picks it; rtpengine binds it right after). */
async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const { port } = s.address();
  s.close();
  return port;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vm-rtpe-'));
  dtmfSock = await bindDtmfLog();
  daemon = await startRtpengine({
    ngPort: await freePort(),
    portMin: RTP_MIN,
    portMax: RTP_MAX,
    dtmfLogPort: dtmfSock.address().port,
    recordingDir: join(dir, 'spool'),
  });
  plane = new RtpenginePlane({
    ng: daemon.ng,
    dtmfLog: dtmfSock,
    recordingDir: join(dir, 'spool'),
    events: { dtmf: (leg, d) => digits.push(`${leg}:${d}`), played: (leg) => played.push(leg) },
  });
  ng = new NgClient(daemon.ng);
  // a 16 kHz s16 mono WAV like src/sounds': 1 s of 440 Hz
  writeFileSync(join(dir, 'tone.wav'), wav16k(440, 1000));
});

afterAll(async () => {
  await plane?.stop();
  ng?.close();
  for (const s of sockets) s.close();
  dtmfSock?.close();
  await daemon?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Far {
  sock: dgram.Socket;
  port: number;
  got: Buffer[];
}

async function far(): Promise<Far> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  sockets.push(sock);
  const f: Far = { sock, port: sock.address().port, got: [] };
  // Only what this file's rtpengine sends: an ephemeral port the OS hands us may still be the
  // target of another test's media (seen in the full suite: a foreign stream, no 440 Hz in it).
  sock.on('message', (m, from) => {
    if (from.port >= RTP_MIN && from.port <= RTP_MAX && f.got.length < 10_000) f.got.push(m);
  });
  return f;
}

function sdp(port: number, pts: number[], dir = 'sendrecv'): string {
  const names: Record<number, string> = { 0: 'PCMU/8000', 8: 'PCMA/8000', 18: 'G729/8000', 101: 'telephone-event/8000' };
  return [
    'v=0',
    'o=- 7 7 IN IP4 127.0.0.1',
    's=far',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP ${pts.join(' ')}`,
    ...pts.map((pt) => `a=rtpmap:${pt} ${names[pt]}`),
    ...(pts.includes(101) ? ['a=fmtp:101 0-15'] : []),
    `a=${dir}`,
    '',
  ].join('\r\n');
}

const portOf = (s: string): number => Number(/^m=audio (\d+)/m.exec(s)![1]);
const ptsOf = (s: string): string => /^m=audio \d+ RTP\/AVP ([\d ]+)/m.exec(s)![1]!.trim();

/** Sends `n` 20 ms G.711 packets of a `freq` tone to `port`, paced. */
async function sendTone(f: Far, port: number, pt: 0 | 8, freq: number, n: number, ssrc: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const b = Buffer.alloc(12 + 160);
    b[0] = 0x80;
    b[1] = pt;
    b.writeUInt16BE(i & 0xffff, 2);
    b.writeUInt32BE(i * 160, 4);
    b.writeUInt32BE(ssrc, 8);
    for (let k = 0; k < 160; k++) {
      const s = 8000 * Math.sin((2 * Math.PI * freq * (i * 160 + k)) / 8000);
      b[12 + k] = pt === 0 ? linearToUlaw(s) : linearToAlaw(s);
    }
    f.sock.send(b, port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Decodes the G.711 packets a far end got (payload type `pt` only), in arrival order. */
function decoded(f: Far, pt: 0 | 8): { samples: number[]; seqs: number[] } {
  const samples: number[] = [];
  const seqs: number[] = [];
  for (const m of f.got) {
    const r = parseRtp(m);
    if (!r || r.pt !== pt) continue;
    seqs.push(m.readUInt16BE(2));
    for (const byte of r.payload) samples.push(pt === 0 ? ulawToLinear(byte) : alawToLinear(byte));
  }
  return { samples, seqs };
}

/** Goertzel power of `freq` relative to the signal's energy (≈1 for a pure tone, ≈0 else). */
function toneShare(samples: readonly number[], freq: number, rate = 8000): number {
  const coeff = 2 * Math.cos((2 * Math.PI * freq) / rate);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (const x of samples) {
    const s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
    energy += x * x;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return energy === 0 ? 0 : (2 * power) / (samples.length * energy);
}

function wav16k(freq: number, ms: number): Buffer {
  const n = (16000 * ms) / 1000;
  const h = Buffer.alloc(44 + n * 2);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + n * 2, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(16000, 24);
  h.writeUInt32LE(32000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) h.writeInt16LE(Math.round(10000 * Math.sin((2 * Math.PI * freq * i) / 16000)), 44 + i * 2);
  return h;
}

/** Answers an inbound leg (far end offering `pts`) and an outbound one answering `opPt`. */
async function callerAndOperator(call: string, callerPts: number[], opPt: 0 | 8) {
  const a = await far();
  const x = await far();
  const ans = await plane.answer(call, `${call}.a`, sdp(a.port, callerPts));
  const off = await plane.offer(call, `${call}.op`);
  await plane.answered(`${call}.op`, sdp(x.port, [opPt, 101]));
  return { a, x, aPort: portOf(ans), xPort: portOf(off), ans, off };
}

describe('rtpengine plane: SDP', () => {
  it('answers an offer with rtpengine address, a port of its range and the first G.711 codec offered', async () => {
    const a = await far();
    const ans = await plane.answer('s1', 's1.a', sdp(a.port, [18, 8, 0, 101]));
    expect(ans).toMatch(/^c=IN IP4 127\.0\.0\.1\r?$/m);
    expect(portOf(ans)).toBeGreaterThanOrEqual(RTP_MIN);
    expect(portOf(ans)).toBeLessThanOrEqual(RTP_MAX);
    expect(ptsOf(ans)).toBe('8 101');
    expect(ans).toMatch(/a=sendrecv/);
    const off = await plane.offer('s1', 's1.op');
    expect(ptsOf(off)).toBe('0 8 101');
    expect(off).toMatch(/^c=IN IP4 127\.0\.0\.1\r?$/m);
    // the placeholder behind both has the zero address: none of it reaches the far ends
    expect(off).toMatch(/a=sendrecv/);
    expect(`${ans}${off}`).not.toMatch(/0\.0\.0\.0/);
    expect(portOf(off)).not.toBe(portOf(ans));
    await plane.close('s1.op');
    await plane.close('s1.a');
  });

  it('refuses offers without G.711 (488) and garbage (400) with typed errors', async () => {
    const a = await far();
    await expect(plane.answer('s2', 's2.a', sdp(a.port, [18]))).rejects.toMatchObject({ code: 'MEDIA_NO_CODEC' });
    await expect(plane.answer('s2', 's2.b', 'not sdp at all')).rejects.toBeInstanceOf(MediaError);
    await expect(plane.bridge('nope', 'nada')).rejects.toMatchObject({ code: 'MEDIA_UNKNOWN_LEG' });
    await plane.close('unknown-leg'); // ignored
  });
});

describe('rtpengine plane: prompts and DTMF on a lone caller leg', () => {
  it('plays a 16 kHz WAV into the caller leg: ~50 packets/s, contiguous, the source tone', async () => {
    const a = await far();
    const ans = await plane.answer('p1', 'p1.a', sdp(a.port, [0, 101]));
    await plane.play('p1.a', join(dir, 'tone.wav'), { loop: false });
    await until('played event', () => played.includes('p1.a'), 10_000);
    await until('the whole prompt', () => decoded(a, 0).samples.length >= 7600, 5_000);
    const { samples, seqs } = decoded(a, 0);
    expect(seqs.length).toBeGreaterThanOrEqual(48);
    expect(seqs.length).toBeLessThanOrEqual(52);
    for (let i = 1; i < seqs.length; i++) expect((seqs[i]! - seqs[i - 1]! + 65536) % 65536).toBe(1);
    expect(toneShare(samples.slice(800, 7200), 440)).toBeGreaterThan(0.8);
    expect(toneShare(samples.slice(800, 7200), 1000)).toBeLessThan(0.05);
    // the packets come from the port of our answer (symmetric RTP)
    expect(portOf(ans)).toBeGreaterThan(0);
    await plane.close('p1.a');
  });

  it('plays to an A-law leg in A-law (the sound converted once per codec)', async () => {
    const a = await far();
    await plane.answer('p2', 'p2.a', sdp(a.port, [8, 101]));
    await plane.play('p2.a', join(dir, 'tone.wav'), { loop: false });
    await until('the whole prompt', () => decoded(a, 8).samples.length >= 7600, 10_000);
    expect(decoded(a, 0).seqs).toEqual([]);
    expect(toneShare(decoded(a, 8).samples.slice(800, 7200), 440)).toBeGreaterThan(0.8);
    await plane.close('p2.a');
  });

  it('loops until stopPlay', async () => {
    const a = await far();
    await plane.answer('p2', 'p2.a', sdp(a.port, [8, 101]));
    await plane.play('p2.a', join(dir, 'tone.wav'), { loop: true });
    await until('more than one pass of the file', () => decoded(a, 8).samples.length > 8000 * 1.5, 10_000);
    await plane.stopPlay('p2.a');
    expect(played).not.toContain('p2.a');
    await plane.close('p2.a');
  });

  it('reports RFC 4733 digits (sipp pcaps) once each, in order, before any bridge', async () => {
    const a = await far();
    const ans = await plane.answer('d1', 'd1.a', sdp(a.port, [0, 101]));
    const keys = ['1', '5', 'star', '0', 'pound', '9'];
    for (const k of keys) {
      for (const p of readPcapUdp(`/usr/share/sip-tester/dtmf_2833_${k}.pcap`)) {
        a.sock.send(p.payload, portOf(ans), '127.0.0.1');
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 60));
    }
    await until('six digits', () => digits.filter((d) => d.startsWith('d1.a:')).length >= 6, 10_000);
    await new Promise((r) => setTimeout(r, 300)); // a late duplicate would show here
    expect(digits.filter((d) => d.startsWith('d1.a:'))).toEqual(['d1.a:1', 'd1.a:5', 'd1.a:*', 'd1.a:0', 'd1.a:#', 'd1.a:9']);
    await plane.close('d1.a');
  });
});

describe('rtpengine plane: bridges', () => {
  it('bridges the caller to an operator leg both ways, content preserved, ports as first given', async () => {
    const { a, x, aPort, xPort } = await callerAndOperator('b1', [0, 8, 101], 0);
    await plane.bridge('b1.a', 'b1.op');
    await Promise.all([sendTone(a, aPort, 0, 440, 50, 111), sendTone(x, xPort, 0, 1000, 50, 222)]);
    await until('x got 45 packets', () => decoded(x, 0).seqs.length >= 45, 5_000);
    await until('a got 45 packets', () => decoded(a, 0).seqs.length >= 45, 5_000);
    expect(toneShare(decoded(x, 0).samples, 440)).toBeGreaterThan(0.8);
    expect(toneShare(decoded(a, 0).samples, 1000)).toBeGreaterThan(0.8);
    await until('stats', () => (plane.stats('b1.a')?.rxPackets ?? 0) >= 50, 5_000);
    await plane.close('b1.op');
    await plane.close('b1.a');
  });

  it('transcodes PCMU (caller) ↔ PCMA (operator)', async () => {
    const { a, x, aPort, xPort } = await callerAndOperator('t1', [0, 101], 8);
    await plane.bridge('t1.a', 't1.op');
    await Promise.all([sendTone(a, aPort, 0, 440, 50, 333), sendTone(x, xPort, 8, 1000, 50, 444)]);
    await until('x got PCMA', () => decoded(x, 8).seqs.length >= 45, 5_000);
    await until('a got PCMU', () => decoded(a, 0).seqs.length >= 45, 5_000);
    expect(decoded(x, 0).seqs.length).toBe(0);
    expect(decoded(a, 8).seqs.length).toBe(0);
    expect(toneShare(decoded(x, 8).samples.slice(400), 440)).toBeGreaterThan(0.7);
    expect(toneShare(decoded(a, 0).samples.slice(400), 1000)).toBeGreaterThan(0.7);
    await plane.close('t1.a');
    await plane.close('t1.op');
  });

  it('transfers: the operator leg is released, another bridged; the caller keeps its port', async () => {
    const { a, x, aPort, xPort } = await callerAndOperator('x1', [0, 101], 0);
    await plane.bridge('x1.a', 'x1.op');
    await plane.close('x1.op');
    // alone again: a prompt plays to the caller between the two operators
    await plane.play('x1.a', join(dir, 'tone.wav'), { loop: true });
    await until('hold music', () => decoded(a, 0).seqs.length >= 10, 5_000);
    const y = await far();
    const off = await plane.offer('x1', 'x1.op2');
    await plane.answered('x1.op2', sdp(y.port, [8, 101]));
    await plane.bridge('x1.a', 'x1.op2');
    a.got.length = 0;
    const before = x.got.length;
    await Promise.all([sendTone(a, aPort, 0, 440, 40, 555), sendTone(y, portOf(off), 8, 1000, 40, 666)]);
    await until('y got the caller', () => decoded(y, 8).seqs.length >= 35, 5_000);
    await until('caller got y', () => decoded(a, 0).samples.length >= 35 * 160, 5_000);
    expect(toneShare(decoded(y, 8).samples.slice(400), 440)).toBeGreaterThan(0.7);
    expect(toneShare(decoded(a, 0).samples.slice(-4800), 1000)).toBeGreaterThan(0.7);
    expect(x.got.length).toBe(before);
    expect(xPort).toBeGreaterThan(0);
    await plane.close('x1.a');
    await plane.close('x1.op2');
  });

  it('unbridge silences both sides; a re-offer (hold) gets the opposite direction on the same port', async () => {
    const { a, x, aPort, xPort, ans } = await callerAndOperator('h1', [0, 101], 0);
    await plane.bridge('h1.a', 'h1.op');
    const hold = await plane.reoffer('h1.op', sdp(x.port, [0, 101], 'sendonly'));
    expect(hold).toMatch(/a=recvonly/);
    expect(portOf(hold)).toBe(xPort);
    const resume = await plane.reoffer('h1.op', sdp(x.port, [0, 101], 'sendrecv'));
    expect(resume).toMatch(/a=sendrecv/);
    expect(portOf(resume)).toBe(xPort);
    const again = await plane.reoffer('h1.a', sdp(a.port, [0, 101]));
    expect(portOf(again)).toBe(portOf(ans));
    await plane.unbridge('h1.a');
    await sendTone(a, aPort, 0, 440, 20, 777);
    await until('rtpengine saw the caller', () => (plane.stats('h1.a')?.rxPackets ?? 0) >= 20, 5_000);
    expect(decoded(x, 0).seqs.length).toBe(0);
    await plane.close('h1.a');
    await plane.close('h1.op');
  });
});

describe('rtpengine plane: a supervisor listening', () => {
  it('refuses every listen mode (10.5 mixes nothing); its `subscribe request` forks each side as its own m= section', async () => {
    await callerAndOperator('l1', [0, 101], 0);
    await plane.bridge('l1.a', 'l1.op');
    const s = await plane.offer('l1', 'l1.sup');
    expect(plane.listenModes).toEqual([]);
    for (const mode of ['listen', 'whisper', 'barge'] as const) {
      const e = await plane.listen('l1.sup', 'l1.op', mode).then(() => undefined, (err: unknown) => err);
      expect(e).toBeInstanceOf(MediaError);
      expect((e as MediaError).code).toBe('MEDIA_UNSUPPORTED');
    }
    expect(s).toContain('m=audio');
    // What 10.5 does offer, tried on the daemon: a listener subscribed to both sides gets two
    // one-way streams (two m= sections, sendonly), not one mixed stream a phone line can carry.
    const sub = await ng.send('subscribe request', { 'call-id': 'l1', 'from-tags': ['l1.a', 'l1.op'], 'to-tag': 'l1.listener' });
    const offer = String(sub.sdp);
    expect(offer.match(/^m=audio /gm)?.length).toBe(2);
    expect(offer.match(/^a=sendonly/gm)?.length).toBe(2);
    await plane.close('l1.sup');
    await plane.close('l1.op');
    await plane.close('l1.a');
  });
});

describe('rtpengine plane: recording and release', () => {
  it('records a bridged conversation to a stereo 8 kHz WAV as long as what was sent', async () => {
    const { a, x, aPort, xPort } = await callerAndOperator('r1', [0, 101], 8);
    await plane.bridge('r1.a', 'r1.op');
    const file = join(dir, 'r1.wav');
    await plane.startRecording('r1', ['r1.a', 'r1.op'], file);
    await Promise.all([sendTone(a, aPort, 0, 440, 100, 901), sendTone(x, xPort, 8, 1000, 100, 902)]);
    await until('rtpengine saw both', () => (plane.stats('r1.a')?.rxPackets ?? 0) >= 100 && (plane.stats('r1.op')?.rxPackets ?? 0) >= 100, 5_000);
    const rec = await plane.stopRecording('r1');
    expect(rec?.file).toBe(file);
    const w = readFileSync(file);
    expect(w.toString('ascii', 0, 4)).toBe('RIFF');
    expect(w.readUInt16LE(22)).toBe(2);
    expect(w.readUInt32LE(24)).toBe(8000);
    const frames = w.readUInt32LE(40) / 4;
    expect(rec!.bytes).toBe(w.length);
    expect(rec!.durationMs).toBe(Math.round(frames / 8));
    // 100 packets of 20 ms each way, started together: 2 s (plus the start offset of the two)
    expect(frames).toBeGreaterThanOrEqual(16_000);
    expect(frames).toBeLessThan(16_000 + 800);
    const left: number[] = [];
    const right: number[] = [];
    for (let i = 0; i < frames; i++) {
      left.push(w.readInt16LE(44 + i * 4));
      right.push(w.readInt16LE(46 + i * 4));
    }
    expect(toneShare(left.slice(800, 15000), 440)).toBeGreaterThan(0.7);
    expect(toneShare(right.slice(800, 15000), 1000)).toBeGreaterThan(0.7);
    expect(await plane.stopRecording('r1')).toBeUndefined();
    await plane.close('r1.a');
    await plane.close('r1.op');
  });

  it('close frees the legs and the NG call in rtpengine', async () => {
    const { aPort } = await callerAndOperator('c1', [0, 101], 0);
    await plane.bridge('c1.a', 'c1.op');
    // a deleted monologue stays listed by `query` until the call ends, without its ports
    const live = async (): Promise<string[]> => {
      const q = await ng.send('query', { 'call-id': 'c1' });
      const tags = q.tags as Record<string, { medias: { streams: Record<string, unknown>[] }[] }>;
      return Object.keys(tags)
        .filter((t) => tags[t]!.medias[0]?.streams[0]?.['local port'] !== undefined)
        .sort();
    };
    expect(await live()).toEqual(['c1.a', 'c1.op']);
    await plane.close('c1.op');
    expect(await live()).toEqual(['c1.a', 'c1.a~2']);
    await plane.close('c1.a');
    await expect(ng.send('query', { 'call-id': 'c1' })).rejects.toThrow(/Unknown call-id/);
    expect(plane.stats('c1.a')).toBeUndefined();
    expect(aPort).toBeGreaterThan(0);
  });
});

describe('rtpengine plane: NG requests per call', () => {
  const sent = (): number => Object.entries(plane.ngCounts()).reduce((n, [c, k]) => (c === 'query' ? n : n + k), 0);

  it('a call answered, played to, bridged and hung up: 11 NG requests, the hangup one `delete`', async () => {
    const steps: Record<string, number> = {};
    const step = async (name: string, fn: () => Promise<unknown>): Promise<void> => {
      const before = sent();
      await fn();
      steps[name] = sent() - before;
    };
    const a = await far();
    const x = await far();
    let aPort = 0;
    let xPort = 0;
    await step('answer', async () => (aPort = portOf(await plane.answer('n1', 'n1.a', sdp(a.port, [0, 101])))));
    await step('play', () => plane.play('n1.a', join(dir, 'tone.wav'), { loop: true }));
    await step('offer', async () => (xPort = portOf(await plane.offer('n1', 'n1.op'))));
    await step('answered', () => plane.answered('n1.op', sdp(x.port, [0, 101])));
    await step('bridge', () => plane.bridge('n1.a', 'n1.op'));
    // the relay works both ways after it
    await Promise.all([sendTone(a, aPort, 0, 440, 25, 11), sendTone(x, xPort, 0, 1000, 25, 22)]);
    await until('x hears a', () => toneShare(decoded(x, 0).samples, 440) > 0.5, 5_000);
    await until('a hears x', () => toneShare(decoded(a, 0).samples.slice(-2000), 1000) > 0.5, 5_000);
    // a hangup closes every leg at once
    await step('hangup', () => Promise.all([plane.close('n1.op'), plane.close('n1.a')]));
    expect(steps).toEqual({ answer: 2, play: 1, offer: 1, answered: 1, bridge: 5, hangup: 1 });
    await expect(ng.send('query', { 'call-id': 'n1' })).rejects.toThrow(/Unknown call-id/);
  });
});

describe('NG client: pipelined, bounded, matched by cookie', () => {
  /** A UDP peer of our own: `onRequest` sees each datagram (cookie, decoded dictionary). */
  async function peer(onRequest: (cookie: string, msg: Record<string, unknown>, reply: (m: object) => void) => void) {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    sockets.push(sock);
    sock.on('message', (m, from) => {
      const sp = m.indexOf(0x20);
      const cookie = m.toString('latin1', 0, sp);
      const reply = (obj: object) => sock.send(Buffer.concat([Buffer.from(`${cookie} `), bencode(obj as NgMessage)]), from.port, from.address);
      onRequest(cookie, bdecode(m.subarray(sp + 1)) as Record<string, unknown>, reply);
    });
    return `127.0.0.1:${sock.address().port}`;
  }

  it('runs many requests against rtpengine with at most maxInFlight on the wire', async () => {
    const c = new NgClient(daemon.ng, { maxInFlight: 8 });
    try {
      const replies = await Promise.all(Array.from({ length: 300 }, () => c.send('ping', {})));
      expect(replies.every((r) => r.result === 'pong')).toBe(true);
      expect(c.peakInFlight).toBe(8);
      expect(c.inFlight + c.queued).toBe(0);
    } finally {
      c.close();
    }
  });

  it('refuses at once beyond maxQueued, and every request settles', async () => {
    const c = new NgClient(daemon.ng, { maxInFlight: 1, maxQueued: 2 });
    try {
      const all = await Promise.allSettled(Array.from({ length: 5 }, () => c.send('ping', {})));
      expect(all.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
      expect(String((all[4] as PromiseRejectedResult).reason)).toMatch(/2 requests already waiting/);
    } finally {
      c.close();
    }
  });

  it('matches replies that come in reverse order to their requests', async () => {
    const held: Array<() => void> = [];
    const addr = await peer((_cookie, msg, reply) => {
      held.push(() => reply({ result: 'ok', echo: msg['call-id'] as string }));
      if (held.length === 20) for (const r of held.reverse()) r();
    });
    const c = new NgClient(addr, { maxInFlight: 20 });
    try {
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => c.send('query', { 'call-id': `q${i}` })));
      expect(replies.map((r) => r.echo)).toEqual(Array.from({ length: 20 }, (_, i) => `q${i}`));
    } finally {
      c.close();
    }
  });

  it('retransmits with the same cookie, and times out when nothing answers', async () => {
    const seen: string[] = [];
    const addr = await peer((cookie, msg, reply) => {
      seen.push(cookie);
      // the first copy of `q-late` is "lost"; nothing ever answers `q-never`
      if (msg['call-id'] === 'q-late' && seen.filter((k) => k === cookie).length >= 2) reply({ result: 'ok' });
    });
    const c = new NgClient(addr, { timeoutMs: 1_000, retransmitMs: 100 });
    try {
      await expect(c.send('query', { 'call-id': 'q-late' })).resolves.toMatchObject({ result: 'ok' });
      expect(c.retransmissions).toBeGreaterThanOrEqual(1);
      const never = c.send('query', { 'call-id': 'q-never' });
      await expect(never).rejects.toMatchObject({ code: 'MEDIA_UNAVAILABLE' });
      await expect(never).rejects.toThrow(/no reply in 1000 ms/);
      expect(new Set(seen).size).toBe(2);
      expect(c.inFlight).toBe(0);
    } finally {
      c.close();
    }
  });

  it('an error reply is a MediaError with rtpengine\'s reason; a closed client refuses', async () => {
    const c = new NgClient(daemon.ng);
    await expect(c.send('query', { 'call-id': 'no-such-call' })).rejects.toThrow(/rtpengine query: Unknown call-id/);
    c.close();
    await expect(c.send('ping', {})).rejects.toMatchObject({ code: 'MEDIA_UNAVAILABLE' });
  });

  it('bencode round-trips any message (fast-check)', () => {
    const value: fc.Arbitrary<NgValue> = fc.letrec<{ v: NgValue }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small', maxDepth: 3 },
        fc.string({ unit: 'binary' }),
        fc.integer(),
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), tie('v'), { maxKeys: 4 }),
      ),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        expect(JSON.stringify(bdecode(bencode(v)))).toBe(JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? sortKeys(x) : x)));
      }),
      { numRuns: 200 },
    );
  });
});

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(o).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))).map((k) => [k, o[k]]));
}

describe('rtpengine plane: pure parts (fast-check)', () => {
  it('bad SDP never crashes: a typed MediaError or a far end', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        try {
          const f = readFarEnd(s);
          expect(['PCMU', 'PCMA']).toContain(f.codec);
        } catch (err) {
          expect(err).toBeInstanceOf(MediaError);
        }
      }),
    );
  });

  it('a truncated or garbled pcap ends the walk without a crash', () => {
    const good = readFileSync('/usr/share/sip-tester/dtmf_2833_1.pcap');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length }), fc.uint8Array({ maxLength: 64 }), (cut, junk) => {
        const f = join(dir, 'cut.pcap');
        writeFileSync(f, Buffer.concat([good.subarray(0, cut), junk]));
        try {
          for (const p of readPcapUdp(f)) expect(p.payload.length).toBeLessThan(2000);
        } catch (err) {
          expect(String(err)).toMatch(/not a pcap/);
        }
      }),
      { numRuns: 200 },
    );
  });
});
