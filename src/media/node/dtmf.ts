// RFC 4733 telephone-events: reading DTMF key presses from RTP, writing them. One key press
// is one event, named by its RTP timestamp (all packets of an event, its retransmitted end
// packets included, carry the event's start timestamp): it is reported on the first packet
// seen of it, whichever that is, and never again.

/** Events 0–15: the sixteen DTMF keys (RFC 4733 §3.2). */
export const DTMF_KEYS = '0123456789*#ABCD';

export interface TelephoneEvent {
  event: number;
  end: boolean;
  volume: number;
  /** In timestamp units since the event's start. */
  duration: number;
}

/** Reads a telephone-event payload (the first event block of it), or undefined if it is not one. */
export function parseTelephoneEvent(p: Uint8Array): TelephoneEvent | undefined {
  if (p.length < 4) return undefined;
  return { event: p[0]!, end: (p[1]! & 0x80) !== 0, volume: p[1]! & 0x3f, duration: (p[2]! << 8) | p[3]! };
}

/** Writes a telephone-event payload. */
export function telephoneEvent(e: TelephoneEvent): Uint8Array {
  const d = Math.max(0, Math.min(0xffff, Math.round(e.duration)));
  return Uint8Array.of(e.event & 0xff, (e.end ? 0x80 : 0) | (e.volume & 0x3f), d >> 8, d & 0xff);
}

/** How many past events are remembered, so a late or reordered packet of one is not a new press. */
const REMEMBERED = 16;

/** Turns the telephone-event packets of one leg into key presses, each once. */
export class DtmfReceiver {
  private readonly seen: string[] = [];

  /** The key pressed, when this packet starts a new event; undefined otherwise. */
  push(ssrc: number, timestamp: number, payload: Uint8Array): string | undefined {
    const e = parseTelephoneEvent(payload);
    if (!e || e.event >= DTMF_KEYS.length) return undefined;
    const id = `${ssrc}:${timestamp}:${e.event}`;
    if (this.seen.includes(id)) return undefined;
    this.seen.push(id);
    if (this.seen.length > REMEMBERED) this.seen.shift();
    return DTMF_KEYS[e.event];
  }
}
