// UDP and TCP listeners on one port, framing and bounds. Every inbound message goes through the
// per-source rate limit, a size bound and npm sip's parser before it reaches the stack; junk is
// counted and dropped. npm sip's own transports are not used: they have no size bound on UDP, a
// quadratic TCP re-scan, console logging, a fixed 5060 for port 0 and unhandled bind errors.
import dgram from 'node:dgram';
import net from 'node:net';
import sip from 'sip';
import type { SipConnection, SipMessage } from 'sip';
import { normalizeAddress } from './cidr.ts';
import type { RateLimiter } from './rate-limit.ts';

/** Largest SIP message accepted (a datagram, or one message on a TCP stream). */
export const MAX_MESSAGE = 64 * 1024;
const MAX_TCP_CONNECTIONS = 2048;
const MAX_TCP_PER_SOURCE = 32;
const TCP_IDLE_MS = 300_000;
const MAX_TCP_BACKLOG = 1024 * 1024;

export interface Remote {
  /** WS: SIP over WebSocket (RFC 7118), a connection the far end opened (transport-ws.ts). */
  protocol: 'UDP' | 'TCP' | 'WS';
  address: string;
  port: number;
}

export interface Flow extends SipConnection {
  readonly remote: Remote;
}

export interface TransportCounters {
  rateLimited: number;
  malformed: number;
}

export interface SipTransport {
  readonly port: number;
  /** A flow to `remote`: UDP datagrams, or the TCP connection from/to it (connecting if none). */
  flow(remote: Remote, onError?: (e: Error) => void): Flow;
  close(): Promise<void>;
}

export interface TransportOptions {
  host: string;
  port: number;
  limiter: RateLimiter;
  counters: TransportCounters;
  onMessage(m: SipMessage, remote: Remote): void;
  warn(o: object, msg: string): void;
}

/** The mandatory headers npm sip's stack checks before it dispatches (its checkMessage). */
export function isWellFormed(m: SipMessage | undefined): m is SipMessage {
  if (!m || !m.headers) return false;
  const h = m.headers;
  const okStart = m.method !== undefined ? /^[A-Z]{2,16}$/.test(m.method) && typeof m.uri === 'string' : typeof m.status === 'number' && m.status >= 100 && m.status <= 699;
  return (
    okStart &&
    Array.isArray(h.via) &&
    h.via.length > 0 &&
    typeof h.via[0]?.params === 'object' &&
    typeof h['call-id'] === 'string' &&
    h['call-id'].length > 0 &&
    h['call-id'].length <= 256 &&
    typeof h.to?.uri === 'string' &&
    typeof h.from?.uri === 'string' &&
    typeof h.cseq?.seq === 'number' &&
    Number.isSafeInteger(h.cseq.seq) &&
    typeof h.cseq.method === 'string'
  );
}

/** Parses one message, never throws; undefined for anything that is not well-formed SIP. */
export function parseMessage(data: Buffer): SipMessage | undefined {
  if (data.length > MAX_MESSAGE) return undefined;
  try {
    const m = sip.parse(data);
    return isWellFormed(m) ? m : undefined;
  } catch {
    return undefined;
  }
}

/** What every transport does with a message that arrived: rate limit, parse, rport, hand over. */
export function receiver(o: Pick<TransportOptions, 'limiter' | 'counters' | 'onMessage' | 'warn'>): (data: Buffer, remote: Remote) => void {
  return function deliver(data: Buffer, remote: Remote): void {
    if (!o.limiter.take(normalizeAddress(remote.address))) {
      o.counters.rateLimited++;
      return;
    }
    const m = parseMessage(data);
    if (!m) {
      o.counters.malformed++;
      return;
    }
    if (m.method) {
      // Replies go back to the source (RFC 3581 rport), whatever the Via says.
      const via = m.headers.via![0]!;
      via.params.received = normalizeAddress(remote.address);
      if (Object.prototype.hasOwnProperty.call(via.params, 'rport')) via.params.rport = remote.port;
    }
    try {
      o.onMessage(m, remote);
    } catch (e) {
      o.warn({ err: String(e), method: m.method, status: m.status }, 'sip: handler failed');
    }
  };
}

/** A message as bytes; undefined (logged) when npm sip cannot write it. */
export function serialize(m: SipMessage, warn: TransportOptions['warn']): Buffer | undefined {
  try {
    return Buffer.from(sip.stringify(m), 'latin1');
  } catch (e) {
    warn({ err: String(e) }, 'sip: cannot serialize');
    return undefined;
  }
}

export async function openTransport(o: TransportOptions): Promise<SipTransport> {
  const family = net.isIPv6(o.host) ? 6 : 4;
  const tcpSockets = new Map<string, net.Socket>();
  const perSource = new Map<string, number>();
  const key = (address: string, port: number) => `${normalizeAddress(address)}|${port}`;
  const deliver = receiver(o);

  const { udp, server, port } = await bindPair(family, o.host, o.port);
  udp.on('message', (data, rinfo) => {
    if (data.length <= 4 && /^[\r\n\0 ]*$/.test(data.toString('latin1'))) return; // keep-alive
    deliver(data, { protocol: 'UDP', address: rinfo.address, port: rinfo.port });
  });
  udp.on('error', (e) => o.warn({ err: String(e) }, 'sip: udp socket error'));

  /** Frames messages on a stream: header block up to CRLFCRLF, then Content-Length bytes. */
  function attach(sock: net.Socket, remote: Remote): void {
    const k = key(remote.address, remote.port);
    const src = normalizeAddress(remote.address);
    tcpSockets.set(k, sock);
    perSource.set(src, (perSource.get(src) ?? 0) + 1);
    let buf = Buffer.alloc(0);
    let len = 0;
    let scanned = 0;
    sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
    sock.on('error', () => {});
    sock.on('close', () => {
      if (tcpSockets.get(k) === sock) tcpSockets.delete(k);
      const n = (perSource.get(src) ?? 1) - 1;
      if (n <= 0) perSource.delete(src);
      else perSource.set(src, n);
    });
    sock.on('data', (chunk: Buffer) => {
      if (len + chunk.length > buf.length) {
        if (len + chunk.length > 2 * MAX_MESSAGE) {
          o.counters.malformed++;
          sock.destroy();
          return;
        }
        const grown = Buffer.alloc(Math.min(2 * MAX_MESSAGE, Math.max(4096, 2 * buf.length, len + chunk.length)));
        buf.copy(grown, 0, 0, len);
        buf = grown;
      }
      chunk.copy(buf, len);
      len += chunk.length;
      for (;;) {
        let start = 0;
        while (start < len && (buf[start] === 13 || buf[start] === 10)) start++;
        if (start > 0) {
          // RFC 5626 keep-alive: a double CRLF is answered with one CRLF.
          if (start >= 4 && start === len) sock.write('\r\n');
          buf.copy(buf, 0, start, len);
          len -= start;
          scanned = 0;
        }
        const end = buf.subarray(0, len).indexOf('\r\n\r\n', Math.max(0, scanned - 3), 'latin1');
        if (end < 0) {
          scanned = len;
          if (len > MAX_MESSAGE) {
            o.counters.malformed++;
            sock.destroy();
          }
          return;
        }
        const head = buf.subarray(0, end).toString('latin1');
        const cl = /^(?:content-length|l)[ \t]*:[ \t]*(\d{1,7})[ \t]*$/im.exec(head);
        const total = end + 4 + (cl ? Number(cl[1]) : 0);
        if (total > MAX_MESSAGE) {
          o.counters.malformed++;
          sock.destroy();
          return;
        }
        if (len < total) {
          scanned = end; // the header end is known; wait for the body
          return;
        }
        const message = Buffer.from(buf.subarray(0, total));
        buf.copy(buf, 0, total, len);
        len -= total;
        scanned = 0;
        deliver(message, remote);
        if (sock.destroyed) return;
      }
    });
  }

  server.on('connection', (sock) => {
    const address = sock.remoteAddress;
    const port = sock.remotePort;
    if (!address || !port || tcpSockets.size >= MAX_TCP_CONNECTIONS || (perSource.get(normalizeAddress(address)) ?? 0) >= MAX_TCP_PER_SOURCE) {
      sock.destroy();
      return;
    }
    attach(sock, { protocol: 'TCP', address, port });
  });
  server.on('error', (e) => o.warn({ err: String(e) }, 'sip: tcp server error'));

  function send(remote: Remote, m: SipMessage): void {
    const data = serialize(m, o.warn);
    if (!data) return;
    if (remote.protocol === 'UDP') {
      try {
        udp.send(data, remote.port, remote.address, (e) => e && o.warn({ err: String(e), to: remote.address }, 'sip: udp send failed'));
      } catch (e) {
        o.warn({ err: String(e), to: remote.address }, 'sip: udp send failed');
      }
      return;
    }
    const sock = tcpSocket(remote);
    if (!sock) return;
    if (sock.writableLength > MAX_TCP_BACKLOG) {
      sock.destroy();
      return;
    }
    sock.write(data);
  }

  const errorHandlers = new Map<net.Socket, Set<(e: Error) => void>>();
  function tcpSocket(remote: Remote): net.Socket | undefined {
    const k = key(remote.address, remote.port);
    const existing = tcpSockets.get(k);
    if (existing && !existing.destroyed) return existing;
    if (tcpSockets.size >= MAX_TCP_CONNECTIONS) return undefined;
    const sock = net.connect({ host: remote.address, port: remote.port });
    attach(sock, remote);
    const handlers = new Set<(e: Error) => void>();
    errorHandlers.set(sock, handlers);
    sock.on('error', (e) => handlers.forEach((h) => h(e)));
    sock.on('close', () => errorHandlers.delete(sock));
    return sock;
  }

  return {
    port,
    flow(remote, onError) {
      let released = false;
      const hook = () => {
        if (remote.protocol !== 'TCP' || !onError) return;
        const sock = tcpSocket(remote);
        if (sock) errorHandlers.get(sock)?.add(onError);
      };
      hook();
      return {
        remote,
        protocol: remote.protocol,
        send: (m) => send(remote, m),
        release() {
          if (released || !onError) return;
          released = true;
          const sock = tcpSockets.get(key(remote.address, remote.port));
          if (sock) errorHandlers.get(sock)?.delete(onError);
        },
      };
    },
    async close() {
      for (const s of tcpSockets.values()) s.destroy();
      await Promise.all([
        new Promise<void>((r) => udp.close(() => r())),
        new Promise<void>((r) => server.close(() => r())),
      ]);
    },
  };
}

/** Binds UDP then TCP on one port; for port 0, retries with fresh sockets until both are free. */
async function bindPair(family: 4 | 6, host: string, port: number): Promise<{ udp: dgram.Socket; server: net.Server; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const udp = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
    const server = net.createServer();
    try {
      const p = await new Promise<number>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind({ port, address: host, exclusive: true }, () => {
          udp.off('error', reject);
          resolve(udp.address().port);
        });
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: p, host, exclusive: true }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return { udp, server, port: p };
    } catch (e) {
      try {
        udp.close();
      } catch {
        // never bound
      }
      server.close();
      if (port !== 0 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw e;
    }
  }
}
