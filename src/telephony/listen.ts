// A supervisor listening to an operator's call (listen, whisper, barge: see ListenMode).
//
// The supervisor's browser gets a leg the way an operator's softphone does: it registers over
// SIP over WebSocket and we call it. Supervisors have no SIP device of their own, so each
// listening gets a one-time SIP identity (`listen-<random>`, a random password, valid until
// the leg ends or LISTEN_REGISTER_MS without a REGISTER): the HTTP route that starts it is
// where the supervisor's token is checked, and the identity opens nothing but this one leg.
// Once it registers, the B2BUA calls it (a WebRTC leg for a browser, plain RTP for a desk phone
// or sipp) and, answered, the media plane joins it to the operator's leg. It ends when the
// supervisor hangs up or stops, when the operator leaves the call, or when the call ends.
import { createHash, randomBytes } from 'node:crypto';
import type { ListenMode, MediaPlane } from '../media/plane.ts';
import type { OutgoingCall, SipEndpoint } from '../sip/index.ts';
import { SIP_REALM } from '../directory/schema.ts';

/** How long a listening waits for its phone to register. */
export const LISTEN_REGISTER_MS = 60_000;

/** The leg a listener is called on, as the B2BUA places it. */
export interface ListenLeg {
  out: OutgoingCall;
  media: string;
  dropped: boolean;
}

/** What the B2BUA gives the listening of one of its calls. */
export interface ListenHost<C> {
  sip: SipEndpoint;
  media: MediaPlane;
  /** The operator's answered leg on a call, and that call. */
  find(accountId: number, operatorId: number): { call: C; media: string } | undefined;
  /** Places a leg in the call (its media leg named `mediaLeg`), undefined when it cannot. */
  place(call: C, mediaLeg: string, target: string, from: string): Promise<ListenLeg | undefined>;
  drop(leg: ListenLeg): void;
  log?: { info(o: object, m?: string): void; warn(o: object, m?: string): void };
}

/** The one-time SIP identity a listener registers with (what the route hands the supervisor). */
export interface ListenIdentity {
  username: string;
  password: string;
  realm: string;
  /** MD5(username:realm:password), for JsSIP's `ha1`. */
  ha1: string;
}

interface Listening<C> {
  key: string;
  call: C;
  /** The operator's media leg listened to. */
  target: string;
  mode: ListenMode;
  identity: ListenIdentity;
  leg?: ListenLeg;
  answered: boolean;
  timer?: NodeJS.Timeout;
  ended: boolean;
}

/** One listening at most per operator. */
const key = (accountId: number, operatorId: number) => `${accountId}:${operatorId}`;

export class Listenings<C> {
  private readonly byKey = new Map<string, Listening<C>>();
  private readonly byUser = new Map<string, Listening<C>>();
  private seq = 0;

  constructor(private readonly host: ListenHost<C>) {
    host.sip.onRegistration((username, reg) => {
      const l = this.byUser.get(username);
      if (l && reg && !l.leg && !l.ended) void this.dial(l, reg.contact);
    });
  }

  /** The digest HA1 of a listener's one-time identity (the registrar asks). */
  credentials(username: string): { ha1: string } | undefined {
    const l = this.byUser.get(username);
    return l && !l.ended ? { ha1: l.identity.ha1 } : undefined;
  }

  /** The listen modes the media plane can do. */
  get modes(): readonly ListenMode[] {
    return this.host.media.listenModes;
  }

  /** The mode of the listening of an operator's call, if one runs. */
  mode(accountId: number, operatorId: number): ListenMode | undefined {
    return this.byKey.get(key(accountId, operatorId))?.mode;
  }

  /**
   * A supervisor starts listening to an operator's call: the one-time SIP identity their phone
   * registers with, to be called; or why not: the media plane cannot do `mode`, someone
   * listens already (one listening per operator), the operator is on no call of ours with an
   * answered phone.
   */
  start(accountId: number, operatorId: number, mode: ListenMode): ListenIdentity | 'unsupported' | 'busy' | 'no_call' {
    if (!this.modes.includes(mode)) return 'unsupported';
    if (this.byKey.has(key(accountId, operatorId))) return 'busy';
    const on = this.host.find(accountId, operatorId);
    if (!on) return 'no_call';
    return this.begin(key(accountId, operatorId), on.call, on.media, mode);
  }

  private begin(key: string, call: C, target: string, mode: ListenMode): ListenIdentity {
    const username = `listen-${randomBytes(9).toString('hex')}`;
    const password = randomBytes(18).toString('base64url');
    const identity = { username, password, realm: SIP_REALM, ha1: createHash('md5').update(`${username}:${SIP_REALM}:${password}`).digest('hex') };
    const l: Listening<C> = { key, call, target, mode, identity, answered: false, ended: false };
    l.timer = setTimeout(() => {
      if (!l.leg) this.end(l, 'its phone never registered');
    }, LISTEN_REGISTER_MS);
    l.timer.unref();
    this.byKey.set(key, l);
    this.byUser.set(username, l);
    return identity;
  }

  /** Changes the mode of a running listening; false when none runs. */
  async switch(accountId: number, operatorId: number, mode: ListenMode): Promise<boolean> {
    const l = this.byKey.get(key(accountId, operatorId));
    if (!l) return false;
    l.mode = mode;
    if (l.answered && l.leg) await this.host.media.listen(l.leg.media, l.target, mode);
    return true;
  }

  /** Ends the listening of an operator's call (hangs the listener up); false when none ran. */
  stop(accountId: number, operatorId: number, why = 'stopped'): boolean {
    const l = this.byKey.get(key(accountId, operatorId));
    if (!l) return false;
    this.end(l, why);
    return true;
  }

  /** Ends every listening of a call (it ended). */
  endCall(call: C): void {
    for (const l of [...this.byKey.values()]) if (l.call === call) this.end(l, 'the call ended');
  }

  /** Ends the listening of an operator's leg (they left the call). */
  endTarget(target: string): void {
    for (const l of [...this.byKey.values()]) if (l.target === target) this.end(l, 'the operator left the call');
  }

  private async dial(l: Listening<C>, contact: string): Promise<void> {
    const leg = await this.host.place(l.call, `${l.target}.listen${++this.seq}`, contact, 'listen');
    if (!leg) return this.end(l, 'no leg could be placed');
    if (l.ended) return this.host.drop(leg);
    l.leg = leg;
    clearTimeout(l.timer);
    leg.out.on('answered', (sdp: string) => {
      void (async () => {
        await this.host.media.answered(leg.media, sdp);
        if (l.ended) return;
        await this.host.media.listen(leg.media, l.target, l.mode);
        l.answered = true;
        this.host.log?.info({ listener: l.identity.username, target: l.target, mode: l.mode }, 'listener joined');
      })().catch((err: unknown) => {
        this.host.log?.warn({ err, target: l.target }, 'listener not joined');
        this.end(l, 'its media could not join');
      });
    });
    leg.out.on('failed', () => this.end(l, 'its phone did not answer'));
    leg.out.on('bye', () => this.end(l, 'the listener hung up'));
  }

  private end(l: Listening<C>, why: string): void {
    if (l.ended) return;
    l.ended = true;
    clearTimeout(l.timer);
    if (this.byKey.get(l.key) === l) this.byKey.delete(l.key);
    this.byUser.delete(l.identity.username);
    if (l.leg) this.host.drop(l.leg);
    this.host.log?.info({ listener: l.identity.username, target: l.target, why }, 'listening ended');
  }
}
