// RTP packets (RFC 3550): reading a datagram that claims to be one, writing ours. Anything
// that is not a well-formed version-2 packet within MAX_RTP_BYTES is refused (undefined),
// never thrown at: datagrams on an open port are untrusted.

/** Larger datagrams are not RTP we take (G.711 at 200 ms per packet is 1,612 bytes). */
export const MAX_RTP_BYTES = 2048;

export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  seq: number;
  timestamp: number;
  ssrc: number;
  /** A view into the datagram (padding, CSRCs and header extension removed). */
  payload: Uint8Array;
}

/** Reads an RTP packet, or undefined when the datagram is not one (RTCP included). */
export function parseRtp(b: Uint8Array): RtpPacket | undefined {
  if (b.length < 12 || b.length > MAX_RTP_BYTES) return undefined;
  const b0 = b[0]!;
  const b1 = b[1]!;
  if (b0 >> 6 !== 2) return undefined;
  const payloadType = b1 & 0x7f;
  // RTCP multiplexed on the port (RFC 5761): packet types 192–223 read as payload types 64–95.
  if (payloadType >= 64 && payloadType <= 95) return undefined;
  let start = 12 + 4 * (b0 & 0x0f);
  if (b0 & 0x10) {
    if (b.length < start + 4) return undefined;
    start += 4 + 4 * ((b[start + 2]! << 8) | b[start + 3]!);
  }
  let end = b.length;
  if (b0 & 0x20) {
    const pad = b[b.length - 1]!;
    if (pad === 0) return undefined;
    end -= pad;
  }
  if (end < start) return undefined;
  return {
    payloadType,
    marker: (b1 & 0x80) !== 0,
    seq: (b[2]! << 8) | b[3]!,
    timestamp: ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>> 0,
    ssrc: ((b[8]! << 24) | (b[9]! << 16) | (b[10]! << 8) | b[11]!) >>> 0,
    payload: b.subarray(start, end),
  };
}

/** Writes a 12-byte header followed by the payload. */
export function buildRtp(payloadType: number, marker: boolean, seq: number, timestamp: number, ssrc: number, payload: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(12 + payload.length);
  b[0] = 0x80;
  b[1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(timestamp >>> 0, 4);
  b.writeUInt32BE(ssrc >>> 0, 8);
  b.set(payload, 12);
  return b;
}
