// A call's recording: a stereo WAV, 8 kHz 16-bit, left what the first leg says, right what
// the second says (or, for one leg, what it hears). Audio heard on a channel waits in a
// short queue; each tick of the media clock takes one frame from each queue, silence when
// there is none, so the file runs as long as the conversation. Frames are written as they
// come in chunks (memory stays bounded; a disk that cannot keep up loses chunks, counted),
// and the header's sizes are set when the recording stops.
import { open, type FileHandle } from 'node:fs/promises';
import type { RecordingResult } from '../plane.ts';
import { FRAME_SAMPLES } from './clock.ts';
import { wavHeader } from '../../sounds/wav.ts';

const RATE = 8000;
const HEADER_BYTES = 44;
/** Bytes of one stereo frame (two 16-bit channels). */
const FRAME_BYTES = FRAME_SAMPLES * 4;
/** Frames gathered before a write (one second). */
const CHUNK_FRAMES = 50;
/** Chunks waiting for the disk at most, beyond which they are dropped. */
const MAX_QUEUED_CHUNKS = 32;
/** A WAV's sizes are 32-bit: the recording stops growing before. */
const MAX_DATA_BYTES = 0xffffffff - HEADER_BYTES - 8;
/** Ticks a channel's queue waits after running dry: the jitter it absorbs (100 ms). */
const PRIME_TICKS = 5;

/**
 * Samples waiting for the clock, at most one second of them (the oldest go first). After
 * running dry it waits PRIME_TICKS ticks (or as many frames) before giving again: packets
 * arrive with jitter around the clock's ticks, and a late frame must not become a frame of
 * silence in the middle of a word. A file can afford the delay a phone cannot.
 */
export class SampleQueue {
  private buf = new Int16Array(RATE);
  private start = 0;
  private length = 0;
  private flowing = false;
  private waited = 0;

  push(samples: Int16Array): void {
    for (let i = 0; i < samples.length; i++) {
      if (this.length === this.buf.length) {
        this.start = (this.start + 1) % this.buf.length;
        this.length--;
      }
      this.buf[(this.start + this.length) % this.buf.length] = samples[i]!;
      this.length++;
    }
  }

  /** Gives what it holds from now on, without waiting (the recording ends). */
  drain(): void {
    this.flowing = true;
  }

  get size(): number {
    return this.length;
  }

  /** Moves up to `out.length` samples into `out`, silence after them; returns how many were real. */
  take(out: Int16Array): number {
    if (!this.flowing) {
      if (this.length > 0 && (++this.waited >= PRIME_TICKS || this.length >= PRIME_TICKS * out.length)) this.flowing = true;
      else {
        out.fill(0);
        return 0;
      }
    }
    const n = Math.min(out.length, this.length);
    for (let i = 0; i < n; i++) out[i] = this.buf[(this.start + i) % this.buf.length]!;
    out.fill(0, n);
    this.start = (this.start + n) % this.buf.length;
    this.length -= n;
    if (this.length === 0) {
      this.flowing = false;
      this.waited = 0;
    }
    return n;
  }
}

function header(dataBytes: number): Buffer {
  return wavHeader(RATE, 2, dataBytes);
}

export class Recorder {
  readonly left = new SampleQueue();
  readonly right = new SampleQueue();
  private readonly l = new Int16Array(FRAME_SAMPLES);
  private readonly r = new Int16Array(FRAME_SAMPLES);
  private chunk = Buffer.alloc(CHUNK_FRAMES * FRAME_BYTES);
  private filled = 0;
  /** Bytes of audio handed to the disk (the header says this many). */
  private dataBytes = 0;
  private queued = 0;
  private writing: Promise<void> = Promise.resolve();
  private failed: Error | undefined;
  /** Chunks dropped because the disk was behind. */
  lostChunks = 0;

  private constructor(
    readonly file: string,
    private readonly fh: FileHandle,
  ) {}

  static async create(file: string): Promise<Recorder> {
    const fh = await open(file, 'w');
    const rec = new Recorder(file, fh);
    rec.enqueue(header(0), 0);
    return rec;
  }

  /** One clock tick: a frame of each channel into the file. */
  tick(): void {
    this.frame();
  }

  private frame(): void {
    this.left.take(this.l);
    this.right.take(this.r);
    const o = this.filled;
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      this.chunk.writeInt16LE(this.l[i]!, o + 4 * i);
      this.chunk.writeInt16LE(this.r[i]!, o + 4 * i + 2);
    }
    this.filled += FRAME_BYTES;
    if (this.filled === this.chunk.length) this.flush();
  }

  private flush(): void {
    if (this.filled === 0) return;
    const data = this.chunk.subarray(0, this.filled);
    this.chunk = Buffer.alloc(CHUNK_FRAMES * FRAME_BYTES);
    this.filled = 0;
    if (this.failed || this.dataBytes + data.length > MAX_DATA_BYTES) return;
    if (this.queued >= MAX_QUEUED_CHUNKS) {
      this.lostChunks++;
      return;
    }
    this.enqueue(data, HEADER_BYTES + this.dataBytes);
    this.dataBytes += data.length;
  }

  private enqueue(data: Buffer, position: number): void {
    this.queued++;
    this.writing = this.writing.then(async () => {
      try {
        if (!this.failed) await this.fh.write(data, 0, data.length, position);
      } catch (e) {
        this.failed = e as Error;
      } finally {
        this.queued--;
      }
    });
  }

  /** Writes what the queues still hold, fixes the header, closes the file. */
  async stop(): Promise<RecordingResult> {
    this.left.drain();
    this.right.drain();
    while (this.left.size > 0 || this.right.size > 0) this.frame();
    this.flush();
    this.enqueue(header(this.dataBytes), 0);
    await this.writing;
    await this.fh.close().catch(() => undefined);
    const bytes = this.failed ? 0 : HEADER_BYTES + this.dataBytes;
    return { file: this.file, durationMs: Math.round(this.dataBytes / 4 / (RATE / 1000)), bytes };
  }
}
