// createSipEndpoint: the transports, npm sip's transaction layer, and the dispatch of every
// request — admission (trust list, digest, dialog cap), dialogs, OPTIONS, REGISTER, refusals.
// Requests are sent by resolving their target ourselves, never through npm sip's `send`, whose
// own-hostname shortcut answers a request to our own address with a local 404.

import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import os from 'node:os';
import sip from 'sip';
import type { ClientTransaction, SipAor, SipMessage, SipVia } from 'sip';
import { normalizeAddress, parseCidrs } from './cidr.ts';
import { createDigestServer } from './digest-auth.ts';
import { mediaType, parseTarget, token, uriHost } from './headers.ts';
import { IncomingCall } from './incoming-call.ts';
import { OutgoingCall } from './outgoing-call.ts';
import { createRateLimiter, type RateLimiter } from './rate-limit.ts';
import { Registrar } from './registrar.ts';
import { REASONS, type DialogLike, type SipLog, type Stack } from './stack.ts';
import { openTransport, type Flow, type Remote, type TransportCounters } from './transport.ts';
import { serveWebSocket, type WsTransport } from './transport-ws.ts';
import type { SipEndpoint, SipEndpointOptions } from './types.ts';

const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REGISTER';
const KNOWN = new Set(['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'INFO', 'REGISTER', 'PRACK', 'UPDATE', 'REFER', 'SUBSCRIBE', 'NOTIFY', 'MESSAGE', 'PUBLISH']);
const silent: SipLog = { info() {}, warn() {} };

/** The address for our Via and Contact when we listen on a wildcard. */
function defaultPublicAddress(host: string): string {
  if (host !== '0.0.0.0' && host !== '::' && host !== '') return host;
  for (const list of Object.values(os.networkInterfaces())) for (const i of list ?? []) if (i.family === 'IPv4' && !i.internal) return i.address;
  return '127.0.0.1';
}

/** Per-source buckets, trusted sources in their own (at their own rate) when one is given. */
function sourceLimiter(trust: { has(address: string): boolean }, rate: number, trustedRate: number | undefined): RateLimiter {
  const others = createRateLimiter(rate);
  if (trustedRate === undefined) return others;
  const trusted = createRateLimiter(trustedRate);
  return {
    take: (source, now) => (trust.has(source) ? trusted : others).take(source, now),
    get size() {
      return others.size + trusted.size;
    },
  };
}

export async function createSipEndpoint(opts: SipEndpointOptions): Promise<SipEndpoint> {
  const log = opts.log ?? silent;
  const trust = parseCidrs(opts.trust);
  const realm = opts.realm ?? 'vm';
  const maxDialogs = opts.maxDialogs ?? 5000;
  const t1 = opts.t1Ms ?? 500;
  const digest = createDigestServer(realm);
  const counters: TransportCounters & { forbidden: number; overloaded: number } = { rateLimited: 0, malformed: 0, forbidden: 0, overloaded: 0 };
  const dialogs = new Map<string, DialogLike>();
  /** INVITEs not answered finally yet, by Call-ID and branch, for CANCEL. */
  const pending = new Map<string, IncomingCall>();
  const inviteHandlers: Array<(call: IncomingCall) => void> = [];
  const layer = sip.makeTransactionLayer({});
  const publicHost = opts.publicAddress ?? defaultPublicAddress(opts.host);

  // Flood limits per source; a trusted carrier, PBX or gateway sends every call of a trunk
  // from one address, far beyond what one attacker's source may: it has its own rate.
  const limiter = sourceLimiter(trust, opts.ratePerSource ?? 100, opts.ratePerTrustedSource);
  const transport = await openTransport({
    host: opts.host,
    port: opts.port,
    limiter,
    counters,
    warn: (o, m) => log.warn(o, m),
    onMessage: dispatch,
  });
  const port = transport.port;
  let ws: WsTransport | undefined;
  /** The flow to a remote: a WS one goes back on the connection it came from. */
  const flowTo = (remote: Remote, onError?: (e: Error) => void): Flow =>
    remote.protocol === 'WS'
      ? (ws ?? noWs).flow(remote, onError)
      : transport.flow(remote, onError);
  const noWs: Pick<WsTransport, 'flow'> = {
    flow: (remote, onError) => ({ remote, protocol: 'WS', send: () => onError && queueMicrotask(() => onError(new Error('no WebSocket transport'))), release() {} }),
  };

  const stack: Stack = {
    t1,
    log,
    allow: ALLOW,
    request(rq, remote, cb): ClientTransaction {
      let tx: ClientTransaction | undefined;
      const flow = flowTo(remote, () => tx?.message(sip.makeResponse(rq, 503, 'Service Unavailable')));
      tx = layer.createClientTransaction(flow, rq, cb);
      return tx;
    },
    respond(rq, status, reason, extra) {
      const rs = sip.makeResponse(rq, status, reason ?? REASONS[status] ?? '', { headers: extra?.headers, content: extra?.content });
      const to = rq.headers.to!;
      rs.headers.to = { ...to, params: { ...to.params } };
      if (status > 100 && !rs.headers.to.params.tag) rs.headers.to.params.tag = extra?.toTag ?? token();
      if (rs.headers['server'] === undefined) rs.headers['server'] = 'vm-sip';
      layer.getServer(rs)?.send(rs);
      return rs;
    },
    raw(m, remote) {
      flowTo(remote).send(m);
    },
    via(protocol): SipVia {
      return { version: '2.0', protocol, host: uriHost(publicHost), port, params: { branch: sip.generateBranch(), ...(protocol === 'UDP' ? { rport: null } : {}) } };
    },
    contact(user, protocol): SipAor[] {
      return [{ uri: `sip:${user ? `${user}@` : ''}${uriHost(publicHost)}:${port}${protocol === 'UDP' ? '' : `;transport=${protocol.toLowerCase()}`}`, params: {} }];
    },
    forget(key) {
      dialogs.delete(key);
    },
    remember(key, d) {
      dialogs.set(key, d);
    },
  };

  const registrar = new Registrar({ digest, users: opts.users, maxRegistrations: opts.maxRegistrations ?? 10_000, log, respond: (rq, s, r, e) => void stack.respond(rq, s, r, e) });

  function dispatch(m: SipMessage, remote: Remote): void {
    if (m.status !== undefined) {
      layer.getClient(m)?.message(m, remote);
      return;
    }
    if (m.method === 'ACK') {
      const tag = m.headers.to!.params.tag;
      if (tag) dialogs.get(`${m.headers['call-id']} ${tag}`)?.onAck(m);
      layer.getServer(m)?.message(m, remote);
      return;
    }
    const t = layer.getServer(m);
    if (t) {
      t.message(m, remote); // a retransmission: the transaction repeats its last answer
      return;
    }
    layer.createServerTransaction(m, flowTo(remote));
    onRequest(m, remote);
  }

  function onRequest(rq: SipMessage, remote: Remote): void {
    const method = rq.method!;
    const tag = rq.headers.to!.params.tag;
    if (tag) {
      const d = dialogs.get(`${rq.headers['call-id']} ${tag}`);
      if (d) d.handleRequest(rq, remote);
      else stack.respond(rq, method === 'OPTIONS' ? 200 : 481, undefined, method === 'OPTIONS' ? { headers: { allow: ALLOW, accept: 'application/sdp' } } : undefined);
      return;
    }
    switch (method) {
      case 'INVITE':
        return onInvite(rq, remote);
      case 'CANCEL': {
        const call = pending.get(`${rq.headers['call-id']} ${String(rq.headers.via![0]!.params.branch ?? '')}`);
        stack.respond(rq, call ? 200 : 481);
        call?.onCancel();
        return;
      }
      case 'OPTIONS':
        stack.respond(rq, 200, 'OK', { headers: { allow: ALLOW, accept: 'application/sdp' } });
        return;
      case 'REGISTER':
        registrar.handle(rq, remote);
        return;
      case 'BYE':
      case 'INFO':
      case 'PRACK':
      case 'UPDATE':
        stack.respond(rq, 481);
        return;
      default:
        stack.respond(rq, KNOWN.has(method) ? 405 : 501, undefined, { headers: { allow: ALLOW } });
    }
  }

  function onInvite(rq: SipMessage, remote: Remote): void {
    const source = normalizeAddress(remote.address);
    let user: string | undefined;
    if (!trust.has(source)) {
      if (!opts.users) return forbid(rq, remote, 'untrusted source');
      const v = digest.verify(rq.headers['proxy-authorization']?.[0], 'INVITE', opts.users);
      if (!v.ok) {
        if (v.why === 'stale' || v.why === 'malformed') return void stack.respond(rq, 407, undefined, { headers: { 'proxy-authenticate': [digest.challenge(v.why === 'stale')] } });
        return forbid(rq, remote, v.why);
      }
      user = v.user;
    }
    if (dialogs.size >= maxDialogs) {
      counters.overloaded++;
      stack.respond(rq, 503, 'Service Unavailable', { headers: { 'retry-after': '5' } });
      return;
    }
    if (rq.content && mediaType(rq.headers['content-type']) !== 'application/sdp') {
      stack.respond(rq, 415, undefined, { headers: { accept: 'application/sdp' } });
      return;
    }
    stack.respond(rq, 100);
    const call = new IncomingCall(stack, rq, remote, user);
    const pkey = `${call.callId} ${call.inviteBranch}`;
    dialogs.set(call.key, call);
    pending.set(pkey, call);
    const settle = () => pending.delete(pkey);
    call.once('end', settle);
    const answered = call.accept.bind(call);
    call.accept = (sdp: string) => {
      settle();
      return answered(sdp);
    };
    if (inviteHandlers.length === 0) {
      call.reject(480);
      return;
    }
    for (const h of inviteHandlers) {
      try {
        h(call);
      } catch (e) {
        log.warn({ err: String(e), callId: call.callId }, 'sip: onInvite handler failed');
        call.reject(500);
      }
    }
  }

  /**
   * An out-of-dialog OPTIONS to `target` (a keep-alive probe): its final status, undefined
   * when none came within `timeoutMs` (or the target cannot be reached: unresolvable, TCP
   * refused). The transaction stops at the bound: no retransmission outlives the answer.
   */
  async function probe(target: string, timeoutMs: number): Promise<number | undefined> {
    const t = parseTarget(target);
    if (!t) return undefined;
    let address = t.host;
    if (isIP(address) === 0) {
      try {
        address = (await lookup(address)).address;
      } catch {
        return undefined;
      }
    }
    const protocol = t.transport === 'tcp' ? 'TCP' : 'UDP';
    const host = uriHost(publicHost);
    const rq: SipMessage = {
      method: 'OPTIONS',
      uri: target,
      version: '2.0',
      headers: {
        via: [stack.via(protocol)],
        'max-forwards': '70',
        to: { uri: target, params: {} },
        from: { uri: `sip:vm@${host}:${port}`, params: { tag: token() } },
        'call-id': `${token(12)}@${host}`,
        cseq: { seq: 1, method: 'OPTIONS' },
        contact: stack.contact('vm', protocol),
        accept: 'application/sdp',
      },
      content: '',
    };
    return new Promise((resolve) => {
      let tx: ClientTransaction | undefined;
      let settled = false;
      const finish = (status: number | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        // Unanswered: the transaction is dropped now; answered, it ends by itself (Timer K).
        if (status === undefined) tx?.shutdown();
        resolve(status);
      };
      const timer = setTimeout(() => finish(undefined), Math.min(timeoutMs, 30_000));
      timer.unref();
      const flow = transport.flow({ protocol, address, port: t.port }, () => finish(undefined));
      tx = layer.createClientTransaction(flow, rq, (rs) => {
        // npm sip's own 408 (Timer F, 32 s) never comes first: the bound is shorter.
        if ((rs.status ?? 0) >= 200) finish(rs.status);
      });
    });
  }

  function forbid(rq: SipMessage, remote: Remote, why: string): void {
    counters.forbidden++;
    log.warn({ source: remote.address, port: remote.port, why, to: rq.uri }, 'sip: INVITE refused');
    stack.respond(rq, 403);
  }

  return {
    address: () => ({ host: opts.host, port }),
    onInvite(handler) {
      inviteHandlers.push(handler);
    },
    invite(o) {
      return new OutgoingCall(stack, o, publicHost, port, (call) => {
        if (dialogs.size >= maxDialogs) {
          counters.overloaded++;
          return false;
        }
        dialogs.set(call.key, call);
        return true;
      });
    },
    options: (target, timeoutMs) => probe(target, timeoutMs),
    registration: (u) => registrar.list(u)[0],
    registrations: (u) => registrar.list(u),
    onRegistration: (h) => registrar.onChange(h),
    serveWebSocket(server, o = {}) {
      if (ws) throw new Error('SIP over WebSocket is served already');
      ws = serveWebSocket(server, {
        ...o,
        limiter,
        counters,
        warn: (x, m) => log.warn(x, m),
        onMessage: dispatch,
        // Its bindings can no longer be reached: the operator is not rung in vain.
        onClose: (remote) => registrar.dropFlow(remote),
      });
    },
    stats: () => ({ rateLimited: counters.rateLimited, malformed: counters.malformed, forbidden: counters.forbidden, overloaded: counters.overloaded, dialogs: dialogs.size, registrations: registrar.size }),
    async close() {
      for (const d of [...dialogs.values()]) d.shutdown();
      dialogs.clear();
      pending.clear();
      registrar.close();
      ws?.close();
      layer.destroy();
      await transport.close();
    },
  };
}

