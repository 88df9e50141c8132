// The UAS side of an inbound INVITE: provisional answers, 200 retransmitted until ACK,
// rejection, CANCEL (487) and our BYE. Created by the endpoint once the INVITE is admitted.
import type { SipMessage } from 'sip';
import { Dialog, SDP } from './dialog.ts';
import { token, userOf } from './headers.ts';
import type { Stack } from './stack.ts';
import type { IncomingCall as IncomingCallApi } from './types.ts';
import type { Remote } from './transport.ts';

type State = 'early' | 'answering' | 'confirmed' | 'ended';

/** Longest an inbound INVITE may stay without a final answer (early media included). */
export const UNANSWERED_MS = 600_000;

export class IncomingCall extends Dialog implements IncomingCallApi {
  readonly from: string;
  readonly to: string;
  readonly source: { address: string; port: number; transport: 'udp' | 'tcp' | 'ws' };
  readonly offer: string;
  readonly user: string | undefined;
  private state: State = 'early';
  private acked: { resolve: (sdp: string) => void; reject: (e: Error) => void } | undefined;
  /** An INVITE nobody answers finally is refused after this long (a bound, like Timer C). */
  private readonly unanswered: NodeJS.Timeout;

  constructor(
    stack: Stack,
    private readonly invite: SipMessage,
    remote: Remote,
    user: string | undefined,
  ) {
    const h = invite.headers;
    const contact = Array.isArray(h.contact) ? h.contact[0]?.uri : undefined;
    const to = userOf(invite.uri) || userOf(h.to!.uri);
    super(stack, {
      callId: h['call-id']!,
      localTag: token(),
      localAor: { ...h.to!, params: { ...h.to!.params } },
      remoteAor: h.from!,
      remoteTarget: contact ?? h.from!.uri,
      remote,
      localSeq: Math.floor(Math.random() * 10_000) + 1,
      localUser: to.replace(/[^A-Za-z0-9+._-]/g, '') || 'vm',
    });
    this.localAor.params.tag = this.localTag;
    this.remoteSeq = h.cseq!.seq;
    this.from = userOf(h.from!.uri);
    this.to = to.replace(/^\+/, '');
    this.source = { address: remote.address, port: remote.port, transport: remote.protocol === 'TCP' ? 'tcp' : remote.protocol === 'WS' ? 'ws' : 'udp' };
    this.offer = invite.content ?? '';
    this.user = user;
    this.unanswered = setTimeout(() => this.reject(480, 'No Final Answer'), UNANSWERED_MS);
    this.unanswered.unref();
  }

  /** Transaction key of the INVITE, for CANCEL matching. */
  get inviteBranch(): string {
    return String(this.invite.headers.via![0]!.params.branch ?? '');
  }

  protected isConfirmed(): boolean {
    return this.state === 'confirmed';
  }

  ringing(): void {
    if (this.state !== 'early') return;
    this.stack.respond(this.invite, 180, 'Ringing', { toTag: this.localTag, headers: { contact: this.stack.contact(this.localUser, this.remote.protocol) } });
  }

  progress(sdp: string): void {
    if (this.state !== 'early') return;
    this.stack.respond(this.invite, 183, 'Session Progress', {
      toTag: this.localTag,
      headers: { contact: this.stack.contact(this.localUser, this.remote.protocol), 'content-type': SDP },
      content: sdp,
    });
  }

  accept(sdp: string): Promise<string> {
    if (this.state !== 'early') return Promise.reject(new Error(`cannot accept a call that is ${this.state}`));
    this.state = 'answering';
    clearTimeout(this.unanswered);
    const p = new Promise<string>((resolve, reject) => {
      this.acked = { resolve, reject };
      this.send2xx(
        this.invite,
        sdp,
        (ack) => {
          if (this.state !== 'answering') return;
          this.state = 'confirmed';
          this.acked = undefined;
          resolve(ack.content ?? '');
        },
        () => this.ackTimeout(),
      );
    });
    // A caller that ignores the promise must not crash the process when the call ends early.
    p.catch(() => {});
    return p;
  }

  reject(status: number, reason?: string): void {
    if (this.state !== 'early') return;
    const code = Number.isInteger(status) && status >= 300 && status <= 699 ? status : 500;
    this.stack.respond(this.invite, code, reason, { toTag: this.localTag });
    this.end('rejected');
  }

  hangup(): void {
    if (this.state === 'early') {
      this.reject(480);
      return;
    }
    if (this.state === 'ended') return;
    this.sendBye();
    this.end('hangup');
  }

  /** The caller's CANCEL matched this INVITE (the endpoint answered the CANCEL itself). */
  onCancel(): void {
    if (this.state !== 'early') return;
    this.stack.respond(this.invite, 487, 'Request Terminated', { toTag: this.localTag });
    this.emit('cancel');
    this.end('cancel');
  }

  protected override cleanup(): void {
    this.state = 'ended';
    clearTimeout(this.unanswered);
    const a = this.acked;
    this.acked = undefined;
    a?.reject(new Error('call ended before ACK'));
  }
}
