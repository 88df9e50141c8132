// A tiny pcap reader (classic libpcap format, Ethernet or Linux cooked frames, IPv4/UDP):
// enough to take the RTP packets out of the captures sipp ships and send them again.
import { readFileSync } from 'node:fs';

export interface PcapUdp {
  /** Capture time in microseconds. */
  timeUs: number;
  srcPort: number;
  dstPort: number;
  /** The UDP payload. */
  data: Buffer;
}

export function readPcapUdp(file: string): PcapUdp[] {
  const b = readFileSync(file);
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && b.readUInt32BE(0) !== 0xa1b2c3d4 && b.readUInt32BE(0) !== 0xa1b23c4d) throw new Error(`${file} is not a pcap file`);
  const nano = (le ? magic : b.readUInt32BE(0)) === 0xa1b23c4d;
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const linkType = u32(20);
  const out: PcapUdp[] = [];
  for (let o = 24; o + 16 <= b.length; ) {
    const sec = u32(o);
    const frac = u32(o + 4);
    const incl = u32(o + 8);
    const frame = b.subarray(o + 16, o + 16 + incl);
    o += 16 + incl;
    let ip: number;
    if (linkType === 1) ip = frame.readUInt16BE(12) === 0x0800 ? 14 : -1;
    else if (linkType === 113) ip = frame.readUInt16BE(14) === 0x0800 ? 16 : -1;
    else throw new Error(`${file}: link type ${linkType} is not read here`);
    if (ip < 0 || frame[ip + 9] !== 17) continue;
    const udp = ip + 4 * (frame[ip]! & 0x0f);
    const len = frame.readUInt16BE(udp + 4);
    out.push({
      timeUs: sec * 1e6 + (nano ? Math.floor(frac / 1000) : frac),
      srcPort: frame.readUInt16BE(udp),
      dstPort: frame.readUInt16BE(udp + 2),
      data: Buffer.from(frame.subarray(udp + 8, udp + len)),
    });
  }
  return out;
}

/** The RFC 4733 DTMF captures shipped with sipp (Debian's sip-tester). */
export function sippDtmfPcap(key: string): string {
  const name = key === '#' ? 'pound' : key === '*' ? 'star' : key;
  return `/usr/share/sip-tester/dtmf_2833_${name}.pcap`;
}
