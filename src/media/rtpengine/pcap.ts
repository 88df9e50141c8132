// A reader of libpcap capture files (the classic format, not pcapng): the UDP datagrams in
// them with their capture time and ports. Reads rtpengine's recordings (`--recording-method=
// pcap`, raw IP or Ethernet framing) and sipp's RFC 4733 samples. Streams the file in chunks
// (bounded memory whatever the recording's length); anything malformed ends the walk.

import { closeSync, openSync, readSync } from 'node:fs';

export interface UdpPacket {
  /** Capture time, microseconds since the epoch. */
  timeUs: number;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const DLT_RAW = 12;
const LINKTYPE_LINUX_SLL = 113;
const MAX_RECORD = 256 * 1024;

/** The UDP datagrams of a pcap file, in file order. Throws if the file is not a pcap. */
export function* readPcapUdp(file: string): Generator<UdpPacket> {
  const fd = openSync(file, 'r');
  try {
    const reader = new ChunkReader(fd);
    const head = reader.take(24);
    if (!head) throw new Error(`${file}: not a pcap file (too short)`);
    const magic = head.readUInt32LE(0);
    let le: boolean;
    let nano = false;
    if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
    else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
    else throw new Error(`${file}: not a pcap file (magic ${magic.toString(16)})`);
    if (magic === 0xa1b23c4d || magic === 0x4d3cb2a1) nano = true;
    const u32 = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const linktype = u32(head, 20) & 0xffff;
    for (;;) {
      const rec = reader.take(16);
      if (!rec) return;
      const sec = u32(rec, 0);
      const frac = u32(rec, 4);
      const caplen = u32(rec, 8);
      if (caplen > MAX_RECORD) return;
      const data = reader.take(caplen);
      if (!data) return;
      const timeUs = sec * 1e6 + (nano ? Math.floor(frac / 1000) : frac);
      const udp = udpOf(linktype, data);
      if (udp) yield { timeUs, ...udp };
    }
  } finally {
    closeSync(fd);
  }
}

function udpOf(linktype: number, frame: Buffer): Omit<UdpPacket, 'timeUs'> | undefined {
  let ip: Buffer;
  if (linktype === LINKTYPE_ETHERNET) {
    if (frame.length < 14) return undefined;
    let off = 12;
    let type = frame.readUInt16BE(off);
    while (type === 0x8100 && frame.length >= off + 6) {
      off += 4;
      type = frame.readUInt16BE(off);
    }
    ip = frame.subarray(off + 2);
  } else if (linktype === LINKTYPE_RAW || linktype === DLT_RAW) {
    ip = frame;
  } else if (linktype === LINKTYPE_LINUX_SLL) {
    ip = frame.subarray(16);
  } else {
    return undefined;
  }
  if (ip.length < 1) return undefined;
  const version = ip[0]! >> 4;
  let udp: Buffer;
  if (version === 4) {
    const ihl = (ip[0]! & 0x0f) * 4;
    if (ip.length < ihl + 8 || ip[9] !== 17) return undefined;
    udp = ip.subarray(ihl);
  } else if (version === 6) {
    if (ip.length < 48 || ip[6] !== 17) return undefined;
    udp = ip.subarray(40);
  } else {
    return undefined;
  }
  const len = udp.readUInt16BE(4);
  if (len < 8) return undefined;
  return {
    srcPort: udp.readUInt16BE(0),
    dstPort: udp.readUInt16BE(2),
    payload: Buffer.from(udp.subarray(8, Math.min(len, udp.length))),
  };
}

/** Sequential reads from a file descriptor through one reused 64 KiB buffer. */
class ChunkReader {
  #buf = Buffer.alloc(64 * 1024);
  #start = 0;
  #end = 0;
  #eof = false;
  constructor(private readonly fd: number) {}

  /** The next `n` bytes (a copy for records, a view otherwise), or undefined at end of file. */
  take(n: number): Buffer | undefined {
    if (n > this.#buf.length) {
      const bigger = Buffer.alloc(n * 2);
      this.#buf.copy(bigger, 0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
      this.#buf = bigger;
    }
    while (this.#end - this.#start < n && !this.#eof) {
      if (this.#start > 0) {
        this.#buf.copy(this.#buf, 0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      }
      const got = readSync(this.fd, this.#buf, this.#end, this.#buf.length - this.#end, null);
      if (got === 0) this.#eof = true;
      this.#end += got;
    }
    if (this.#end - this.#start < n) return undefined;
    const out = this.#buf.subarray(this.#start, this.#start + n);
    this.#start += n;
    return out;
  }
}
