// The NG control protocol of rtpengine: bencoded dictionaries over UDP, each request prefixed
// by a cookie that its reply repeats. Requests are pipelined: many in flight at once (across
// calls; the plane keeps each call's own requests in order), replies matched by cookie in
// whatever order they come.
//
// Bounded: at most `maxInFlight` requests on the wire, at most `maxQueued` waiting behind
// them (beyond: refused at once), each failed after `timeoutMs` (waiting included). A request
// unanswered for `retransmitMs` is sent again with the same cookie: rtpengine caches its
// replies by cookie, so a retransmitted `offer` is answered, not executed, twice (a datagram
// lost in a full socket buffer under load costs a retransmission, not a failed call).
// Every failure is a MediaError MEDIA_UNAVAILABLE.

import dgram from 'node:dgram';
import { MediaError } from '../plane.ts';

/** A value of an NG message (bencode: strings, integers, lists, dictionaries). */
export type NgValue = string | number | NgValue[] | { [key: string]: NgValue | undefined };
export type NgMessage = { [key: string]: NgValue | undefined };

/** The NG commands the plane and the tests use. */
export type NgCommand =
  | 'ping'
  | 'offer'
  | 'answer'
  | 'delete'
  | 'query'
  | 'start recording'
  | 'stop recording'
  | 'block media'
  | 'unblock media'
  | 'block DTMF'
  | 'unblock DTMF'
  | 'play media'
  | 'stop media'
  | 'play DTMF'
  | 'statistics'
  | 'subscribe request'
  | 'subscribe answer'
  | 'unsubscribe';

export interface NgClientOptions {
  /** How long one request may take, queueing included. @default 5_000 */
  timeoutMs?: number;
  /** Requests on the wire at once. @default 64 */
  maxInFlight?: number;
  /** Requests waiting for a slot; beyond, refused at once. @default 10_000 */
  maxQueued?: number;
  /** Resend an unanswered request (same cookie) after this long. @default 1_000 */
  retransmitMs?: number;
}

interface Pending {
  cookie: string;
  command: NgCommand;
  packet: Buffer;
  resolve(m: NgMessage): void;
  reject(e: Error): void;
  deadline: NodeJS.Timeout;
  resend?: NodeJS.Timeout;
  sent: boolean;
}

/** Largest reply read (a `query` of a big call, a `statistics`). */
const MAX_REPLY = 1 << 20;

export class NgClient {
  readonly #host: string;
  readonly #port: number;
  readonly #sock: dgram.Socket;
  readonly #timeoutMs: number;
  readonly #maxInFlight: number;
  readonly #maxQueued: number;
  readonly #retransmitMs: number;
  readonly #prefix = `${process.pid.toString(36)}${Math.floor(Math.random() * 36 ** 6).toString(36)}_`;
  #seq = 0;
  readonly #inFlight = new Map<string, Pending>();
  readonly #queue: Pending[] = [];
  #queueHead = 0;
  #closed = false;
  /** Requests sent per command (first transmissions), for tests and the bench. */
  readonly counts = new Map<NgCommand, number>();
  /** Most requests ever on the wire at once. */
  peakInFlight = 0;
  retransmissions = 0;

  /** @param ng "host:port" of rtpengine's `--listen-ng`; a number is `timeoutMs` (older callers). */
  constructor(ng: string, opts: NgClientOptions | number = {}) {
    const o = typeof opts === 'number' ? { timeoutMs: opts } : opts;
    const i = ng.lastIndexOf(':');
    this.#host = ng.slice(0, i).replace(/^\[(.*)\]$/, '$1');
    this.#port = Number(ng.slice(i + 1));
    if (i <= 0 || !Number.isInteger(this.#port) || this.#port <= 0 || this.#port > 65535) {
      throw new MediaError('MEDIA_UNAVAILABLE', `bad rtpengine address ${ng} (want HOST:PORT)`);
    }
    this.#timeoutMs = o.timeoutMs ?? 5_000;
    this.#maxInFlight = Math.max(1, o.maxInFlight ?? 64);
    this.#maxQueued = Math.max(0, o.maxQueued ?? 10_000);
    this.#retransmitMs = o.retransmitMs ?? 1_000;
    this.#sock = dgram.createSocket(this.#host.includes(':') ? 'udp6' : 'udp4');
    this.#sock.on('message', (msg) => this.#onReply(msg));
    // ICMP errors (rtpengine not running yet) surface here; the requests time out or retransmit
    this.#sock.on('error', () => {});
    this.#sock.bind(0);
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  get queued(): number {
    return this.#queue.length - this.#queueHead;
  }

  /** Sends one command; resolves with rtpengine's reply. @throws MediaError MEDIA_UNAVAILABLE */
  send(command: NgCommand, params: NgMessage): Promise<NgMessage> {
    if (this.#closed) return Promise.reject(new MediaError('MEDIA_UNAVAILABLE', `rtpengine ${command}: client closed`));
    if (this.#inFlight.size >= this.#maxInFlight && this.queued >= this.#maxQueued) {
      return Promise.reject(new MediaError('MEDIA_UNAVAILABLE', `rtpengine ${command}: ${this.#maxQueued} requests already waiting`));
    }
    const cookie = `${this.#prefix}${(this.#seq++).toString(36)}`;
    let packet: Buffer;
    try {
      packet = Buffer.concat([Buffer.from(`${cookie} `), bencode({ ...params, command })]);
    } catch (err) {
      return Promise.reject(new MediaError('MEDIA_UNAVAILABLE', `rtpengine ${command}: ${(err as Error).message}`));
    }
    this.counts.set(command, (this.counts.get(command) ?? 0) + 1);
    return new Promise<NgMessage>((resolve, reject) => {
      const p: Pending = {
        cookie,
        command,
        packet,
        resolve,
        reject,
        sent: false,
        deadline: setTimeout(() => this.#fail(p, `no reply in ${this.#timeoutMs} ms`), this.#timeoutMs),
      };
      if (this.#inFlight.size < this.#maxInFlight) this.#transmit(p);
      else this.#queue.push(p);
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of [...this.#inFlight.values(), ...this.#queue.slice(this.#queueHead)]) this.#fail(p, 'client closed');
    this.#sock.close();
  }

  #transmit(p: Pending): void {
    p.sent = true;
    this.#inFlight.set(p.cookie, p);
    this.peakInFlight = Math.max(this.peakInFlight, this.#inFlight.size);
    this.#write(p);
  }

  #write(p: Pending): void {
    this.#sock.send(p.packet, this.#port, this.#host);
    if (this.#retransmitMs > 0) {
      p.resend = setTimeout(() => {
        if (!this.#inFlight.has(p.cookie)) return;
        this.retransmissions += 1;
        this.#write(p);
      }, this.#retransmitMs);
    }
  }

  #onReply(msg: Buffer): void {
    if (msg.length > MAX_REPLY) return;
    const sp = msg.indexOf(0x20);
    if (sp <= 0) return;
    const p = this.#inFlight.get(msg.toString('latin1', 0, sp));
    // a late reply (the request timed out) or a duplicate (a retransmission was answered too)
    if (!p) return;
    let reply: NgValue;
    try {
      reply = bdecode(msg.subarray(sp + 1));
    } catch (err) {
      return this.#fail(p, `unreadable reply (${(err as Error).message})`);
    }
    if (!reply || typeof reply !== 'object' || Array.isArray(reply)) return this.#fail(p, 'reply is not a dictionary');
    if (reply.result === 'error') return this.#fail(p, String(reply['error-reason'] ?? 'error'));
    if (reply.result !== 'ok' && reply.result !== 'pong') return this.#fail(p, `result ${String(reply.result)}`);
    this.#settle(p);
    p.resolve(reply);
  }

  #fail(p: Pending, reason: string): void {
    this.#settle(p);
    p.reject(new MediaError('MEDIA_UNAVAILABLE', `rtpengine ${p.command}: ${reason}`));
  }

  /** Forgets `p` and lets the next queued request take its slot. */
  #settle(p: Pending): void {
    clearTimeout(p.deadline);
    clearTimeout(p.resend);
    if (!p.sent) {
      // failed while queued (timeout or close): drop it from the queue
      const i = this.#queue.indexOf(p, this.#queueHead);
      if (i >= 0) this.#queue.splice(i, 1);
      return;
    }
    if (!this.#inFlight.delete(p.cookie)) return;
    while (!this.#closed && this.#inFlight.size < this.#maxInFlight && this.#queueHead < this.#queue.length) {
      const next = this.#queue[this.#queueHead++]!;
      this.#transmit(next);
    }
    if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
  }
}

// ---- bencode (BEP 3): strings are UTF-8 here, byte lengths on the wire ----

export function bencode(v: NgValue): Buffer {
  const parts: Buffer[] = [];
  const walk = (x: NgValue | undefined, depth: number): void => {
    if (depth > 32) throw new Error('message nested too deep');
    if (typeof x === 'string') {
      const b = Buffer.from(x, 'utf8');
      parts.push(Buffer.from(`${b.length}:`), b);
    } else if (typeof x === 'number') {
      if (!Number.isSafeInteger(x)) throw new Error(`not an integer: ${x}`);
      parts.push(Buffer.from(`i${x}e`));
    } else if (Array.isArray(x)) {
      parts.push(Buffer.from('l'));
      for (const e of x) walk(e, depth + 1);
      parts.push(Buffer.from('e'));
    } else if (x && typeof x === 'object') {
      parts.push(Buffer.from('d'));
      // keys sorted as raw byte strings (BEP 3)
      const keys = Object.keys(x).filter((k) => x[k] !== undefined).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      for (const k of keys) {
        walk(k, depth + 1);
        walk(x[k], depth + 1);
      }
      parts.push(Buffer.from('e'));
    } else {
      throw new Error(`cannot encode ${typeof x}`);
    }
  };
  walk(v, 0);
  return Buffer.concat(parts);
}

/** Decodes one bencoded value filling `b` exactly. @throws Error on anything malformed */
export function bdecode(b: Buffer): NgValue {
  let i = 0;
  const num = (end: number): number => {
    const s = b.toString('latin1', i, end);
    if (!/^-?\d{1,15}$/.test(s)) throw new Error(`bad number at ${i}`);
    i = end + 1;
    return Number(s);
  };
  const read = (depth: number): NgValue => {
    if (depth > 32) throw new Error('nested too deep');
    const c = b[i];
    if (c === 0x69 /* i */) {
      i += 1;
      const end = b.indexOf(0x65, i);
      if (end < 0) throw new Error('unterminated integer');
      return num(end);
    }
    if (c === 0x6c /* l */) {
      i += 1;
      const out: NgValue[] = [];
      while (b[i] !== 0x65) {
        if (i >= b.length) throw new Error('unterminated list');
        out.push(read(depth + 1));
      }
      i += 1;
      return out;
    }
    if (c === 0x64 /* d */) {
      i += 1;
      // no prototype: a `__proto__` key is a key like any other
      const out = Object.create(null) as { [k: string]: NgValue };
      while (b[i] !== 0x65) {
        if (i >= b.length) throw new Error('unterminated dictionary');
        const k = read(depth + 1);
        if (typeof k !== 'string') throw new Error('dictionary key is not a string');
        out[k] = read(depth + 1);
      }
      i += 1;
      return out;
    }
    if (c !== undefined && c >= 0x30 && c <= 0x39) {
      const colon = b.indexOf(0x3a, i);
      if (colon < 0) throw new Error('unterminated string length');
      const len = num(colon);
      if (i + len > b.length) throw new Error('string past the end');
      const s = b.toString('utf8', i, i + len);
      i += len;
      return s;
    }
    throw new Error(`unexpected byte at ${i}`);
  };
  const v = read(0);
  if (i !== b.length) throw new Error('trailing bytes');
  return v;
}
