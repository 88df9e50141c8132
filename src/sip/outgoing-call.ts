// The UAC side of a call we place: INVITE (one digest retry on 401/407), provisional events,
// ACK for every 2xx (retransmissions too), CANCEL on timeout or hangup before the answer (sent
// once a provisional came, as RFC 3261 §9.1 asks), BYE after. A 2xx that arrives after we gave
// up is ACKed and closed with BYE, so no far leg stays up.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { ClientTransaction, SipMessage } from 'sip';
import digest from 'sip/digest.js';
import { Dialog } from './dialog.ts';
import { newBranch, parseTarget, token, uriHost } from './headers.ts';
import type { Stack } from './stack.ts';
import type { OutgoingCall as OutgoingCallApi } from './types.ts';
import type { Remote } from './transport.ts';

export interface InviteOptions {
  target: string;
  from: string;
  displayName?: string;
  sdp: string;
  auth?: { username: string; password: string };
  timeoutMs?: number;
}

type State = 'calling' | 'confirmed' | 'ended';

const quoteName = (s: string) => `"${s.replace(/["\\\r\n]/g, '').slice(0, 64)}"`;

export class OutgoingCall extends Dialog implements OutgoingCallApi {
  private state: State = 'calling';
  private inviteRq: SipMessage | undefined;
  private tx: ClientTransaction | undefined;
  private provisional = false;
  private cancelWanted = false;
  private cancelSent = false;
  private authTried = false;
  private ack: SipMessage | undefined;
  private ringingSent = false;
  private earlySent = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    stack: Stack,
    private readonly opts: InviteOptions,
    localHost: string,
    localPort: number,
    private readonly admit: (call: OutgoingCall) => boolean,
  ) {
    const target = parseTarget(opts.target);
    const user = opts.from.replace(/[^A-Za-z0-9+._-]/g, '').slice(0, 64) || 'vm';
    const tag = token();
    super(stack, {
      callId: `${token(12)}@${uriHost(localHost)}`,
      localTag: tag,
      localAor: { name: opts.displayName ? quoteName(opts.displayName) : undefined, uri: `sip:${user}@${uriHost(localHost)}:${localPort}`, params: { tag } },
      remoteAor: { uri: opts.target, params: {} },
      remoteTarget: opts.target,
      remote: { protocol: target?.transport === 'tcp' ? 'TCP' : target?.transport === 'ws' ? 'WS' : 'UDP', address: target?.host ?? '', port: target?.port ?? 5060 },
      localSeq: 1,
      localUser: user,
    });
    queueMicrotask(() => void this.start(target !== undefined));
  }

  protected isConfirmed(): boolean {
    return this.state === 'confirmed';
  }

  private async start(valid: boolean): Promise<void> {
    if (this.ended) return;
    if (!valid) return this.fail(400, 'Bad target URI');
    if (!this.admit(this)) return this.fail(503, 'Too many dialogs');
    if (isIP(this.remote.address) === 0) {
      try {
        this.remote = { ...this.remote, address: (await lookup(this.remote.address)).address };
      } catch {
        return this.fail(503, 'Cannot resolve target');
      }
      if (this.ended) return;
    }
    this.timer = setTimeout(() => this.giveUp('timeout'), this.opts.timeoutMs ?? 180_000);
    this.sendInvite(undefined);
  }

  private sendInvite(challenge: SipMessage | undefined): void {
    const rq = this.makeRequest('INVITE', { seq: this.localSeq, content: this.opts.sdp });
    rq.headers.allow = this.stack.allow;
    if (challenge && this.opts.auth) {
      try {
        digest.signRequest(null, rq, challenge, { user: this.opts.auth.username, password: this.opts.auth.password });
      } catch {
        return this.fail(challenge.status ?? 401, challenge.reason ?? 'Unauthorized');
      }
    }
    this.inviteRq = rq;
    this.provisional = false;
    this.cancelSent = false;
    this.tx = this.stack.request(rq, this.remote, (rs) => this.onResponse(rq, rs));
  }

  private onResponse(rq: SipMessage, rs: SipMessage): void {
    const status = rs.status ?? 0;
    const current = rq === this.inviteRq;
    if (status < 200) {
      if (!current) return;
      this.provisional = true;
      if (this.cancelWanted) return this.sendCancel();
      if (this.state !== 'calling' || status === 100) return;
      if (!this.ringingSent) {
        this.ringingSent = true;
        this.emit('ringing');
      }
      if (rs.content && !this.earlySent) {
        this.earlySent = true;
        this.emit('early', rs.content);
      }
      return;
    }
    if (status < 300) return this.on2xx(rq, rs);
    if (!current || this.state !== 'calling') return;
    if ((status === 401 || status === 407) && this.opts.auth && !this.authTried && !this.cancelWanted) {
      this.authTried = true;
      this.localSeq++;
      this.sendInvite(rs);
      return;
    }
    this.fail(status, rs.reason ?? '');
  }

  private on2xx(rq: SipMessage, rs: SipMessage): void {
    const tag = rs.headers.to?.params.tag ?? '';
    const contact = Array.isArray(rs.headers.contact) ? rs.headers.contact[0]?.uri : undefined;
    if (this.state === 'confirmed' && this.ack && tag === this.remoteAor.params.tag) {
      this.stack.raw(this.ack, this.remote); // the 200 again: our ACK was lost
      return;
    }
    const ack = this.buildAck(rq, rs, contact);
    this.stack.raw(ack, this.remote);
    if (this.state !== 'calling' || rq !== this.inviteRq) {
      // Answered after we gave up, or a second fork: close that leg.
      const bye = { ...ack, method: 'BYE', headers: { ...ack.headers, via: [this.stack.via(this.remote.protocol)], cseq: { seq: rq.headers.cseq!.seq + 1, method: 'BYE' } } };
      delete bye.headers.contact;
      this.stack.request(bye, this.remote, () => {});
      return;
    }
    this.clearTimer();
    this.state = 'confirmed';
    this.ack = ack;
    this.remoteAor = rs.headers.to!;
    if (contact) this.remoteTarget = contact;
    this.stack.remember(this.key, this);
    this.emit('answered', rs.content ?? '');
  }

  private buildAck(rq: SipMessage, rs: SipMessage, contact: string | undefined): SipMessage {
    return {
      method: 'ACK',
      uri: contact ?? rq.uri,
      version: '2.0',
      headers: {
        via: [{ ...this.stack.via(this.remote.protocol), params: { branch: newBranch(), ...(this.remote.protocol === 'UDP' ? { rport: null } : {}) } }],
        'max-forwards': '70',
        to: rs.headers.to,
        from: rq.headers.from,
        'call-id': this.callId,
        cseq: { seq: rq.headers.cseq!.seq, method: 'ACK' },
      },
      content: '',
    };
  }

  private sendCancel(): void {
    const rq = this.inviteRq;
    if (!rq || this.cancelSent) return;
    this.cancelSent = true;
    const cancel: SipMessage = {
      method: 'CANCEL',
      uri: rq.uri,
      version: '2.0',
      headers: {
        via: [{ ...rq.headers.via![0]!, params: { ...rq.headers.via![0]!.params } }],
        'max-forwards': '70',
        to: rq.headers.to,
        from: rq.headers.from,
        'call-id': this.callId,
        cseq: { seq: rq.headers.cseq!.seq, method: 'CANCEL' },
      },
      content: '',
    };
    this.stack.request(cancel, this.remote, () => {});
  }

  /** Stop trying before a final answer: CANCEL now if a provisional came, else on the first one. */
  private giveUp(why: 'timeout' | 'hangup'): void {
    if (this.state !== 'calling') return;
    this.cancelWanted = true;
    if (this.provisional) this.sendCancel();
    if (why === 'timeout') this.fail(408, 'Request Timeout');
    else this.end('hangup');
  }

  hangup(): void {
    if (this.state === 'calling') this.giveUp('hangup');
    else if (this.state === 'confirmed') {
      this.sendBye();
      this.end('hangup');
    }
  }

  private fail(status: number, reason: string): void {
    if (this.ended) return;
    this.emit('failed', status, reason);
    this.end(`failed ${status}`);
  }

  private clearTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  protected override cleanup(): void {
    this.state = 'ended';
    this.clearTimer();
  }

  override shutdown(): void {
    this.tx?.shutdown();
    super.shutdown();
  }
}

