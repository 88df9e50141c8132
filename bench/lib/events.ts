// The events every scenario publishes, identical for our server and the bare baseline: an
// operator/status "connected" (the commonest wallboard event, ~330 bytes on the wire) that
// carries the publish time `t` as an extra msg field (extra fields are tolerated, §5).
import type { Notification } from '../../src/protocol/index.ts';

/** The benchmark account (bench/fixtures/account.json). */
export const ACCOUNT = 3;

/**
 * Microseconds on the system-wide monotonic clock (CLOCK_MONOTONIC, the same in every
 * process of the machine), so a client can subtract a server's publish time from its own.
 */
export function nowUs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e6 + Math.floor(ns / 1e3);
}

/** The `seq`-th benchmark event, published at `t` (µs, `nowUs`). A new object each time. */
export function benchEvent(seq: number, t: number): Notification {
  return {
    type_notification: 'operator',
    event: 'status',
    msg: {
      status: 'connected',
      id_operator: 8 + (seq & 1),
      id_client: ACCOUNT,
      id_call: 100_000 + seq,
      id_queue: 5,
      caller_id_num: '33612345678',
      call_duration: seq % 600,
      step: 2,
      rec: 1,
      service: '33820620620',
      t,
    },
  } as Notification;
}

const CPT = Buffer.from('"cpt":');
const T = Buffer.from(',"t":');

/** Reads the unsigned integer that follows `key` in `buf` (searching from the end if `last`). */
function numberAfter(buf: Buffer, key: Buffer, last: boolean): number {
  let i = last ? buf.lastIndexOf(key) : buf.indexOf(key);
  if (i < 0) return -1;
  i += key.length;
  let n = 0;
  for (; i < buf.length; i++) {
    const c = buf[i]!;
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return n;
}

/** The cpt of a raw `42["update",{...}]` frame, without parsing the JSON. */
export const cptOf = (frame: Buffer) => numberAfter(frame, CPT, false);
/** The publish time `t` of a raw update frame. */
export const publishedAt = (frame: Buffer) => numberAfter(frame, T, true);
