// REGISTER (RFC 3261 §10) with digest auth: a few bindings per user, each recording where the
// REGISTER came from (the Contact rewritten to the source address, port and transport, so a
// phone behind NAT is reached through its own pinhole), expiry, and a hard cap on bindings.
import type { SipCredentials } from './digest-auth.ts';
import type { SipMessage } from 'sip';
import type { DigestServer } from './digest-auth.ts';
import { uriHost, userOf } from './headers.ts';
import type { SipLog } from './stack.ts';
import type { Remote } from './transport.ts';
import type { Registration } from './types.ts';
import { normalizeAddress } from './cidr.ts';

export const MIN_EXPIRES = 60;
export const MAX_EXPIRES = 3600;
export const MAX_BINDINGS_PER_USER = 4;

interface Binding extends Registration {
  /** The Contact as the device sent it (identifies the binding, echoed in the 200). */
  sent: string;
  timer: NodeJS.Timeout;
}

type Respond = (rq: SipMessage, status: number, reason?: string, extra?: { headers?: Record<string, unknown> }) => void;

export interface RegistrarOptions {
  digest: DigestServer;
  users: ((username: string) => SipCredentials | undefined) | undefined;
  maxRegistrations: number;
  log: SipLog;
  respond: Respond;
}

/** Expiry asked for a contact: its expires param, else the Expires header, else 3600; NaN when malformed. */
export function askedExpires(contactParams: Record<string, string | null> | undefined, header: unknown): number {
  const raw = contactParams?.expires ?? (typeof header === 'string' ? header.trim() : undefined);
  if (raw === undefined || raw === null) return MAX_EXPIRES;
  return /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
}

export class Registrar {
  private readonly bindings = new Map<string, Binding[]>();
  private count = 0;
  private readonly handlers: Array<(username: string, reg: Registration | undefined) => void> = [];

  constructor(private readonly o: RegistrarOptions) {}

  get size(): number {
    return this.count;
  }

  onChange(h: (username: string, reg: Registration | undefined) => void): void {
    this.handlers.push(h);
  }

  list(username: string): Registration[] {
    return (this.bindings.get(username) ?? []).map(({ username: u, contact, expiresAt }) => ({ username: u, contact, expiresAt }));
  }

  handle(rq: SipMessage, remote: Remote): void {
    const { respond, digest, users } = this.o;
    if (!users) return respond(rq, 403, 'Registration Not Allowed');
    const auth = rq.headers.authorization?.[0];
    if (!auth) return respond(rq, 401, undefined, { headers: { 'www-authenticate': [digest.challenge()] } });
    const v = digest.verify(auth, 'REGISTER', users);
    if (!v.ok) {
      if (v.why === 'stale' || v.why === 'malformed') return respond(rq, 401, undefined, { headers: { 'www-authenticate': [digest.challenge(v.why === 'stale')] } });
      this.o.log.warn({ source: remote.address, why: v.why }, 'sip: REGISTER refused');
      return respond(rq, 403);
    }
    const username = v.user;
    if (userOf(rq.headers.to!.uri) !== username) return respond(rq, 403, 'Wrong AOR');
    const contacts = rq.headers.contact;
    if (contacts === '*') {
      if (askedExpires(undefined, rq.headers.expires) !== 0) return respond(rq, 400, 'Bad Request');
      this.removeAll(username);
      return respond(rq, 200);
    }
    const list = (contacts ?? []).slice(0, MAX_BINDINGS_PER_USER);
    for (const c of list) {
      const e = askedExpires(c.params, rq.headers.expires);
      if (Number.isNaN(e)) return respond(rq, 400, 'Bad Expires');
      if (e > 0 && e < MIN_EXPIRES) return respond(rq, 423, 'Interval Too Brief', { headers: { 'min-expires': String(MIN_EXPIRES) } });
    }
    const adding = list.filter((c) => askedExpires(c.params, rq.headers.expires) > 0 && !this.find(username, c.uri)).length;
    if (this.count + adding > this.o.maxRegistrations) {
      this.o.log.warn({ registrations: this.count }, 'sip: registration cap reached');
      return respond(rq, 503, 'Service Unavailable', { headers: { 'retry-after': '60' } });
    }
    for (const c of list) {
      const expires = Math.min(askedExpires(c.params, rq.headers.expires), MAX_EXPIRES);
      if (expires === 0) this.remove(username, c.uri);
      else this.add(username, c.uri, remote, expires);
    }
    const current = this.bindings.get(username) ?? [];
    const now = Date.now();
    respond(rq, 200, 'OK', {
      headers: current.length
        ? { contact: current.map((b) => ({ uri: b.sent, params: { expires: String(Math.max(0, Math.round((b.expiresAt - now) / 1000))) } })) }
        : {},
    });
    this.changed(username);
  }

  /** A connection (WS) closed: the bindings reached through it go. */
  dropFlow(remote: Remote): void {
    const suffix = `@${uriHost(normalizeAddress(remote.address))}:${remote.port};transport=${remote.protocol.toLowerCase()}`;
    for (const [username, list] of [...this.bindings]) {
      const gone = list.filter((b) => b.contact.endsWith(suffix));
      if (gone.length === 0) continue;
      for (const b of gone) this.drop(username, b);
      this.o.log.info({ username }, 'sip: registration gone with its connection');
      this.changed(username);
    }
  }

  private find(username: string, sent: string): Binding | undefined {
    return this.bindings.get(username)?.find((b) => b.sent === sent);
  }

  private add(username: string, sent: string, remote: Remote, expires: number): void {
    const old = this.find(username, sent);
    if (old) this.drop(username, old);
    const list = this.bindings.get(username) ?? [];
    while (list.length >= MAX_BINDINGS_PER_USER) this.drop(username, list[list.length - 1]!);
    const contactUser = userOf(sent).replace(/[^A-Za-z0-9+._-]/g, '') || username.replace(/[^A-Za-z0-9+._-]/g, '');
    // A WS device (its Contact is `….invalid`) is reached on its connection: its address and port.
    const contact = `sip:${contactUser ? `${contactUser}@` : ''}${uriHost(normalizeAddress(remote.address))}:${remote.port}${remote.protocol === 'UDP' ? '' : `;transport=${remote.protocol.toLowerCase()}`}`;
    const b: Binding = {
      username,
      contact,
      sent,
      expiresAt: Date.now() + expires * 1000,
      timer: setTimeout(() => {
        this.drop(username, b);
        this.o.log.info({ username }, 'sip: registration expired');
        this.changed(username);
      }, expires * 1000),
    };
    b.timer.unref();
    const now = this.bindings.get(username) ?? [];
    now.unshift(b);
    this.bindings.set(username, now);
    this.count++;
    this.o.log.info({ username, contact, expires }, 'sip: registered');
  }

  private drop(username: string, b: Binding): void {
    const list = this.bindings.get(username);
    if (!list) return;
    const i = list.indexOf(b);
    if (i < 0) return;
    clearTimeout(b.timer);
    list.splice(i, 1);
    this.count--;
    if (list.length === 0) this.bindings.delete(username);
  }

  private remove(username: string, sent: string): void {
    const b = this.find(username, sent);
    if (b) this.drop(username, b);
  }

  private removeAll(username: string): void {
    for (const b of [...(this.bindings.get(username) ?? [])]) this.drop(username, b);
    this.changed(username);
  }

  private changed(username: string): void {
    const latest = this.list(username)[0];
    for (const h of this.handlers) {
      try {
        h(username, latest);
      } catch (e) {
        this.o.log.warn({ err: String(e) }, 'sip: onRegistration handler failed');
      }
    }
  }

  close(): void {
    for (const list of this.bindings.values()) for (const b of list) clearTimeout(b.timer);
    this.bindings.clear();
    this.count = 0;
  }
}
