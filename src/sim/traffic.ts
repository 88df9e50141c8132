// The simulated world around an engine: callers arriving (Poisson, optional intraday
// profile), choosing in IVRs, losing patience; operators answering, talking, transferring,
// taking pauses, accepting pushes; trunk destinations and called-back visitors answering.
// It is the engine's telephony port (src/engine/telephony.ts) in a simulation: a `ring`
// makes the operator's phone ring (they answer after a delay, or let it ring, or the phone
// is busy), a menu's `collect` lets the caller choose, hold music starts the caller's
// patience, a `bridge` or an answered `dial` starts a conversation, `hangup` forgets the
// call. The operators' toolbar (MANUAL pushes) it follows from the notifications. It acts
// only through the engine's public commands, always from a timer (never inside `command`
// or the sink).
import type { Notification } from '../protocol/index.ts';
import type { Engine } from '../engine/index.ts';
import type { TelephonyCommand, TelephonyPort } from '../engine/telephony.ts';
import type { Random } from './random.ts';
import type { Route } from '../directory/routing-schema.ts';
import type { RoutingModel } from '../engine/config.ts';

export interface TrafficBehaviour {
  /** Mean arrivals per hour (inbound calls plus callback requests). */
  callsPerHour: number;
  /** 24 hourly weights (hour of day, UTC) shaping arrivals; flat when absent. */
  profile?: readonly number[];
  /** Mean talk time, seconds (exponential). */
  ahtSec: number;
  /** Mean patience in the queue, seconds (exponential); null: callers never hang up. */
  patienceSec: number | null;
  /** Operator answer delay, seconds, uniform in [min, max]. @default [0, 0] */
  answerDelaySec?: readonly [number, number];
  /** Pauses per operator-hour (Poisson). @default 0 */
  pausesPerHour?: number;
  /** Mean pause length, seconds (exponential). @default 300 */
  pauseSec?: number;
  /** Share of inbound calls dialled on an IVR number. @default 0 */
  ivrShare?: number;
  /** Share of arrivals that are web-callback requests. @default 0 */
  callbackShare?: number;
  /** Share of conversations the operator ends by a transfer to another group. @default 0 */
  transferShare?: number;
  /** Probability that a trunk destination or a called-back visitor answers. @default 0.85 */
  farAnswerProb?: number;
  /** Probability that an operator's phone refuses a call it rings for (busy or declined: `ringFailed`). @default 0 */
  ringFailProb?: number;
  /** Probability that an operator lets a ringing call ring out (the ring timeout). @default 0 */
  ringNoAnswerProb?: number;
  /**
   * The simulated operators (ids), logged in at start; the others are real people (the
   * demo's own operator) the simulation never logs in, pauses or answers for. Simulated
   * callers then call only the numbers, menu choices and groups some simulated operator
   * serves, and transfers go to those groups only. @default all
   */
  operators?: readonly number[];
}

const DIGITS = 100_000_000;

export class Traffic implements TelephonyPort {
  private stopped = false;
  private arrivalsOn = true;
  private readonly talk = new Map<number, number>();
  /**
   * Inbound calls this traffic placed. A call it did not place (a real SIP caller answered
   * by a simulated operator in the demo) is ended by the operator, not by its caller.
   */
  private readonly own = new Set<number>();
  /** The ring each operator's phone is doing now ("call:n"), so a late answer of an old ring is dropped. */
  private readonly rings = new Map<number, string>();
  private ringSeq = 0;
  /** The latest menu each caller is choosing in (`collect`), so a late choice of an old one is dropped. */
  private readonly menus = new Map<number, number>();
  private menuSeq = 0;
  private readonly rateMax: number;
  private readonly weightMax: number;
  private readonly weights: readonly number[] | null;
  private readonly ivrNumbers: number[] = [];
  private readonly plainNumbers: number[] = [];
  private readonly pauseIds: number[];
  private readonly groupIds: number[];
  private readonly ivrWords = new Map<number, { keyword: string; dtmf: string | null }[]>();
  readonly loggedIn: number[];
  private readonly driven: ReadonlySet<number>;

  constructor(
    private readonly engine: Engine,
    private readonly rng: Random,
    private readonly b: TrafficBehaviour,
    /** Mean profile weight over the simulated window (normalises `profile`). */
    profileMean = 1,
  ) {
    const m = engine.model;
    this.loggedIn = [...(b.operators ?? m.operators.keys())];
    this.driven = new Set(this.loggedIn);
    const served = servedRoutes(m, this.driven);
    for (const n of m.numbers.values()) if (served(n.route)) (n.route.type === 'ivr' ? this.ivrNumbers : this.plainNumbers).push(n.id);
    for (const ivr of m.ivrs.values()) {
      this.ivrWords.set(ivr.id, ivr.options.filter((o) => served(o.route)).map((o) => ({ keyword: o.speech[0] ?? '', dtmf: o.dtmf })));
    }
    this.pauseIds = [...m.pauses.keys()];
    this.groupIds = [...m.groups.keys()].filter((id) => served({ type: 'group', id }));
    this.weights = b.profile ?? null;
    this.weightMax = this.weights ? Math.max(...this.weights) : 1;
    this.rateMax = ((b.callsPerHour / 3600 / 1000) * this.weightMax) / (this.weights ? profileMean : 1);
  }

  /** Logs the operators in and starts arrivals and pauses. */
  start(): void {
    for (const id of this.loggedIn) this.engine.operatorLogin(id);
    if ((this.b.pausesPerHour ?? 0) > 0 && this.pauseIds.length > 0) {
      for (const id of this.loggedIn) this.schedulePause(id);
    }
    this.scheduleArrival();
  }

  /** No new arrivals or pauses; calls in progress go on. */
  stopArrivals(): void {
    this.arrivalsOn = false;
  }

  /** Nothing more is done at all. */
  stop(): void {
    this.stopped = true;
    this.arrivalsOn = false;
  }

  /** Starts `count` arrivals now (live demo: activity from the first second). */
  burst(count: number): void {
    for (let i = 0; i < count; i++) this.arrive();
  }

  private later(delaySec: number, fn: () => void): void {
    this.engine.scheduler.after(delaySec * 1000, () => {
      if (!this.stopped) fn();
    });
  }

  private scheduleArrival(): void {
    if (this.b.callsPerHour <= 0) return;
    const sched = this.engine.scheduler;
    const gap = -Math.log(1 - this.rng.next()) / this.rateMax;
    sched.after(gap, () => {
      if (!this.arrivalsOn || this.stopped) return;
      // Thinning: accept with weight(hour) / max weight.
      if (!this.weights || this.rng.next() * this.weightMax < this.weights[new Date(sched.now()).getUTCHours()]!) this.arrive();
      this.scheduleArrival();
    });
  }

  private caller(): string {
    return String(33_600_000_000 + this.rng.int(0, DIGITS - 1));
  }

  private arrive(): void {
    if (this.rng.chance(this.b.callbackShare ?? 0) && this.engine.model.callback) {
      this.engine.callbackRequest({ e164: this.caller(), vars: { source: 'web' } });
      return;
    }
    const useIvr = this.ivrNumbers.length > 0 && (this.plainNumbers.length === 0 || this.rng.chance(this.b.ivrShare ?? 0));
    const pool = useIvr ? this.ivrNumbers : this.plainNumbers;
    if (pool.length === 0) return;
    const r = this.engine.inboundCall({ numberId: this.rng.pick(pool), caller: this.caller() });
    if (r.ok) this.own.add(r.id_call);
  }

  private schedulePause(opId: number): void {
    this.later(this.rng.exp(3600 / this.b.pausesPerHour!), () => {
      if (!this.arrivalsOn) return;
      if (this.engine.operatorPause(opId, this.rng.pick(this.pauseIds)).ok) {
        this.later(this.rng.exp(this.b.pauseSec ?? 300), () => {
          this.engine.operatorUnpause(opId);
          this.schedulePause(opId);
        });
      } else {
        this.later(30, () => this.schedulePause(opId));
      }
    });
  }

  /** Carries out one command of the engine, as the phone network and the people on it would. */
  command(c: TelephonyCommand): void {
    if (this.stopped) return;
    switch (c.op) {
      case 'ring':
        this.ring(c.id_call, c.id_operator);
        return;
      case 'stop_ring':
      case 'bridge':
        this.rings.delete(c.id_operator);
        if (c.op === 'bridge') this.converse(c.id_call, c.id_operator);
        return;
      case 'collect':
        this.inIvr(c.id_call, c.id_ivr);
        return;
      case 'play':
        // Hold music: the caller waits in a queue. Patience runs from the first queue entry
        // until an operator answers.
        if (c.loop) this.waitInQueue(c.id_call);
        return;
      case 'dial':
        this.dial(c.id_call, c.purpose, c.id_operator);
        return;
      case 'hangup':
        this.talk.delete(c.id_call);
        this.own.delete(c.id_call);
        this.menus.delete(c.id_call);
        return;
      default:
        // answer, stop_play, release, record: nothing for people to react to.
        return;
    }
  }

  /** Reacts to one notification (wire it into the engine's sink): the operators' toolbar. */
  observe(n: Notification): void {
    if (this.stopped) return;
    if (n.type_notification === 'UI' && n.event === 'push' && n.msg.type === 'MANUAL' && n.msg.id_push !== undefined) {
      const { id_operator: op, id_push: push } = n.msg;
      this.later(this.rng.uniform(2, 10), () => {
        if (this.rng.chance(0.9)) this.engine.pushAccept(op, push);
        else this.engine.pushRefuse(op, push);
      });
    }
  }

  /** The operator's phone rings: answered after the answer delay, refused, or left to ring. */
  private ring(callId: number, opId: number): void {
    // A real person's phone rings for real: theirs to answer.
    if (!this.driven.has(opId)) return;
    const ring = `${callId}:${++this.ringSeq}`;
    this.rings.set(opId, ring);
    const fail = this.b.ringFailProb ?? 0;
    const ignore = this.b.ringNoAnswerProb ?? 0;
    const [lo, hi] = this.b.answerDelaySec ?? [0, 0];
    const delay = hi > lo ? this.rng.uniform(lo, hi) : lo;
    if (fail > 0 && this.rng.chance(fail)) {
      this.later(Math.min(delay, 1), () => {
        if (this.rings.get(opId) === ring) this.engine.ringFailed(callId, opId, this.rng.chance(0.7) ? 'busy' : 'declined');
      });
      return;
    }
    if (ignore > 0 && this.rng.chance(ignore)) return;
    this.later(delay, () => {
      if (this.rings.get(opId) === ring) this.engine.operatorAnswer(opId);
    });
  }

  private waitInQueue(callId: number): void {
    if (this.b.patienceSec === null || this.talk.has(callId)) return;
    this.talk.set(callId, 0);
    this.later(this.rng.exp(this.b.patienceSec), () => {
      if (this.talk.get(callId) === 0) this.engine.callHangup(callId);
    });
  }

  /**
   * A leg to an external number: the far party answers with `farAnswerProb` after a few
   * seconds (otherwise the engine's ring timeout ends it); then they talk. A number a call
   * was transferred to is outside the engine: its end is the call's end.
   */
  private dial(callId: number, purpose: string, opId: number | null): void {
    if (!this.rng.chance(this.b.farAnswerProb ?? 0.85)) {
      if (purpose === 'transfer') this.later(this.rng.uniform(15, 30), () => this.engine.callHangup(callId));
      return;
    }
    this.later(this.rng.uniform(3, 15), () => {
      if (purpose === 'transfer') this.converse(callId, 0);
      else if (this.engine.callAnswer(callId).ok) this.converse(callId, opId ?? 0);
    });
  }

  /** A conversation of exponential length; then a hang-up or, sometimes, a transfer. */
  private converse(callId: number, operatorId: number): void {
    const token = (this.talk.get(callId) ?? 0) + 1;
    this.talk.set(callId, token);
    this.later(this.rng.exp(this.b.ahtSec), () => {
      if (this.talk.get(callId) !== token) return;
      if (operatorId > 0 && this.groupIds.length > 1 && this.rng.chance(this.b.transferShare ?? 0)) {
        const r = this.engine.callTransfer(callId, { type: 'group', id: this.rng.pick(this.groupIds) });
        if (r.ok) return;
      }
      this.talk.delete(callId);
      if (operatorId > 0 && callId > 0 && !this.own.has(callId)) this.engine.operatorHangup(operatorId);
      else this.engine.callHangup(callId);
    });
  }

  private inIvr(callId: number, ivrId: number): void {
    const menu = ++this.menuSeq;
    this.menus.set(callId, menu);
    this.later(this.rng.uniform(3, 8), () => {
      if (this.menus.get(callId) !== menu || this.engine.call(callId)?.id_ivr !== ivrId) return;
      const words = this.ivrWords.get(ivrId) ?? [];
      const choice = words.length > 0 ? this.rng.pick(words) : undefined;
      if (!choice) return;
      if (choice.keyword && this.rng.chance(0.7)) {
        this.engine.ivrInput(callId, { speech: `I would like ${choice.keyword} please`, score: this.rng.int(35, 99) });
      } else if (choice.dtmf) {
        this.engine.ivrInput(callId, { dtmf: choice.dtmf });
      }
    });
  }
}

/**
 * Whether simulated callers may take a route: a group some simulated operator works in, a
 * menu with such a choice, anything else (a trunk, a hang-up) always.
 */
function servedRoutes(m: RoutingModel, driven: ReadonlySet<number>): (route: Route) => boolean {
  const staffed = new Set<number>();
  for (const op of m.operators.values()) if (driven.has(op.id)) for (const g of op.groups) staffed.add(g);
  const served = (route: Route, depth: number): boolean => {
    if (route.type === 'group') return route.id !== undefined && staffed.has(route.id);
    if (route.type !== 'ivr') return true;
    const ivr = route.id === undefined ? undefined : m.ivrs.get(route.id);
    // Menus leading to menus: a bound against a loop of them.
    return !!ivr && depth < 8 && ivr.options.some((o) => served(o.route, depth + 1));
  };
  return (route) => served(route, 0);
}
