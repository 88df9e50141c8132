// The embedded media plane's parts, by their invariants: G.711 against the ITU definitions
// (and Sun's reference g711.c), RTP reading on arbitrary bytes, the 20 ms clock's pacing
// arithmetic, one outbound stream across sources, RFC 4733 digits from sipp's captures,
// sound files read and refused, the 16 → 8 kHz filter.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeSample, encodeSample, segment, transcode } from '../src/media/g711.ts';
import { buildRtp, MAX_RTP_BYTES, parseRtp } from '../src/media/node/rtp.ts';
import { dueTicks, FRAME_MS, MAX_CATCH_UP } from '../src/media/node/clock.ts';
import { OutStream } from '../src/media/node/stream.ts';
import { DtmfReceiver } from '../src/media/node/dtmf.ts';
import { downsample2, readSoundWav } from '../src/media/node/sound.ts';
import { SampleQueue } from '../src/media/node/recorder.ts';
import { mix } from '../src/media/node/monitor.ts';
import { MediaError, SOUND_RATE } from '../src/media/plane.ts';
import { readPcapUdp, sippDtmfPcap } from './helpers/pcap.ts';
import { align, refAlawDecode, refUlawDecode, refUlawEncode, rms, tone, wavFile } from './media/signals.ts';

const int16 = fc.integer({ min: -32768, max: 32767 });
const code = fc.integer({ min: 0, max: 255 });

describe('G.711', () => {
  it('µ-law: decode∘encode is within half a quantisation step (clipped above 32,635), monotonic', () => {
    fc.assert(
      fc.property(int16, int16, (x, y) => {
        const c = encodeSample('PCMU', x);
        const err = Math.abs(decodeSample('PCMU', c) - x);
        if (Math.abs(x) <= 32635) expect(err).toBeLessThanOrEqual(2 ** (segment('PCMU', c) + 2));
        else expect(err).toBeLessThanOrEqual(Math.abs(x) - 32124);
        if (x <= y) expect(decodeSample('PCMU', c)).toBeLessThanOrEqual(decodeSample('PCMU', encodeSample('PCMU', y)));
      }),
      { numRuns: 5000 },
    );
  });

  it('A-law: decode∘encode is within half a quantisation step, monotonic', () => {
    fc.assert(
      fc.property(int16, int16, (x, y) => {
        const c = encodeSample('PCMA', x);
        const half = Math.max(8, 2 ** (segment('PCMA', c) + 2));
        expect(Math.abs(decodeSample('PCMA', c) - x)).toBeLessThanOrEqual(half);
        if (x <= y) expect(decodeSample('PCMA', c)).toBeLessThanOrEqual(decodeSample('PCMA', encodeSample('PCMA', y)));
      }),
      { numRuns: 5000 },
    );
  });

  it('encode∘decode is the identity on codes (but µ-law −0, which is +0)', () => {
    fc.assert(
      fc.property(code, (c) => {
        expect(encodeSample('PCMA', decodeSample('PCMA', c))).toBe(c);
        expect(encodeSample('PCMU', decodeSample('PCMU', c))).toBe(c === 0x7f ? 0xff : c);
      }),
    );
  });

  it('decodes as Sun’s reference g711.c does, every code; encodes µ-law as it does away from its 14-bit truncation', () => {
    for (let c = 0; c < 256; c++) {
      expect(decodeSample('PCMU', c)).toBe(refUlawDecode(c));
      expect(decodeSample('PCMA', c)).toBe(refAlawDecode(c));
    }
    // Sun's encoder drops the two low bits first: it agrees with the interval definition on
    // every multiple of 4 (the 14-bit values G.711 is defined on), −0 aside.
    fc.assert(
      fc.property(fc.integer({ min: -8158, max: 8158 }), (v) => {
        const ref = refUlawEncode(4 * v);
        expect(encodeSample('PCMU', 4 * v)).toBe(ref === 0x7f ? 0xff : ref);
      }),
      { numRuns: 5000 },
    );
  });

  it('transcodes µ-law ↔ A-law through the linear value', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (codes) => {
        const a = transcode('PCMU', 'PCMA', codes);
        a.forEach((c, i) => expect(c).toBe(encodeSample('PCMA', decodeSample('PCMU', codes[i]!))));
        const u = transcode('PCMA', 'PCMU', codes);
        u.forEach((c, i) => expect(c).toBe(encodeSample('PCMU', decodeSample('PCMA', codes[i]!))));
        expect(transcode('PCMU', 'PCMU', codes)).toEqual(codes);
      }),
    );
  });
});

describe('RTP', () => {
  it('never throws on arbitrary datagrams; what it takes is a v2 packet within its bounds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (b) => {
        const p = parseRtp(b);
        if (p) {
          expect(b[0]! >> 6).toBe(2);
          expect(b.length).toBeLessThanOrEqual(MAX_RTP_BYTES);
          expect(p.payload.byteOffset - b.byteOffset + p.payload.length).toBeLessThanOrEqual(b.length);
          expect(p.payload.byteOffset - b.byteOffset).toBeGreaterThanOrEqual(12);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('reads back what it writes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 63 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.uint8Array({ maxLength: 400 }),
        (pt, marker, seq, ts, ssrc, payload) => {
          const p = parseRtp(buildRtp(pt, marker, seq, ts, ssrc, payload))!;
          expect(p).toMatchObject({ payloadType: pt, marker, seq, timestamp: ts, ssrc });
          expect([...p.payload]).toEqual([...payload]);
        },
      ),
    );
  });

  it('skips CSRCs, the header extension and padding', () => {
    const b = Buffer.from('b3000001000000020000000311111111222222223333333300000001aaaaaaaa' + '0102030405' + '000003', 'hex');
    b[0] = 0x80 | 0x20 | 0x10 | 3;
    expect([...parseRtp(b)!.payload]).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('the 20 ms clock', () => {
  it('runs each tick once, never before its time, at most MAX_CATCH_UP at a time, and none is skipped by a timely caller', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 200 }), (waits) => {
        let next = 0;
        let now = 0;
        const ran: number[] = [];
        for (const w of waits) {
          now += w;
          const { first, last } = dueTicks(next, now);
          expect(last - first + 1).toBeLessThanOrEqual(MAX_CATCH_UP);
          for (let t = first; t <= last; t++) {
            expect(t * FRAME_MS).toBeLessThanOrEqual(now);
            ran.push(t);
          }
          // A wake-up within a period of the last one misses no tick.
          if (w <= FRAME_MS) expect(first).toBe(next);
          next = Math.max(next, last + 1);
        }
        for (let i = 1; i < ran.length; i++) expect(ran[i]!).toBeGreaterThan(ran[i - 1]!);
        // No drift: the ticks run are those due by the wall clock, whatever the waits were.
        expect(next).toBe(Math.floor(now / FRAME_MS) + 1);
      }),
    );
  });
});

describe('one outbound stream', () => {
  it('keeps sequence numbers on by one and timestamps forward, whatever mix of paced frames and relayed sources', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('paced' as const), ticks: fc.integer({ min: 1, max: 100 }) }),
      fc.record({ kind: fc.constant('relay' as const), ssrc: fc.integer({ min: 1, max: 3 }), count: fc.integer({ min: 1, max: 20 }), start: fc.integer({ min: 0, max: 2 ** 32 - 1 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const s = new OutStream();
        let tick = 0;
        const out: { seq: number; timestamp: number }[] = [];
        const srcSeq = new Map<number, number>();
        const srcTs = new Map<number, number>();
        for (const st of steps) {
          if (st.kind === 'paced') {
            for (let i = 0; i < st.ticks; i++) out.push(s.paced(++tick, i === 0));
          } else {
            // A source keeps its own numbering (and its own clock) between turns.
            let q = srcSeq.get(st.ssrc) ?? st.start & 0xffff;
            const ts0 = srcTs.get(st.ssrc) ?? st.start;
            srcTs.set(st.ssrc, ts0);
            for (let i = 0; i < st.count; i++, q++) out.push(s.relayed(st.ssrc, q & 0xffff, (ts0 + 160 * q) >>> 0, false, ++tick * FRAME_MS));
            srcSeq.set(st.ssrc, q);
          }
        }
        for (let i = 1; i < out.length; i++) {
          expect((out[i]!.seq - out[i - 1]!.seq) & 0xffff).toBe(1);
          expect((out[i]!.timestamp - out[i - 1]!.timestamp) | 0).toBeGreaterThan(0);
        }
      }),
    );
  });

  it('carries the timestamp across a silence: it advances with the clock', () => {
    const s = new OutStream();
    const a = s.paced(10, true);
    const b = s.paced(11, false);
    const c = s.paced(61, true);
    expect((b.timestamp - a.timestamp) >>> 0).toBe(160);
    expect((c.timestamp - b.timestamp) >>> 0).toBe(50 * 160);
    expect([a.marker, b.marker, c.marker]).toEqual([true, false, true]);
  });
});

describe('RFC 4733 receiver', () => {
  it("reports each of sipp's captured keys once, their three end packets and any replay ignored", () => {
    const r = new DtmfReceiver();
    const keys = '0123456789*#';
    let got = '';
    for (const k of keys) {
      const pkts = readPcapUdp(sippDtmfPcap(k));
      expect(pkts.length).toBeGreaterThanOrEqual(4);
      for (const p of [...pkts, ...pkts]) {
        const rtp = parseRtp(p.data)!;
        got += r.push(rtp.ssrc, rtp.timestamp, rtp.payload) ?? '';
      }
    }
    expect(got).toBe(keys);
  });

  it('reports a key heard only by its end packets (the first ones lost), and none for non-DTMF events or short payloads', () => {
    const r = new DtmfReceiver();
    expect(r.push(1, 1000, Uint8Array.of(4, 0x8a, 3, 0))).toBe('4');
    expect(r.push(1, 1000, Uint8Array.of(4, 0x8a, 3, 0))).toBeUndefined();
    expect(r.push(1, 2000, Uint8Array.of(16, 0x0a, 0, 0))).toBeUndefined();
    expect(r.push(1, 3000, Uint8Array.of(1, 0x0a))).toBeUndefined();
    expect(r.push(1, 4000, Uint8Array.of(15, 0x0a, 0, 160))).toBe('D');
  });
});

describe('sounds', () => {
  it('reads 16 kHz mono 16-bit PCM and refuses anything else with a sentence', () => {
    const pcm = tone(1600, SOUND_RATE, 440);
    expect(readSoundWav(wavFile(pcm, SOUND_RATE))).toEqual(pcm);
    const refusals: [Uint8Array, RegExp][] = [
      [wavFile(pcm, 8000), /sampled at 8000 Hz, not 16000 Hz/],
      [wavFile(pcm, SOUND_RATE, 2), /2 channels/],
      [wavFile(pcm, SOUND_RATE, 1, { format: 7, bits: 8 }), /not 16-bit PCM/],
      [Buffer.from('ID3 an mp3'), /not a WAV file/],
      [wavFile(pcm, SOUND_RATE).subarray(0, 36), /no audio data/],
    ];
    for (const [b, why] of refusals) {
      let e: unknown;
      try {
        readSoundWav(b, 'x.wav');
      } catch (err) {
        e = err;
      }
      expect(e).toBeInstanceOf(MediaError);
      expect((e as MediaError).code).toBe('MEDIA_BAD_SOUND');
      expect((e as MediaError).message).toMatch(why);
    }
  });

  it('never throws on arbitrary bytes but with MEDIA_BAD_SOUND', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (tail, riff) => {
        const b = riff ? Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE'), tail]) : tail;
        try {
          readSoundWav(b);
        } catch (e) {
          expect((e as MediaError).code).toBe('MEDIA_BAD_SOUND');
        }
      }),
    );
  });

  it('halves the rate with a low-pass: the telephone band passes, what would alias is stopped', () => {
    for (const f of [300, 1000, 3000]) {
      const x = tone(SOUND_RATE, SOUND_RATE, f);
      const y = downsample2(x);
      expect(y.length).toBe(8000);
      const want = tone(8000, 8000, f);
      const mid = (a: Int16Array) => a.subarray(200, a.length - 200);
      expect(rms(mid(y)) / rms(mid(want))).toBeGreaterThan(f === 3000 ? 0.85 : 0.98);
      // Not delayed: sample by sample it matches the tone at 8 kHz.
      expect(align(mid(want), y.subarray(200), 3).lag).toBe(0);
    }
    for (const f of [4600, 5500, 7000]) {
      const y = downsample2(tone(SOUND_RATE, SOUND_RATE, f));
      expect(rms(y.subarray(200, -200)) / rms(tone(8000, 8000, 1000))).toBeLessThan(0.01);
    }
  });
});

describe('recording queue', () => {
  it('waits out jitter after running dry, then gives frames whole, and keeps at most a second', () => {
    const q = new SampleQueue();
    const out = new Int16Array(160);
    q.push(new Int16Array(160).fill(1));
    expect(q.take(out)).toBe(0); // priming
    for (let i = 0; i < 3; i++) expect(q.take(out)).toBe(0);
    expect(q.take(out)).toBe(160);
    expect(out[0]).toBe(1);
    expect(q.take(out)).toBe(0);
    q.push(new Int16Array(20_000).fill(2));
    expect(q.size).toBe(8000);
  });
});

describe("a listener's mix", () => {
  it('is the sum of the two frames where it fits in 16 bits, clipped to the nearer bound elsewhere, in either order (fast-check)', () => {
    const frame = fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: 160, maxLength: 160 }).map((a) => Int16Array.from(a));
    fc.assert(
      fc.property(frame, frame, (a, b) => {
        const ab = mix(a, b, new Int16Array(160));
        expect(mix(b, a, new Int16Array(160))).toEqual(ab);
        for (let i = 0; i < 160; i++) expect(ab[i]).toBe(Math.max(-32768, Math.min(32767, a[i]! + b[i]!)));
      }),
      { numRuns: 200 },
    );
  });
});
