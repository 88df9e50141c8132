// The SIP back-to-back user agent in front of the engines: the telephony port of every
// account when SIP is on. An inbound INVITE to `sip:<service>@…` becomes `inboundCall` on
// the account owning that service number; from then on the engine decides and this
// module carries out its commands (src/engine/telephony.ts) on SIP dialogs (src/sip/) and
// media legs (src/media/plane.ts), and reports what the network did back as engine inputs.
//
// Each call has one state (`Leg` per SIP dialog, one media leg per dialog); commands of a
// call run one after another (a chain), so a `bridge` never overtakes the `ring` it
// follows. Engine inputs go through the host (`run`), which answers once their events are
// durable, never synchronously from a command (the port's rule).
import type { EngineResult } from '../engine/errors.ts';
import type { Engine } from '../engine/engine.ts';
import type { DialPurpose, RingFailure, TelephonyCommand, TelephonyPort } from '../engine/telephony.ts';
import { MediaError, offersNoAudio, type MediaPlane } from '../media/plane.ts';
import type { IncomingCall, OutgoingCall, SipEndpoint } from '../sip/index.ts';
import { Listenings, type ListenLeg } from './listen.ts';

/** How an operator's phone is reached: a registered SIP device, else an e164 through the gateway. */
export interface OperatorContact {
  sipUser?: string;
  e164?: string;
  /** What their own calls (click-to-call, callbacks) present as From; "0": anonymous. */
  callerId?: string;
}

export interface B2buaOptions {
  sip: SipEndpoint;
  media: MediaPlane;
  /** Runs an engine input and answers once its events are durable (EngineHost.run). */
  run: <R extends EngineResult<object>>(accountId: number, command: (engine: Engine) => R) => Promise<R | EngineResult | undefined>;
  /** The account owning a service number. */
  accountForService(service: string): Promise<number | undefined>;
  operatorContact(accountId: number, operatorId: number): Promise<OperatorContact | undefined>;
  /** The file of a sound id (account sound or `default:*`), undefined when unknown. */
  sound(accountId: number, soundId: string): Promise<string | undefined>;
  /** Where legs to e164 numbers go: `sip:HOST:PORT`. */
  gateway?: string;
  /** Digest credentials the gateway may ask for (401/407). */
  gatewayAuth?: { username: string; password: string };
  /** True while the gateway answers no keep-alive: legs to it fail at once (unreachable). */
  gatewayDown?: () => boolean;
  /** Where a call's recording is written, and what to do once it is complete. */
  recordings?: {
    path(accountId: number, idCall: number): string;
    done(accountId: number, idCall: number, file: string, durationMs: number, bytes: number): Promise<void>;
  };
  log?: { info(o: object, m?: string): void; warn(o: object, m?: string): void; error(o: object, m?: string): void };
}

interface OutLeg {
  out: OutgoingCall;
  media: string;
  answered: boolean;
  /** We hung it up (stop_ring, release, hangup): its later events are ours, not the network's. */
  dropped: boolean;
  /** An operator's phone that put the call on hold itself (its last re-INVITE offered no audio to it). */
  phoneHeld?: boolean;
}

interface CallState {
  accountId: number;
  idCall: number;
  key: string;
  caller: string;
  /** The caller's dialog (inbound calls). */
  inbound?: IncomingCall;
  aMedia?: string;
  aSdp?: string;
  accepted: boolean;
  early: boolean;
  /** The INVITE had no SDP: we offered in the 200, the ACK answers. */
  lateOffer?: boolean;
  callerGone: boolean;
  ended: boolean;
  collecting: boolean;
  /** Legs to operators' phones, by operator id. */
  ops: Map<number, OutLeg>;
  /** The leg to an external number (trunk, transfer, outgoing call, callback). */
  far?: OutLeg;
  /** The number an operator consults (`dial` purpose `consult`), until dropped or joined to the caller (then `far`). */
  consulted?: OutLeg;
  /** Bumped by each consultation dial and drop: a leg placed for an older one is hung up at once. */
  consultSeq: number;
  /** What the caller is bridged to. */
  bridged?: string;
  recordWanted: boolean;
  recording: boolean;
  chain: Promise<void>;
}

const RING_FAILURE: Record<number, RingFailure> = { 486: 'busy', 600: 'busy', 603: 'declined', 408: 'no_answer', 480: 'no_answer', 487: 'no_answer' };

/** The caller id the engine takes: the From user's digits ('0' when anonymous). */
export function callerDigits(fromUser: string): string {
  const d = fromUser.replace(/^\+/, '');
  return /^[0-9]{1,32}$/.test(d) ? d : '0';
}

export class B2bua {
  private readonly calls = new Map<string, CallState>();
  private readonly byMedia = new Map<string, CallState>();
  private readonly ports = new Map<number, TelephonyPort>();
  private readonly fallbacks = new Map<number, TelephonyPort>();
  private seq = 0;
  private closed = false;
  /** `HOST:PORT` of the gateway (legs to e164 numbers go to `sip:<e164>@HOST:PORT`). */
  private readonly gatewayHost: string | undefined;
  /** Supervisors listening to operators' calls (listen.ts). */
  readonly listening: Listenings<CallState>;

  constructor(private readonly opts: B2buaOptions) {
    this.gatewayHost = opts.gateway?.replace(/^sips?:/, '');
    this.listening = new Listenings<CallState>({
      sip: opts.sip,
      media: opts.media,
      find: (accountId, operatorId) => this.operatorLeg(accountId, operatorId),
      place: (st, leg, target, from) => this.place(st, leg, target, from),
      drop: (leg) => this.drop(leg),
      ...(opts.log ? { log: opts.log } : {}),
    });
    opts.sip.onInvite((call) => void this.inbound(call).catch((err: unknown) => this.opts.log?.error({ err }, 'inbound call failed')));
  }

  /** The telephony port of an account's engine. */
  port(accountId: number): TelephonyPort {
    let p = this.ports.get(accountId);
    if (!p) {
      p = { command: (cmd) => this.command(accountId, cmd) };
      this.ports.set(accountId, p);
    }
    return p;
  }

  /**
   * Where commands go for calls and operators without SIP legs: a live simulation's port
   * (its own calls, its simulated operators, who answer SIP callers with a voice prompt).
   */
  setFallback(accountId: number, port: TelephonyPort | undefined): void {
    if (port) this.fallbacks.set(accountId, port);
    else this.fallbacks.delete(accountId);
  }

  /** A DTMF key heard by the media plane on a leg. */
  dtmf(mediaLeg: string, digit: string): void {
    const st = this.byMedia.get(mediaLeg);
    if (st && mediaLeg === st.aMedia) this.digit(st, digit);
  }

  /** The media legs of a call with SIP legs (diagnostics, stats, tests). */
  mediaLegs(accountId: number, idCall: number): { caller?: string; operators: Record<number, string>; far?: string } | undefined {
    const st = this.calls.get(this.callKey(accountId, idCall));
    if (!st) return undefined;
    return {
      ...(st.aMedia ? { caller: st.aMedia } : {}),
      operators: Object.fromEntries([...st.ops].map(([id, leg]) => [id, leg.media])),
      ...(st.far ? { far: st.far.media } : {}),
    };
  }

  /** The operator's answered leg on a call of ours (what a supervisor may listen to). */
  private operatorLeg(accountId: number, operatorId: number): { call: CallState; media: string } | undefined {
    for (const st of this.calls.values()) {
      const leg = st.accountId === accountId && !st.ended ? st.ops.get(operatorId) : undefined;
      if (leg?.answered && !leg.dropped) return { call: st, media: leg.media };
    }
    return undefined;
  }

  /** Calls with SIP legs now. */
  get size(): number {
    return this.calls.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const st of [...this.calls.values()]) this.teardown(st);
    await Promise.allSettled([...this.calls.values()].map((s) => s.chain));
  }

  // ---- Inbound ---------------------------------------------------------------------

  private async inbound(inc: IncomingCall): Promise<void> {
    if (this.closed) return inc.reject(503, 'Service Unavailable');
    const service = inc.to.replace(/^\+/, '');
    const accountId = /^[0-9]{1,32}$/.test(service) ? await this.opts.accountForService(service) : undefined;
    if (accountId === undefined) return inc.reject(404, 'Not Found');
    const key = `k${++this.seq}`;
    const st: CallState = {
      accountId, idCall: 0, key, caller: callerDigits(inc.from), inbound: inc, aMedia: `${key}.a`,
      accepted: false, early: false, callerGone: false, ended: false, collecting: false,
      ops: new Map(), consultSeq: 0, recordWanted: false, recording: false, chain: Promise.resolve(),
    };
    // The caller may give up while we set the call up: remember it, act once bound.
    const gone = () => {
      if (st.callerGone) return;
      st.callerGone = true;
      if (st.idCall !== 0 && !st.ended) void this.input(st, (e) => e.callHangup(st.idCall));
    };
    inc.on('cancel', gone);
    inc.on('bye', gone);
    inc.on('end', gone);
    inc.on('dtmf', (digit: string) => this.digit(st, digit));
    inc.on('reinvite', (sdp: string, reply: (sdp: string) => void, refuse: (status: number) => void) => this.reoffered(st, st.aMedia!, sdp, reply, refuse));
    try {
      // An INVITE without SDP (late offer): our offer goes in the 200, the answer comes in the ACK.
      st.lateOffer = inc.offer.trim() === '';
      st.aSdp = st.lateOffer ? await this.opts.media.offer(key, st.aMedia!) : await this.opts.media.answer(key, st.aMedia!, inc.offer);
    } catch (err) {
      if (err instanceof MediaError) return inc.reject(err.code === 'MEDIA_NO_CODEC' || err.code === 'MEDIA_BAD_SDP' ? 488 : 503, err.message);
      throw err;
    }
    this.byMedia.set(st.aMedia!, st);
    if (st.callerGone) return this.closeMedia(st.aMedia!);
    const r = await this.opts.run(accountId, (engine) => {
      const res = engine.inboundCall({ service, caller: st.caller });
      // Bound before the commands it produced run (they run from a microtask).
      if (res.ok) this.bind(st, res.id_call);
      return res;
    });
    if (!r || !r.ok) {
      this.byMedia.delete(st.aMedia!);
      this.closeMedia(st.aMedia!);
      if (st.idCall !== 0) this.calls.delete(this.callKey(accountId, st.idCall));
      if (!st.callerGone) inc.reject(r && !r.ok && r.error === 'NUMBER_UNKNOWN' ? 404 : 480, r && !r.ok ? r.error : 'Not Found');
      return;
    }
    if (st.callerGone && !st.ended) void this.input(st, (e) => e.callHangup(st.idCall));
  }

  private bind(st: CallState, idCall: number): void {
    st.idCall = idCall;
    this.calls.set(this.callKey(st.accountId, idCall), st);
  }

  private callKey(accountId: number, idCall: number): string {
    return `${accountId}:${idCall}`;
  }

  private digit(st: CallState, digit: string): void {
    if (!st.collecting || st.ended || st.idCall === 0) return;
    void this.input(st, (e) => e.ivrInput(st.idCall, { dtmf: digit }));
  }

  /** An engine input for a call; a refusal is logged (the network and the engine crossed). */
  private async input(st: CallState, cmd: (e: Engine) => EngineResult<object>): Promise<boolean> {
    try {
      const r = await this.opts.run(st.accountId, cmd);
      if (r && !r.ok) this.opts.log?.info({ call: st.idCall, error: r.error }, 'engine refused a network input');
      return !!r && r.ok;
    } catch (err) {
      this.opts.log?.warn({ err, call: st.idCall }, 'engine input failed');
      return false;
    }
  }

  // ---- Commands --------------------------------------------------------------------

  private command(accountId: number, cmd: TelephonyCommand): void {
    // Never synchronously (the engine is mid-operation), and after `bind`: a new call's
    // first commands come from inside `inboundCall`, before its id is known here.
    queueMicrotask(() => this.dispatch(accountId, cmd));
  }

  private dispatch(accountId: number, cmd: TelephonyCommand): void {
    let st = this.calls.get(this.callKey(accountId, cmd.id_call));
    // A call SIP does not know starts with a leg of ours only when it is an operator's own
    // call (outgoing, callback); a trunk or transfer leg of a call that never came over SIP
    // (a simulated one) is the simulation's.
    const own = cmd.op === 'dial' && (cmd.purpose === 'outgoing' || cmd.purpose === 'callback');
    if (!st && own && !this.closed) st = this.outbound(accountId, cmd.id_call, cmd.e164);
    if (!st) {
      this.fallbacks.get(accountId)?.command(cmd);
      return;
    }
    const s = st;
    s.chain = s.chain.then(() => this.exec(s, cmd)).catch((err: unknown) => this.opts.log?.error({ err, call: s.idCall, op: cmd.op }, 'telephony command failed'));
  }

  /** A call that starts with an outbound leg (an operator's outgoing call or callback). */
  private outbound(accountId: number, idCall: number, e164: string): CallState {
    const key = `k${++this.seq}`;
    const st: CallState = {
      accountId, idCall, key, caller: e164, accepted: true, early: false, callerGone: false, ended: false, collecting: false,
      ops: new Map(), consultSeq: 0, recordWanted: false, recording: false, chain: Promise.resolve(),
    };
    this.calls.set(this.callKey(accountId, idCall), st);
    return st;
  }

  private async exec(st: CallState, cmd: TelephonyCommand): Promise<void> {
    if (st.ended) return;
    if (cmd.op !== 'play' && cmd.op !== 'collect') st.collecting = false;
    const media = this.opts.media;
    switch (cmd.op) {
      case 'answer':
        await this.accept(st);
        return;
      case 'play': {
        if (!st.aMedia) return;
        const file = await this.opts.sound(st.accountId, cmd.sound);
        if (!file) return this.opts.log?.warn({ call: st.idCall, sound: cmd.sound }, 'unknown sound: silence');
        this.early(st);
        await media.play(st.aMedia, file, { loop: cmd.loop });
        return;
      }
      case 'stop_play':
        if (st.aMedia) await media.stopPlay(st.aMedia);
        return;
      case 'collect':
        st.collecting = true;
        return;
      case 'ring':
        await this.ring(st, cmd.id_operator);
        return;
      case 'stop_ring':
      case 'release': {
        const leg = st.ops.get(cmd.id_operator);
        if (leg) {
          st.ops.delete(cmd.id_operator);
          if (st.bridged === leg.media) await this.stopRecording(st);
          if (st.bridged === leg.media) st.bridged = undefined;
          this.drop(leg);
        } else this.fallbacks.get(st.accountId)?.command(cmd);
        return;
      }
      case 'bridge': {
        const leg = st.ops.get(cmd.id_operator);
        // The relay first, then the caller's 200: no first words lost between the two (a
        // late offer needs the ACK's answer before its leg can be bridged).
        if (!leg || st.lateOffer) await this.accept(st);
        if (!leg) {
          // An operator without a phone of ours (simulated): they "answer" with a prompt.
          this.fallbacks.get(st.accountId)?.command(cmd);
          const file = await this.opts.sound(st.accountId, 'default:operator');
          if (file && st.aMedia) await media.play(st.aMedia, file, { loop: true });
          return;
        }
        if (st.aMedia) {
          await media.bridge(st.aMedia, leg.media);
          st.bridged = leg.media;
        }
        await this.accept(st);
        await this.startRecording(st);
        return;
      }
      case 'hold': {
        // The caller hears the music, the operator silence; the relay is undone until `unhold`.
        if (!st.aMedia) return;
        const leg = st.ops.get(cmd.id_operator);
        if (leg && st.bridged === leg.media) {
          await media.unbridge(st.aMedia);
          st.bridged = undefined;
        }
        const file = await this.opts.sound(st.accountId, cmd.sound);
        if (file) await media.play(st.aMedia, file, { loop: true });
        return;
      }
      case 'unhold': {
        if (!st.aMedia) return;
        const leg = st.ops.get(cmd.id_operator);
        if (!leg) {
          // A simulated operator takes the caller back: their voice prompt again.
          const file = await this.opts.sound(st.accountId, 'default:operator');
          if (file) await media.play(st.aMedia, file, { loop: true });
          return;
        }
        await media.stopPlay(st.aMedia);
        await media.bridge(st.aMedia, leg.media);
        st.bridged = leg.media;
        return;
      }
      case 'consult': {
        // The consulted operator answered: the two operators talk; the caller keeps the music.
        const a = st.ops.get(cmd.id_operator);
        const b = st.ops.get(cmd.id_target);
        if (a && b) await media.bridge(a.media, b.media);
        else this.fallbacks.get(st.accountId)?.command(cmd);
        return;
      }
      case 'consult_drop':
        st.consultSeq++;
        if (st.consulted) this.drop(st.consulted);
        st.consulted = undefined;
        return;
      case 'consult_join': {
        // Complete: the consulting operator was released; the caller talks with the number.
        const far = st.consulted;
        st.consulted = undefined;
        if (!far || !st.aMedia) return;
        st.far = far;
        await media.bridge(st.aMedia, far.media);
        st.bridged = far.media;
        await this.startRecording(st);
        return;
      }
      case 'dial':
        if (cmd.purpose === 'consult') {
          void this.dialConsult(st, ++st.consultSeq, cmd.e164, cmd.id_operator).catch((err: unknown) => this.opts.log?.warn({ err, call: st.idCall }, 'consultation dial failed'));
          return;
        }
        // Not awaited: an operator's own call waits for their phone to answer, and the
        // call's next commands (a timeout's hangup) must not wait behind it.
        void this.dial(st, cmd.e164, cmd.purpose, cmd.id_operator).catch((err: unknown) => this.opts.log?.warn({ err, call: st.idCall }, 'dial failed'));
        return;
      case 'record':
        st.recordWanted = cmd.on;
        if (cmd.on) await this.startRecording(st);
        else await this.stopRecording(st);
        return;
      case 'hangup':
        // A simulated operator on the call stops "talking" too.
        this.fallbacks.get(st.accountId)?.command(cmd);
        await this.stopRecording(st);
        this.teardown(st);
        return;
    }
  }

  /** The caller's leg answered (200 OK), once. */
  private async accept(st: CallState): Promise<void> {
    if (st.accepted || !st.inbound || st.callerGone) return;
    st.accepted = true;
    try {
      const ackBody = await st.inbound.accept(st.aSdp!);
      if (st.lateOffer) await this.opts.media.answered(st.aMedia!, ackBody);
    } catch (err) {
      this.opts.log?.warn({ err, call: st.idCall }, st.lateOffer ? 'the caller answered our offer with no usable SDP' : 'caller never acknowledged the answer');
      if (!st.callerGone) {
        st.callerGone = true;
        if (st.lateOffer) st.inbound.hangup();
        void this.input(st, (e) => e.callHangup(st.idCall));
      }
    }
  }

  /** Early media (183) before the caller's leg is answered, once (not with a late offer: that needs PRACK). */
  private early(st: CallState): void {
    if (st.accepted || st.early || st.lateOffer || !st.inbound || st.callerGone) return;
    st.early = true;
    st.inbound.progress(st.aSdp!);
  }

  private target(contact: OperatorContact | undefined): string | undefined {
    const reg = contact?.sipUser ? this.opts.sip.registration(contact.sipUser) : undefined;
    if (reg) return reg.contact;
    if (contact?.e164 && this.opts.gateway) return this.gatewayUri(contact.e164);
    return undefined;
  }

  private gatewayUri(e164: string): string {
    return `sip:${e164}@${this.gatewayHost}`;
  }

  private async ring(st: CallState, operatorId: number): Promise<void> {
    const contact = await this.opts.operatorContact(st.accountId, operatorId);
    const target = this.target(contact);
    if (!target) {
      // No phone of ours: a simulated operator, else nobody to ring.
      const fallback = this.fallbacks.get(st.accountId);
      if (fallback) fallback.command({ op: 'ring', id_call: st.idCall, id_operator: operatorId });
      else void this.input(st, (e) => e.ringFailed(st.idCall, operatorId, 'unreachable'));
      return;
    }
    const leg = await this.place(st, `${st.key}.op${operatorId}`, target, st.caller, operatorId);
    if (!leg) return void this.input(st, (e) => e.ringFailed(st.idCall, operatorId, 'unreachable'));
    st.ops.set(operatorId, leg);
    leg.out.on('answered', (sdp: string) => {
      if (leg.dropped) return;
      void (async () => {
        await this.opts.media.answered(leg.media, sdp);
        leg.answered = true;
        // Another phone may have answered first (ring-all): then this one is hung up.
        if (!(await this.input(st, (e) => e.operatorAnswer(operatorId)))) this.dropOp(st, operatorId, leg);
      })().catch((err: unknown) => this.opts.log?.warn({ err, call: st.idCall }, 'operator answer failed'));
    });
    leg.out.on('failed', (status: number) => {
      if (leg.dropped) return;
      this.dropOp(st, operatorId, leg);
      void this.input(st, (e) => e.ringFailed(st.idCall, operatorId, RING_FAILURE[status] ?? 'unreachable'));
    });
    leg.out.on('bye', () => {
      if (leg.dropped) return;
      this.dropOp(st, operatorId, leg);
      void this.input(st, (e) => e.operatorHangup(operatorId));
    });
  }

  private dropOp(st: CallState, operatorId: number, leg: OutLeg): void {
    if (st.ops.get(operatorId) === leg) st.ops.delete(operatorId);
    this.drop(leg);
  }

  /**
   * An outbound dialog with its media leg; undefined when the media side has no room, or
   * the leg goes to a gateway that is down (it fails at once instead of timing out).
   */
  private async place(st: CallState, mediaLeg: string, target: string, from: string, operatorId?: number): Promise<OutLeg | undefined> {
    const toGateway = this.gatewayHost !== undefined && target.endsWith(`@${this.gatewayHost}`);
    if (toGateway && this.opts.gatewayDown?.()) return undefined;
    let sdp: string;
    try {
      // A phone registered over WebSocket is a browser: its leg is WebRTC.
      sdp = await this.opts.media.offer(st.key, mediaLeg, /;transport=wss?(?:;|$)/i.test(target) ? { webrtc: true } : undefined);
    } catch (err) {
      this.opts.log?.warn({ err, call: st.idCall }, 'no media for an outbound leg');
      return undefined;
    }
    if (st.ended) {
      // The call ended while the media side was asked (a dial runs beside the call's commands).
      this.closeMedia(mediaLeg);
      return undefined;
    }
    this.byMedia.set(mediaLeg, st);
    const out = this.opts.sip.invite({ target, from, sdp, ...(toGateway && this.opts.gatewayAuth ? { auth: this.opts.gatewayAuth } : {}) });
    const leg: OutLeg = { out, media: mediaLeg, answered: false, dropped: false };
    out.on('reinvite', (offer: string, reply: (sdp: string) => void, refuse: (status: number) => void) => this.reoffered(st, mediaLeg, offer, reply, refuse, operatorId === undefined ? undefined : { operatorId, leg }));
    out.on('end', () => {
      this.byMedia.delete(mediaLeg);
      this.closeMedia(mediaLeg);
    });
    return leg;
  }

  /**
   * A re-INVITE from a leg's far end (hold, resume, a new address): the media side answers it,
   * or it is refused and the session stays as it was. An operator's phone that holds (offers
   * no audio to itself: sendonly, inactive, a zero address) holds the call as the toolbar's
   * button does, the caller hearing the music; its resume takes the caller back. Only a change
   * of the phone's own hold state acts: a session refresh repeating it does nothing.
   */
  private reoffered(st: CallState, mediaLeg: string, offer: string, reply: (sdp: string) => void, refuse: (status: number) => void, phone?: { operatorId: number; leg: OutLeg }): void {
    this.opts.media.reoffer(mediaLeg, offer).then(
      (answer) => {
        reply(answer);
        if (!phone || st.ended || phone.leg.dropped) return;
        const held = offersNoAudio(offer);
        if (held === !!phone.leg.phoneHeld) return;
        phone.leg.phoneHeld = held;
        const { operatorId } = phone;
        void this.input(st, (e) => (held ? e.operatorHold(operatorId) : e.operatorUnhold(operatorId)));
      },
      (err: unknown) => {
        this.opts.log?.warn({ err, call: st.idCall }, 're-INVITE refused');
        refuse(err instanceof MediaError && (err.code === 'MEDIA_NO_CODEC' || err.code === 'MEDIA_BAD_SDP') ? 488 : 500);
      },
    );
  }

  /** Frees a media leg; a media side that fails to (a timed-out NG request) is logged, never thrown. */
  private closeMedia(leg: string): void {
    this.opts.media.close(leg).catch((err: unknown) => this.opts.log?.warn({ err, leg }, 'media leg not closed'));
  }

  private drop(leg: ListenLeg): void {
    if (leg.dropped) return;
    leg.dropped = true;
    leg.out.hangup();
    this.byMedia.delete(leg.media);
    this.closeMedia(leg.media);
    // A supervisor listening to this leg (an operator's) goes with it.
    this.listening.endTarget(leg.media);
  }

  private async dial(st: CallState, e164: string, purpose: DialPurpose, operatorId: number | null): Promise<void> {
    const own = (purpose === 'outgoing' || purpose === 'callback') && operatorId !== null;
    if (!this.opts.gateway) {
      // A simulated operator's own call is the simulation's all the same (the demo's callbacks).
      if (own) {
        const phone = this.target(await this.opts.operatorContact(st.accountId, operatorId));
        if (st.ended) return;
        if (!phone && this.simulated(st, operatorId, purpose)) return;
      }
      this.opts.log?.warn({ call: st.idCall, purpose }, 'no --sip-gateway: an external number cannot be dialled');
      void this.input(st, (e) => e.callHangup(st.idCall));
      return;
    }
    // An operator's own call: their phone first, the number once they pick up.
    if (own) {
      const ok = await this.operatorFirst(st, operatorId, purpose);
      if (!ok) return;
    }
    if (st.ended) return;
    const from = await this.presented(st, operatorId);
    if (st.ended) return;
    const far = await this.place(st, `${st.key}.far`, this.gatewayUri(e164), from);
    if (!far) {
      if (!st.ended) void this.input(st, (e) => e.callHangup(st.idCall));
      return;
    }
    st.far = far;
    far.out.on('answered', (sdp: string) => {
      if (far.dropped) return;
      void (async () => {
        await this.opts.media.answered(far.media, sdp);
        far.answered = true;
        const other = st.aMedia ?? [...st.ops.values()][0]?.media;
        if (purpose !== 'transfer') await this.input(st, (e) => e.callAnswer(st.idCall));
        if (st.ended || !other) return;
        await this.accept(st);
        await this.opts.media.bridge(other, far.media);
        st.bridged = far.media;
        await this.startRecording(st);
      })().catch((err: unknown) => this.opts.log?.warn({ err, call: st.idCall }, 'far answer failed'));
    });
    const gone = () => {
      if (far.dropped) return;
      this.drop(far);
      void this.input(st, (e) => e.callHangup(st.idCall));
    };
    far.out.on('failed', gone);
    far.out.on('bye', gone);
  }

  /**
   * The From of a leg to an external number: a caller's call shows the caller (a trunk, a
   * transfer, a consultation); the account's own call shows its presentation (the operator's
   * `caller_id`, the account's, its first service number; "0": anonymous).
   */
  private async presented(st: CallState, operatorId: number | null): Promise<string> {
    if (st.inbound) return st.caller;
    return (operatorId !== null ? (await this.opts.operatorContact(st.accountId, operatorId))?.callerId : undefined) ?? '0';
  }

  /**
   * An external number consulted: dialled through the gateway while the caller hears the
   * music; once it answers it talks with the consulting operator's leg (`consultAnswer`). Its
   * failure or hang-up is `consultHangup` — or `callHangup` once joined to the caller.
   */
  private async dialConsult(st: CallState, seq: number, e164: string, operatorId: number | null): Promise<void> {
    const leave = () => void this.input(st, (e) => e.consultHangup(st.idCall));
    if (!this.opts.gateway) {
      this.opts.log?.warn({ call: st.idCall }, 'no --sip-gateway: an external number cannot be consulted');
      return leave();
    }
    const from = await this.presented(st, operatorId);
    if (st.ended) return;
    const leg = await this.place(st, `${st.key}.consult`, this.gatewayUri(e164), from);
    if (st.ended) return;
    if (!leg) return seq === st.consultSeq ? leave() : undefined;
    // Dropped (cancel, timeout) while the media side was asked.
    if (seq !== st.consultSeq) return this.drop(leg);
    st.consulted = leg;
    leg.out.on('answered', (sdp: string) => {
      if (leg.dropped) return;
      void (async () => {
        await this.opts.media.answered(leg.media, sdp);
        leg.answered = true;
        // Cancelled meanwhile (a timeout, the operator): the engine refuses, the leg goes.
        if (!(await this.input(st, (e) => e.consultAnswer(st.idCall)))) {
          if (st.consulted === leg) st.consulted = undefined;
          return this.drop(leg);
        }
        const op = operatorId === null ? undefined : st.ops.get(operatorId);
        if (op && !leg.dropped) await this.opts.media.bridge(op.media, leg.media);
      })().catch((err: unknown) => this.opts.log?.warn({ err, call: st.idCall }, 'consulted number answer failed'));
    });
    const gone = () => {
      if (leg.dropped) return;
      this.drop(leg);
      if (st.far === leg) return void this.input(st, (e) => e.callHangup(st.idCall));
      if (st.consulted === leg) st.consulted = undefined;
      leave();
    };
    leg.out.on('failed', gone);
    leg.out.on('bye', gone);
  }

  /**
   * Hands an operator's own call, whose operator has no phone of ours, to the live
   * simulation (their simulated phone and the far party are its); false without one.
   */
  private simulated(st: CallState, operatorId: number, purpose: DialPurpose): boolean {
    const fallback = this.fallbacks.get(st.accountId);
    if (!fallback) return false;
    st.ended = true;
    this.calls.delete(this.callKey(st.accountId, st.idCall));
    fallback.command({ op: 'dial', id_call: st.idCall, e164: st.caller, purpose, id_operator: operatorId });
    return true;
  }

  /** Rings the operator's phone for their own call; true once they answered. */
  private async operatorFirst(st: CallState, operatorId: number, purpose: DialPurpose): Promise<boolean> {
    const target = this.target(await this.opts.operatorContact(st.accountId, operatorId));
    if (!target) {
      // No phone of ours: a simulated operator's call is the simulation's, else it fails.
      if (!this.simulated(st, operatorId, purpose)) void this.input(st, (e) => e.callHangup(st.idCall));
      return false;
    }
    const leg = await this.place(st, `${st.key}.op${operatorId}`, target, st.caller, operatorId);
    if (!leg) {
      if (!st.ended) void this.input(st, (e) => e.callHangup(st.idCall));
      return false;
    }
    st.ops.set(operatorId, leg);
    return new Promise<boolean>((resolve) => {
      // Hung up by us (the call ended: timeout, cancel) before it answered.
      leg.out.on('end', () => resolve(false));
      leg.out.on('answered', (sdp: string) => {
        void this.opts.media.answered(leg.media, sdp).then(() => {
          leg.answered = true;
          resolve(!st.ended);
        }, () => resolve(false));
      });
      const fail = () => {
        if (leg.dropped) return resolve(false);
        this.dropOp(st, operatorId, leg);
        void this.input(st, (e) => e.operatorHangup(operatorId));
        resolve(false);
      };
      leg.out.on('failed', fail);
      leg.out.on('bye', fail);
    });
  }

  private async startRecording(st: CallState): Promise<void> {
    const rec = this.opts.recordings;
    if (!rec || !st.recordWanted || st.recording || !st.bridged) return;
    const legs = st.aMedia ? [st.aMedia, st.bridged] : [...st.ops.values()].map((l) => l.media).concat(st.bridged);
    st.recording = true;
    await this.opts.media.startRecording(st.key, legs, rec.path(st.accountId, st.idCall));
  }

  private async stopRecording(st: CallState): Promise<void> {
    if (!st.recording) return;
    st.recording = false;
    const r = await this.opts.media.stopRecording(st.key);
    if (r && this.opts.recordings) await this.opts.recordings.done(st.accountId, st.idCall, r.file, r.durationMs, r.bytes);
  }

  /** Hangs up every leg of a call and forgets it. */
  private teardown(st: CallState): void {
    if (st.ended) return;
    st.ended = true;
    this.listening.endCall(st);
    for (const leg of st.ops.values()) this.drop(leg);
    st.ops.clear();
    if (st.far) this.drop(st.far);
    if (st.consulted) this.drop(st.consulted);
    if (st.inbound && !st.callerGone) {
      st.callerGone = true;
      if (st.accepted) st.inbound.hangup();
      else st.inbound.reject(480, 'Temporarily Unavailable');
    }
    if (st.aMedia) {
      this.byMedia.delete(st.aMedia);
      this.closeMedia(st.aMedia);
    }
    this.calls.delete(this.callKey(st.accountId, st.idCall));
  }
}
