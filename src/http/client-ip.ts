// Who the client is: the peer address, or — only when the peer is a trusted reverse proxy
// — the address it forwarded in X-Forwarded-For. One trust function serves Fastify
// (request.ip) and Socket.IO (the stream's IP binding of tokens and sessions).
import { ServerResponse, type IncomingMessage } from 'node:http';
import { vmError } from '../errors/registry.ts';
import proxyAddr from '@fastify/proxy-addr';
import type { Server as IoServer } from 'socket.io';
import { normalizeIp } from '../auth/addresses.ts';

/** Reverse proxies whose X-Forwarded-For is believed: addresses, CIDRs or `loopback`, `linklocal`, `uniquelocal`. */
export type TrustProxy = false | string | readonly string[];

export type TrustFn = (addr: string, hop: number) => boolean;

/** Compiles the list (throws on an address that is not one); `false` or empty trusts nobody. */
export function trustFunction(trust: TrustProxy | undefined): TrustFn {
  const list = trust === false || trust === undefined ? [] : typeof trust === 'string' ? trust.split(',') : [...trust];
  const cleaned = list.map((a) => a.trim()).filter((a) => a !== '');
  return proxyAddr.compile(cleaned);
}

/** The client address of a raw request under `trust`. */
export function clientIpOf(req: IncomingMessage, trust: TrustFn): string {
  return normalizeIp(proxyAddr(req, trust));
}

/**
 * Binds every Engine.IO session to the address it was opened from: a request carrying a
 * session id (a long-polling request, or the upgrade to WebSocket) from another address
 * is refused, as a token used from another address is.
 */
export function bindSessionsToIp(engine: IoServer['engine'], clientIp: (req: IncomingMessage) => string): void {
  const owners = new WeakMap<object, string>();
  engine.on('connection', (socket: { request: IncomingMessage }) => {
    owners.set(socket, clientIp(socket.request));
  });
  engine.use((req: IncomingMessage & { _query?: Record<string, string> }, res: unknown, next: (err?: Error) => void) => {
    const sid = req._query?.sid;
    const clients = (engine as unknown as { clients: Record<string, object> }).clients;
    const client = sid && Object.hasOwn(clients, sid) ? clients[sid] : undefined;
    const owner = client && owners.get(client);
    if (owner === undefined || owner === clientIp(req)) return next();
    const e = vmError('SESSION_IP_MISMATCH');
    // A polling request gets the product's error body; an upgrade is refused by Engine.IO.
    if (res instanceof ServerResponse) res.writeHead(e.status, { 'content-type': 'application/json' }).end(JSON.stringify(e.toBody()));
    else next(e);
  });
}
