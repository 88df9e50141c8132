// SIP over WebSocket (RFC 7118, subprotocol `sip`): browser softphones (JsSIP) connect to the
// HTTP server's port at one path (`/sip`) and every SIP message is one WebSocket message.
// Connections are only ever opened by the far end: a request to a WS contact goes out on the
// connection its REGISTER came over (the registrar writes that connection's address and port
// in the binding), and fails at once when that connection is gone. Bounded like TCP: message
// size, connections in all and per source address, idle connections pinged then dropped,
// a send backlog past which the connection is dropped. Behind a TLS server this is `wss`.
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { normalizeAddress } from './cidr.ts';
import { MAX_MESSAGE, receiver, serialize, type Flow, type Remote, type TransportOptions } from './transport.ts';

export const DEFAULT_WS_PATH = '/sip';
const MAX_WS_CONNECTIONS = 4096;
/** An office behind one NAT address holds one connection per operator's tab. */
export const DEFAULT_WS_PER_SOURCE = 64;
const PING_MS = 30_000;
const MAX_WS_BACKLOG = 1024 * 1024;

export interface WsTransportOptions extends Pick<TransportOptions, 'limiter' | 'counters' | 'onMessage' | 'warn'> {
  /** @default /sip */
  path?: string;
  /** @default DEFAULT_WS_PER_SOURCE */
  maxPerSource?: number;
  /** A connection closed (its registrations are of no use any more). */
  onClose?(remote: Remote): void;
}

export interface WsTransport {
  /** A flow on the connection from `remote`; sends fail (onError) when it is gone. */
  flow(remote: Remote, onError?: (e: Error) => void): Flow;
  /** Connections open now. */
  readonly size: number;
  close(): void;
}

function refuse(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** Serves SIP over WebSocket on `server`'s upgrades to `path` only (Socket.IO keeps /socket.io). */
export function serveWebSocket(server: HttpServer | HttpsServer, o: WsTransportOptions): WsTransport {
  const path = o.path ?? DEFAULT_WS_PATH;
  const maxPerSource = o.maxPerSource ?? DEFAULT_WS_PER_SOURCE;
  const deliver = receiver(o);
  const sockets = new Map<string, WebSocket>();
  const perSource = new Map<string, number>();
  const errorHandlers = new Map<WebSocket, Set<(e: Error) => void>>();
  const key = (address: string, port: number) => `${normalizeAddress(address)}|${port}`;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE,
    perMessageDeflate: false,
    clientTracking: false,
    handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false),
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    if ((q < 0 ? url : url.slice(0, q)) !== path) return; // someone else's (Socket.IO)
    const address = req.socket.remoteAddress;
    const port = req.socket.remotePort;
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim().toLowerCase());
    if (!protocols.includes('sip')) return refuse(socket, '400 Bad Request');
    if (!address || !port || sockets.size >= MAX_WS_CONNECTIONS || (perSource.get(normalizeAddress(address)) ?? 0) >= maxPerSource) {
      return refuse(socket, '503 Service Unavailable');
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws, { protocol: 'WS', address: normalizeAddress(address), port }));
  };
  server.on('upgrade', onUpgrade);

  function attach(ws: WebSocket, remote: Remote): void {
    const k = key(remote.address, remote.port);
    const src = remote.address;
    sockets.set(k, ws);
    perSource.set(src, (perSource.get(src) ?? 0) + 1);
    errorHandlers.set(ws, new Set());
    let alive = true;
    const ping = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, PING_MS);
    ping.unref();
    ws.on('pong', () => (alive = true));
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => {
      alive = true;
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      // A keep-alive (RFC 5626 CRLF) over WS carries nothing to parse.
      if (!isBinary && buf.length <= 4 && /^[\r\n]*$/.test(buf.toString('latin1'))) return;
      deliver(buf, remote);
    });
    ws.on('close', () => {
      clearInterval(ping);
      if (sockets.get(k) === ws) sockets.delete(k);
      const n = (perSource.get(src) ?? 1) - 1;
      if (n <= 0) perSource.delete(src);
      else perSource.set(src, n);
      const handlers = errorHandlers.get(ws);
      errorHandlers.delete(ws);
      for (const h of handlers ?? []) h(new Error('WebSocket closed'));
      o.onClose?.(remote);
    });
  }

  return {
    get size() {
      return sockets.size;
    },
    flow(remote, onError) {
      const k = key(remote.address, remote.port);
      let released = false;
      const ws = sockets.get(k);
      if (ws && onError) errorHandlers.get(ws)?.add(onError);
      return {
        remote,
        protocol: 'WS',
        send(m) {
          const sock = sockets.get(k);
          if (!sock || sock.readyState !== sock.OPEN) {
            // No connection to open: the device is gone until it connects and registers again.
            if (onError) queueMicrotask(() => onError(new Error('no WebSocket connection')));
            return;
          }
          if (sock.bufferedAmount > MAX_WS_BACKLOG) return sock.terminate();
          const data = serialize(m, o.warn);
          // Text frames: SIP is text, and JsSIP reads text frames.
          if (data) sock.send(data, { binary: false });
        },
        release() {
          if (released || !onError) return;
          released = true;
          if (ws) errorHandlers.get(ws)?.delete(onError);
        },
      };
    },
    close() {
      server.off('upgrade', onUpgrade);
      for (const ws of sockets.values()) ws.terminate();
      sockets.clear();
      wss.close();
    },
  };
}
