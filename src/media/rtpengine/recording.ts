// Turns rtpengine's pcap recording of a call into the WAV the interface promises: 8 kHz
// signed 16-bit PCM, one channel per recorded leg (what that leg's far end sent), samples
// placed on the timeline by capture time and RTP timestamp, silence where nothing came.
// rtpengine's pcap holds the packets it received (not what it played), so a prompt played
// into a leg is not in the recording; a bridged conversation is, both ways.
// Bounded: per-channel scratch files written in place, then interleaved chunk by chunk.

import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { decode } from '../g711.ts';
import { readPcapUdp } from './pcap.ts';
import { wavHeader } from '../../sounds/wav.ts';

export const RECORDING_RATE = 8_000;
/** Longest recording kept (samples per channel beyond it are dropped). */
export const MAX_RECORDING_MS = 4 * 3600_000;
const MAX_SAMPLES = (MAX_RECORDING_MS / 1000) * RECORDING_RATE;
const MAX_FRAME = 4_000; // samples in one RTP packet (G.711 at 8 kHz: 500 ms)

export interface WavResult {
  durationMs: number;
  bytes: number;
}

interface Stream {
  ts0: number;
  /** Sample index (on the recording's timeline) of RTP timestamp ts0. */
  at0: number;
}

/**
 * Converts the packets received on rtpengine's local ports `channelPorts` (one channel each,
 * in order) into a WAV at `wav`. Only G.711 (payload types 0 and 8) is decoded; DTMF events,
 * comfort noise and other payloads are silence.
 */
export function pcapToWav(pcap: string, wav: string, channelPorts: readonly number[]): WavResult {
  const channels = channelPorts.length;
  if (channels < 1 || channels > 2) throw new Error('a recording has one or two channels');
  const scratch = channelPorts.map((_, i) => `${wav}.ch${i}.tmp`);
  const fds = scratch.map((f) => openSync(f, 'w+'));
  try {
    const streams = new Map<string, Stream>();
    let t0: number | undefined;
    let end = 0;
    const pcm = new Int16Array(MAX_FRAME);
    for (const pkt of readPcapUdp(pcap)) {
      const ch = channelPorts.indexOf(pkt.dstPort);
      if (ch < 0) continue;
      const rtp = parseRtp(pkt.payload);
      if (!rtp || (rtp.pt !== 0 && rtp.pt !== 8)) continue;
      t0 ??= pkt.timeUs;
      const key = `${ch}/${rtp.ssrc}`;
      let s = streams.get(key);
      if (!s) {
        s = { ts0: rtp.ts, at0: Math.round(((pkt.timeUs - t0) * RECORDING_RATE) / 1e6) };
        streams.set(key, s);
      }
      const at = s.at0 + ((rtp.ts - s.ts0) | 0);
      const n = Math.min(rtp.payload.length, MAX_FRAME);
      if (at < 0 || at + n > MAX_SAMPLES) continue;
      decode(rtp.pt === 0 ? 'PCMU' : 'PCMA', rtp.payload.subarray(0, n), pcm);
      writeSync(fds[ch]!, new Uint8Array(pcm.buffer, 0, n * 2), 0, n * 2, at * 2);
      end = Math.max(end, at + n);
    }
    const dataBytes = end * 2 * channels;
    const out = openSync(wav, 'w');
    try {
      writeSync(out, wavHeader(RECORDING_RATE, channels, dataBytes));
      const CHUNK = RECORDING_RATE; // one second
      const mono = channelPorts.map(() => Buffer.alloc(CHUNK * 2));
      const inter = Buffer.alloc(CHUNK * 2 * channels);
      for (let pos = 0; pos < end; pos += CHUNK) {
        const n = Math.min(CHUNK, end - pos);
        for (let c = 0; c < channels; c++) {
          mono[c]!.fill(0);
          readSync(fds[c]!, mono[c]!, 0, n * 2, pos * 2); // past a channel's end: zeros
        }
        for (let i = 0; i < n; i++) {
          for (let c = 0; c < channels; c++) inter.writeInt16LE(mono[c]!.readInt16LE(i * 2), (i * channels + c) * 2);
        }
        writeSync(out, inter, 0, n * 2 * channels);
      }
    } finally {
      closeSync(out);
    }
    return { durationMs: Math.round((end * 1000) / RECORDING_RATE), bytes: 44 + dataBytes };
  } finally {
    for (const fd of fds) closeSync(fd);
    for (const f of scratch) rmSync(f, { force: true });
  }
}

interface Rtp {
  pt: number;
  ts: number;
  ssrc: number;
  payload: Buffer;
}

/** The fields of an RTP packet (RFC 3550) the conversion needs; undefined if it is not one. */
export function parseRtp(b: Buffer): Rtp | undefined {
  if (b.length < 12 || b[0]! >> 6 !== 2) return undefined;
  const cc = b[0]! & 0x0f;
  let off = 12 + cc * 4;
  if (b[0]! & 0x10) {
    if (b.length < off + 4) return undefined;
    off += 4 + b.readUInt16BE(off + 2) * 4;
  }
  let end = b.length;
  if (b[0]! & 0x20) end -= b[b.length - 1]!;
  if (off > end) return undefined;
  return { pt: b[1]! & 0x7f, ts: b.readUInt32BE(4), ssrc: b.readUInt32BE(8), payload: b.subarray(off, end) };
}

