// The simulated world around an engine: callers arriving (Poisson, optional intraday
// profile), choosing in IVRs, losing patience; operators answering, talking, transferring,
// taking pauses, accepting pushes; trunk destinations and called-back visitors answering.
// It reacts to the engine's notifications as real telephony and people would, and acts
// only through the engine's public commands, always from a timer (never inside the sink).
import type { Notification } from '../protocol/index.ts';
import type { Engine } from '../engine/index.ts';
import type { Random } from './random.ts';

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
  /** Operators to log in at start (ids). @default all */
  operators?: readonly number[];
}

const DIGITS = 100_000_000;

export class Traffic {
  private stopped = false;
  private arrivalsOn = true;
  private readonly talk = new Map<number, number>();
  private readonly rateMax: number;
  private readonly weightMax: number;
  private readonly weights: readonly number[] | null;
  private readonly ivrNumbers: number[] = [];
  private readonly plainNumbers: number[] = [];
  private readonly pauseIds: number[];
  private readonly groupIds: number[];
  private readonly ivrWords = new Map<number, { keyword: string; dtmf: string | null }[]>();
  readonly loggedIn: number[];

  constructor(
    private readonly engine: Engine,
    private readonly rng: Random,
    private readonly b: TrafficBehaviour,
    /** Mean profile weight over the simulated window (normalises `profile`). */
    profileMean = 1,
  ) {
    const m = engine.model;
    for (const n of m.numbers.values()) (n.route.type === 'ivr' ? this.ivrNumbers : this.plainNumbers).push(n.id);
    for (const ivr of m.ivrs.values()) {
      this.ivrWords.set(ivr.id, ivr.options.map((o) => ({ keyword: o.speech[0] ?? '', dtmf: o.dtmf })));
    }
    this.pauseIds = [...m.pauses.keys()];
    this.groupIds = [...m.groups.keys()];
    this.weights = b.profile ?? null;
    this.weightMax = this.weights ? Math.max(...this.weights) : 1;
    this.rateMax = ((b.callsPerHour / 3600 / 1000) * this.weightMax) / (this.weights ? profileMean : 1);
    this.loggedIn = [...(b.operators ?? m.operators.keys())];
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
    this.engine.inboundCall({ numberId: this.rng.pick(pool), caller: this.caller() });
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

  /** Reacts to one notification (wire it into the engine's sink). */
  observe(n: Notification): void {
    if (this.stopped) return;
    switch (n.type_notification) {
      case 'operator': {
        const m = n.msg;
        const callId = m.id_call;
        if (callId === undefined) return;
        if (m.status === 'ringing') {
          const [lo, hi] = this.b.answerDelaySec ?? [0, 0];
          this.later(hi > lo ? this.rng.uniform(lo, hi) : lo, () => this.engine.operatorAnswer(m.id_operator));
        } else if (m.status === 'connected') {
          this.converse(callId, m.id_operator);
        } else if (m.status === 'calling') {
          if (this.rng.chance(this.b.farAnswerProb ?? 0.85)) this.later(this.rng.uniform(3, 15), () => this.engine.callAnswer(callId));
        }
        return;
      }
      case 'num':
        if (n.event === 'answer') this.inIvr(n.msg.id_call);
        else if (n.event === 'end') this.talk.delete(n.msg.id_call);
        return;
      case 'trunk':
        if (n.event === 'insert_call') {
          const id = n.msg.id_call;
          if (this.rng.chance(this.b.farAnswerProb ?? 0.85)) this.later(this.rng.uniform(3, 15), () => this.engine.callAnswer(id));
        } else if (n.event === 'connect_call') {
          this.converse(n.msg.id_call, 0);
        }
        return;
      case 'queue':
        // Patience runs from the first queue entry until an operator answers.
        if (n.event === 'insert_call' && this.b.patienceSec !== null && !this.talk.has(n.msg.id_call)) {
          const id = n.msg.id_call;
          this.talk.set(id, 0);
          this.later(this.rng.exp(this.b.patienceSec), () => {
            if (this.talk.get(id) === 0) this.engine.callHangup(id);
          });
        }
        return;
      case 'UI':
        if (n.event === 'push' && n.msg.type === 'MANUAL' && n.msg.id_push !== undefined) {
          const { id_operator: op, id_push: push } = n.msg;
          this.later(this.rng.uniform(2, 10), () => {
            if (this.rng.chance(0.9)) this.engine.pushAccept(op, push);
            else this.engine.pushRefuse(op, push);
          });
        }
        return;
      default:
        return;
    }
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
      this.engine.callHangup(callId);
    });
  }

  private inIvr(callId: number): void {
    this.later(this.rng.uniform(3, 8), () => {
      const ivrId = this.engine.call(callId)?.id_ivr;
      const words = (ivrId !== undefined && ivrId !== null && this.ivrWords.get(ivrId)) || [];
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
