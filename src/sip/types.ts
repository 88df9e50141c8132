// The API the B2BUA (src/telephony/) uses from src/sip/: an endpoint that listens for SIP over
// UDP and TCP (and WebSocket on the HTTP server's port, for browser softphones), answers and places calls (dialogs), keeps registrations, and refuses what it must.
import type { SipCredentials } from './digest-auth.ts';
import type { EventEmitter } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';

export interface SipEndpointOptions {
  /** Where to listen (UDP and TCP on the same port); port 0 = any, see `address()`. */
  host: string;
  port: number;
  /**
   * The address written in our Via and Contact headers. Defaults to `host`, or when `host` is a
   * wildcard (0.0.0.0, ::) to the first non-internal IPv4 address of the machine.
   */
  publicAddress?: string;
  /** Sources allowed to send INVITE without credentials (CIDR list). Others: 403. */
  trust: readonly string[];
  /** Looks up a SIP user (REGISTER digest auth, and INVITE from untrusted devices). */
  users?: (username: string) => SipCredentials | undefined;
  /** @default 'vm' */
  realm?: string;
  /** Messages per second per source outside `trust` beyond which they are dropped (trusted sources are not limited). @default 100 */
  ratePerSource?: number;
  /**
   * The same for sources of the trust list (carriers, PBXs, the gateway): one address
   * carries all their calls, ~3 messages each way per call. @default ratePerSource
   */
  ratePerTrustedSource?: number;
  /** At most this many dialogs at once (503 beyond). @default 5000 */
  maxDialogs?: number;
  /** At most this many registrations in all (503 beyond). @default 10000 */
  maxRegistrations?: number;
  /** Timer T1 of our dialog timers (2xx retransmission, ACK wait 64·T1), in ms. @default 500 */
  t1Ms?: number;
  log?: { info(o: object, m?: string): void; warn(o: object, m?: string): void };
}

export interface Registration {
  username: string;
  /** The URI to send INVITEs to (the received source address, for NAT). */
  contact: string;
  expiresAt: number;
}

export interface IncomingCall extends EventEmitter {
  readonly callId: string;
  /** From user part (the caller's number as sent), To/request-URI user without a leading '+'. */
  readonly from: string;
  readonly to: string;
  readonly source: { address: string; port: number; transport: 'udp' | 'tcp' | 'ws' };
  /** The user whose digest credentials admitted this INVITE (an untrusted source), if any. */
  readonly user: string | undefined;
  /** SDP offer of the INVITE ('' when none: then the offer goes in our 200 and the answer in the ACK). */
  readonly offer: string;
  /** 180 Ringing (no SDP). */
  ringing(): void;
  /** 183 Session Progress with our SDP (early media). */
  progress(sdp: string): void;
  /**
   * 200 OK with our SDP; resolves on ACK with the ACK's body ('' mostly; the answer when the
   * INVITE had no offer). Rejects on ACK timeout (64·T1: the dialog is torn down with BYE).
   */
  accept(sdp: string): Promise<string>;
  /** Final non-2xx (before accept). */
  reject(status: number, reason?: string): void;
  /** Sends BYE (after accept) or 480 (before). */
  hangup(): void;
  // events: 'cancel' (caller gave up before answer), 'bye' (caller hung up),
  // 'dtmf' (digit: string) from SIP INFO, 'reinvite' (sdp: string, reply: (sdp: string) => void,
  // refuse: (status: number, reason?: string) => void; one of the two, once),
  // 'end' (reason: string; once, whatever ended it)
}

export interface OutgoingCall extends EventEmitter {
  readonly callId: string;
  /** CANCEL (before a final answer) or BYE (after). Emits 'end' only (no 'failed'). */
  hangup(): void;
  // events: 'ringing' (), 'early' (sdp: string), 'answered' (sdp: string),
  // 'failed' (status: number, reason: string)  — 486, 603, 408 (our own timeout or theirs), 480, 5xx...
  // 'bye' (far end hung up), 'dtmf' (digit) from INFO, 'reinvite' (sdp, reply, refuse), 'end' (reason; once)
}

/** Counters of what the endpoint refused or dropped (monotonic). */
export interface SipStats {
  /** Messages dropped by the per-source rate limit. */
  rateLimited: number;
  /** Datagrams / TCP messages that were not SIP, too big or lacked mandatory headers. */
  malformed: number;
  /** INVITEs answered 403 (untrusted source without valid credentials). */
  forbidden: number;
  /** INVITEs answered 503 because of `maxDialogs`. */
  overloaded: number;
  /** Dialogs in progress now. */
  dialogs: number;
  /** Registrations (bindings) now. */
  registrations: number;
}

export interface SipEndpoint {
  address(): { host: string; port: number };
  /** A new inbound call from a trusted source (or an authenticated user). */
  onInvite(handler: (call: IncomingCall) => void): void;
  /** Places a call. `target` is a SIP URI (registered contact, or sip:<e164>@gateway). */
  invite(opts: {
    target: string;
    /** User part of From (our caller id) and display name. */
    from: string;
    displayName?: string;
    sdp: string;
    /** Credentials if the far end challenges (401/407). */
    auth?: { username: string; password: string };
    /** Gives up with CANCEL after this long without a final answer; 'failed' with 408. */
    timeoutMs?: number;
  }): OutgoingCall;
  /**
   * Sends an OPTIONS outside any dialog (a keep-alive probe of a gateway): resolves with the
   * final status that came back, undefined when none came within `timeoutMs` (≤ 30 s).
   */
  options(target: string, timeoutMs: number): Promise<number | undefined>;
  /** Current (most recent) binding of a registered user, if any. */
  registration(username: string): Registration | undefined;
  /** Every binding of a user (a few devices), most recent first. */
  registrations(username: string): Registration[];
  /** Fired when a user registers or unregisters (then `reg` is the remaining latest binding or undefined). */
  onRegistration(handler: (username: string, reg: Registration | undefined) => void): void;
  /**
   * Serves SIP over WebSocket (RFC 7118, subprotocol `sip`) on the HTTP server's upgrades to
   * `path` (@default /sip): browser softphones register and are called over their connection.
   */
  serveWebSocket(server: HttpServer | HttpsServer, opts?: { path?: string; maxPerSource?: number }): void;
  stats(): SipStats;
  close(): Promise<void>;
}
