// One SIP dialog (RFC 3261 §12), the part both call directions share: in-dialog requests from
// the far end (BYE, INFO DTMF, OPTIONS, re-INVITE with its 2xx retransmitted until ACK), CSeq
// rules, our BYE, and 'end' exactly once. Route sets are not kept: we are the endpoint, and
// in-dialog requests go to the address the dialog was set up with (NAT-safe).
import { EventEmitter } from 'node:events';
import type { SipAor, SipMessage } from 'sip';
import { dtmfOfInfo, mediaType, newBranch } from './headers.ts';
import type { DialogLike, Stack } from './stack.ts';
import type { Remote } from './transport.ts';

export const SDP = 'application/sdp';

/** Sends `send()` now and on T1, 2·T1 … capped at T2 = 8·T1, until `stop()` or 64·T1 (then `onTimeout`). */
export function retransmit(t1: number, send: () => void, onTimeout: () => void): () => void {
  let interval = t1;
  let timer: NodeJS.Timeout | undefined;
  const giveUp = setTimeout(() => {
    stop();
    onTimeout();
  }, 64 * t1);
  const tick = () => {
    send();
    timer = setTimeout(tick, interval);
    interval = Math.min(interval * 2, 8 * t1);
  };
  const stop = () => {
    clearTimeout(timer);
    clearTimeout(giveUp);
  };
  tick();
  return stop;
}

export abstract class Dialog extends EventEmitter implements DialogLike {
  readonly callId: string;
  protected readonly localTag: string;
  protected localAor: SipAor;
  protected remoteAor: SipAor;
  protected remoteTarget: string;
  protected remote: Remote;
  protected localSeq: number;
  protected remoteSeq: number | undefined;
  protected localUser: string;
  protected ended = false;
  /** A 2xx we retransmit until its ACK (accept() or a re-INVITE reply). */
  private pending2xx: { seq: number; stop: () => void; onAck: (ack: SipMessage) => void } | undefined;
  /** A re-INVITE from the far end not answered yet. */
  private reinviteOpen = false;

  protected constructor(
    protected readonly stack: Stack,
    init: { callId: string; localTag: string; localAor: SipAor; remoteAor: SipAor; remoteTarget: string; remote: Remote; localSeq: number; localUser: string },
  ) {
    super();
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.localAor = init.localAor;
    this.remoteAor = init.remoteAor;
    this.remoteTarget = init.remoteTarget;
    this.remote = init.remote;
    this.localSeq = init.localSeq;
    this.localUser = init.localUser;
  }

  get key(): string {
    return `${this.callId} ${this.localTag}`;
  }

  /** An in-dialog request from us (new CSeq unless `seq` is given, as for ACK and CANCEL). */
  protected makeRequest(method: string, opts: { seq?: number; content?: string; contentType?: string } = {}): SipMessage {
    const headers: SipMessage['headers'] = {
      via: [this.stack.via(this.remote.protocol)],
      'max-forwards': '70',
      to: this.remoteAor,
      from: this.localAor,
      'call-id': this.callId,
      cseq: { seq: opts.seq ?? ++this.localSeq, method },
    };
    if (method === 'INVITE' || method === 'ACK') headers.contact = this.stack.contact(this.localUser, this.remote.protocol);
    if (opts.content) headers['content-type'] = opts.contentType ?? SDP;
    return { method, uri: this.remoteTarget, version: '2.0', headers, content: opts.content ?? '' };
  }

  protected sendBye(): void {
    this.stack.request(this.makeRequest('BYE'), this.remote, (rs) => {
      if ((rs.status ?? 0) >= 300) this.stack.log.info({ callId: this.callId, status: rs.status }, 'sip: BYE refused');
    });
  }

  /** Our 2xx to an INVITE of the far end, retransmitted until the ACK (64·T1: BYE and end). */
  protected send2xx(rq: SipMessage, sdp: string, onAck: (ack: SipMessage) => void, onTimeout: () => void): void {
    const rs = this.stack.respond(rq, 200, 'OK', {
      toTag: this.localTag,
      headers: { contact: this.stack.contact(this.localUser, this.remote.protocol), allow: this.stack.allow, ...(sdp ? { 'content-type': SDP } : {}) },
      content: sdp,
    });
    let first = true;
    const stop = retransmit(
      this.stack.t1,
      () => {
        if (first) first = false;
        else if (this.remote.protocol === 'UDP') this.stack.raw(rs, this.remote);
      },
      () => {
        this.pending2xx = undefined;
        onTimeout();
      },
    );
    this.pending2xx?.stop();
    this.pending2xx = { seq: rq.headers.cseq!.seq, stop, onAck };
  }

  onAck(ack: SipMessage): void {
    const p = this.pending2xx;
    if (!p || ack.headers.cseq!.seq !== p.seq) return;
    p.stop();
    this.pending2xx = undefined;
    p.onAck(ack);
  }

  /** A request of the far end inside this dialog (its To tag is ours). */
  handleRequest(rq: SipMessage, remote: Remote): void {
    const method = rq.method!;
    const seq = rq.headers.cseq!.seq;
    if (method === 'CANCEL') {
      this.stack.respond(rq, 481);
      return;
    }
    if (this.remoteSeq !== undefined && seq <= this.remoteSeq) {
      this.stack.respond(rq, 500, 'Server Internal Error', { headers: { 'retry-after': '1' } });
      return;
    }
    this.remoteSeq = seq;
    switch (method) {
      case 'BYE':
        this.stack.respond(rq, 200);
        if (!this.ended) {
          this.emit('bye');
          this.end('bye');
        }
        return;
      case 'INFO': {
        const type = mediaType(rq.headers['content-type']);
        const digit = dtmfOfInfo(type, rq.content);
        if (digit !== undefined) {
          this.stack.respond(rq, 200);
          this.emit('dtmf', digit);
        } else if (!rq.content || type === '') {
          this.stack.respond(rq, 200);
        } else {
          this.stack.respond(rq, 415, undefined, { headers: { accept: 'application/dtmf-relay, application/dtmf' } });
        }
        return;
      }
      case 'OPTIONS':
        this.stack.respond(rq, 200, 'OK', { headers: { allow: this.stack.allow, accept: SDP } });
        return;
      case 'INVITE':
        this.onReinvite(rq, remote);
        return;
      default:
        this.stack.respond(rq, 501, undefined, { headers: { allow: this.stack.allow } });
    }
  }

  private onReinvite(rq: SipMessage, _remote: Remote): void {
    if (!this.isConfirmed() || this.pending2xx || this.reinviteOpen) {
      this.stack.respond(rq, 491, undefined, { headers: { 'retry-after': '1' } });
      return;
    }
    const type = mediaType(rq.headers['content-type']);
    if (rq.content && type !== SDP) {
      this.stack.respond(rq, 415, undefined, { headers: { accept: SDP } });
      return;
    }
    const contact = Array.isArray(rq.headers.contact) ? rq.headers.contact[0]?.uri : undefined;
    if (contact) this.remoteTarget = contact;
    this.stack.respond(rq, 100);
    this.reinviteOpen = true;
    let replied = false;
    const reply = (sdp: string) => {
      if (replied || this.ended) return;
      replied = true;
      this.reinviteOpen = false;
      this.send2xx(rq, sdp, () => {}, () => this.ackTimeout());
    };
    // A refused re-INVITE leaves the session as it was (RFC 3261 §14.2); the dialog goes on.
    const refuse = (status: number, reason?: string) => {
      if (replied || this.ended) return;
      replied = true;
      this.reinviteOpen = false;
      this.stack.respond(rq, status, reason);
    };
    if (this.listenerCount('reinvite') === 0) return refuse(488);
    this.emit('reinvite', rq.content ?? '', reply, refuse);
  }

  protected ackTimeout(): void {
    if (this.ended) return;
    this.stack.log.warn({ callId: this.callId }, 'sip: no ACK for our 2xx, hanging up');
    this.sendBye();
    this.end('ack-timeout');
  }

  protected abstract isConfirmed(): boolean;

  /** Ends the dialog once: timers stopped, forgotten by the stack, 'end' emitted. */
  protected end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.pending2xx?.stop();
    this.pending2xx = undefined;
    this.stack.forget(this.key);
    this.cleanup();
    this.emit('end', reason);
  }

  protected cleanup(): void {}

  /** Endpoint closing: a last BYE (one datagram, no transaction) for an established call, then end. */
  shutdown(): void {
    if (this.ended) return;
    if (this.isConfirmed()) {
      const bye = this.makeRequest('BYE');
      bye.headers.via = [{ ...this.stack.via(this.remote.protocol), params: { branch: newBranch() } }];
      this.stack.raw(bye, this.remote);
    }
    this.end('closed');
  }
}
