// What a dialog needs from the endpoint: sending requests in client transactions, answering
// through server transactions, raw sends (ACK, 2xx retransmissions), our Via and Contact.
import type { ClientTransaction, SipAor, SipMessage, SipVia } from 'sip';
import type { Remote } from './transport.ts';

export interface SipLog {
  info(o: object, m?: string): void;
  warn(o: object, m?: string): void;
}

export interface Stack {
  /** Timer T1 of dialog timers, ms. */
  readonly t1: number;
  readonly log: SipLog;
  /** Sends `rq` in a new client transaction to `remote`; `cb` gets every response (and 408/503 made up locally). */
  request(rq: SipMessage, remote: Remote, cb: (rs: SipMessage) => void): ClientTransaction;
  /** Answers `rq` through its server transaction; a To tag is added when missing (except on 100). */
  respond(rq: SipMessage, status: number, reason?: string, extra?: { headers?: Record<string, unknown>; content?: string; toTag?: string }): SipMessage;
  /** Sends outside any transaction (ACK for 2xx, our 2xx retransmissions, BYE on close). */
  raw(m: SipMessage, remote: Remote): void;
  /** A fresh top Via for a request over `protocol`. */
  via(protocol: Remote['protocol']): SipVia;
  /** Our Contact for `user` over `protocol`. */
  contact(user: string, protocol: Remote['protocol']): SipAor[];
  /** Our Allow list. */
  readonly allow: string;
  /** The dialog ended: forget it. */
  forget(key: string): void;
  /** The dialog is established (or early on our side): route in-dialog requests to it. */
  remember(key: string, d: DialogLike): void;
}

export interface DialogLike {
  handleRequest(rq: SipMessage, remote: Remote): void;
  onAck(ack: SipMessage): void;
  shutdown(): void;
}

export const REASONS: Record<number, string> = {
  100: 'Trying',
  180: 'Ringing',
  183: 'Session Progress',
  200: 'OK',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  415: 'Unsupported Media Type',
  423: 'Interval Too Brief',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  491: 'Request Pending',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  603: 'Decline',
};
