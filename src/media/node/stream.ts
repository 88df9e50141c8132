// One outbound RTP stream, as the far end sees it: one SSRC, sequence numbers that go on
// by one, timestamps that follow the wall clock across silences, whatever the source of the
// audio (a prompt paced by our clock, or packets relayed from another leg, which keep their
// own spacing). Switching source sets the marker bit and re-bases the relayed numbers.
import { randomInt } from 'node:crypto';
import { FRAME_MS, FRAME_SAMPLES } from './clock.ts';

const SAMPLES_PER_MS = FRAME_SAMPLES / FRAME_MS;

/** a after b in 32-bit serial arithmetic. */
function after32(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/** a after b in 16-bit serial arithmetic. */
function after16(a: number, b: number): boolean {
  const d = (a - b) & 0xffff;
  return d !== 0 && d < 0x8000;
}

export interface Stamp {
  seq: number;
  timestamp: number;
  marker: boolean;
}

export class OutStream {
  readonly ssrc = randomInt(1, 2 ** 32 - 1);
  /** The next sequence number. */
  private seq = randomInt(0, 0x10000);
  /** The timestamp at the clock's origin. */
  private readonly base = randomInt(0, 2 ** 32 - 1);
  private lastTs: number | undefined;
  /** What the last packet came from: 'clock' or a relayed SSRC. */
  private source: string | undefined;
  private seqOffset = 0;
  private tsOffset = 0;

  /** Our timestamp `ms` after the clock's origin. */
  private tsAt(ms: number): number {
    return (this.base + Math.round(ms * SAMPLES_PER_MS)) >>> 0;
  }

  /** Stamps a frame we send on clock tick `tick` (`start`: the first of a sound). */
  paced(tick: number, start: boolean): Stamp {
    let timestamp = this.tsAt(tick * FRAME_MS);
    // After relayed packets whose clock ran ahead of ours, stay after them.
    if (this.lastTs !== undefined && !after32(timestamp, this.lastTs)) timestamp = (this.lastTs + FRAME_SAMPLES) >>> 0;
    const marker = start || this.source !== 'clock';
    this.source = 'clock';
    this.lastTs = timestamp;
    const seq = this.seq;
    this.seq = (seq + 1) & 0xffff;
    return { seq, timestamp, marker };
  }

  /**
   * Stamps a relayed packet (its source's SSRC, sequence number and timestamp) received
   * `nowMs` after the clock's origin: the source's spacing and gaps are kept, re-based when
   * the source changes so that the far end sees the stream go on.
   */
  relayed(ssrc: number, seq: number, timestamp: number, marker: boolean, nowMs: number): Stamp {
    const source = String(ssrc);
    let first = false;
    if (this.source !== source) {
      first = true;
      let ts = this.tsAt(nowMs);
      if (this.lastTs !== undefined && !after32(ts, this.lastTs)) ts = (this.lastTs + FRAME_SAMPLES) >>> 0;
      this.seqOffset = (this.seq - seq) & 0xffff;
      this.tsOffset = (ts - timestamp) >>> 0;
      this.source = source;
    }
    const out = { seq: (seq + this.seqOffset) & 0xffff, timestamp: (timestamp + this.tsOffset) >>> 0, marker: marker || first };
    if (after16((out.seq + 1) & 0xffff, this.seq)) this.seq = (out.seq + 1) & 0xffff;
    if (this.lastTs === undefined || after32(out.timestamp, this.lastTs)) this.lastTs = out.timestamp;
    return out;
  }
}
