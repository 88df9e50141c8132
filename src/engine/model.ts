// The engine's runtime objects: calls, operators, group queues and pushes, and the shared
// context every flow module works on. Plain mutable classes: the hot path allocates little.
import type { Route } from '../directory/routing-schema.ts';
import type { Notification } from '../protocol/index.ts';
import type { CallbackConfig, GroupConfig, IvrConfig, NumberConfig, RoutingModel, TrunkConfig } from './config.ts';
import type { Scheduler, TimerHandle } from './scheduler.ts';
import type { IdSource } from './ids.ts';
import type { TelephonyPort } from './telephony.ts';

/** Receives every notification the engine produces, with the time it happened (ms). */
export type NotificationSink = (n: Notification, at: number) => void;

/** A FIFO that can also put an item back at its head. */
export class Deque<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }
  push(item: T): void {
    this.items.push(item);
  }
  unshift(item: T): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
  }
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    // Compact once the dead prefix dominates, keeping shift O(1) amortised.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
  /** Keeps only the items that pass `keep` (drops stale lazy entries). */
  retain(keep: (item: T) => boolean): void {
    this.items = this.items.slice(this.head).filter((x) => keep(x as T));
    this.head = 0;
  }
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i] as T;
  }
}

export type OperatorState = 'logged_out' | 'available' | 'paused' | 'ringing' | 'connected' | 'calling' | 'wrapup' | 'reserved';
export const OPERATOR_STATES: readonly OperatorState[] = [
  'logged_out', 'available', 'paused', 'ringing', 'connected', 'calling', 'wrapup', 'reserved',
];

export type CallPhase =
  | 'ivr' // in an IVR menu
  | 'queued' // waiting in a group queue
  | 'ringing' // ringing one operator (or several: ring-all)
  | 'connected' // talking with an operator
  | 'far_ringing' // ringing an external party: trunk destination or outgoing call
  | 'far_connected' // talking with an external party through a trunk
  | 'external' // transferred to an external number outside any trunk
  | 'ended';

/** One queue or trunk passage of a call, opened by insert_call and closed by delete_call. */
export interface Leg {
  kind: 'queue' | 'trunk' | 'direct';
  /** Group id, trunk id, or 0 for a direct (operator-to-operator) leg. */
  id: number;
  insertedAt: number;
  /** When an operator or the trunk's destination answered; -1 until then. */
  connectedAt: number;
}

export class Call {
  phase: CallPhase = 'ivr';
  step = 0;
  typeDest: 'GROUPE' | 'TRUNK' | 'NO' = 'NO';
  leg: Leg | null = null;
  group: GroupRt | null = null;
  trunk: TrunkConfig | null = null;
  /** The operator ringing (single strategies) or connected. */
  operator: OperatorRt | null = null;
  /** Operators rung at once by ring-all. */
  ringing: OperatorRt[] | null = null;
  /** Bumped whenever the call leaves a waiting queue, invalidating stale entries. */
  token = 0;
  ringTimer: TimerHandle | null = null;
  waitTimer: TimerHandle | null = null;
  alertTimer: TimerHandle | null = null;
  ivrTimer: TimerHandle | null = null;
  ivr: IvrConfig | null = null;
  ivrAttempts = 0;
  /** What the caller chose in the last IVR menu they left by a choice: the DTMF key, or the speech recognised. */
  ivrChoice: { input: string; label: string | undefined } | null = null;
  push: Push | null = null;
  /** The group of the last queue leg: catchup of the operator, requeue target. */
  lastGroup: GroupRt | null = null;
  rank = 0;
  /** max_wait passed while the call was ringing: overflow when the ring ends. */
  overflowDue = false;
  /** num/answer was sent (a message was played). */
  answered = false;
  /** Someone (operator or called party) answered at least once. */
  talked = false;
  /** `record` on was sent (a `hangup` stops it). */
  recording = false;
  /** The operator put the caller on hold (UI/hold … UI/unhold). */
  held = false;
  /**
   * The operator consults another one while the caller is on hold (UI/consult …
   * UI/consult_end): who, whether they answered, and their ring timer.
   */
  consult: Consult | null = null;

  constructor(
    readonly id: number,
    readonly inbound: boolean,
    /** Caller number (inbound) or called number (outgoing). */
    readonly caller: string,
    readonly number: NumberConfig | null,
    readonly startedAt: number,
    public rec: 0 | 1,
  ) {}
}

export interface Consult {
  /** The consulted operator: ringing for the call, then connected to the consulting one; null for a number. */
  readonly op: OperatorRt | null;
  /** The external number consulted (a `dial` of purpose `consult`), or null for an operator. */
  readonly e164: string | null;
  answered: boolean;
  timer: TimerHandle | null;
}

/** Who a consultation is with, for messages and `UI/consult`'s supp: `operator:<id>` or `number:<e164>`. */
export function consultee(c: Consult): string {
  return c.op ? `operator:${c.op.id}` : `number:${c.e164}`;
}

export interface QueueEntry {
  call: Call;
  token: number;
}

export class OperatorRt {
  state: OperatorState = 'logged_out';
  since: number;
  pauseId = 0;
  call: Call | null = null;
  groups: GroupRt[] = [];
  /** Bumped whenever the operator becomes available, invalidating stale idle entries. */
  epoch = 0;
  timer: TimerHandle | null = null;
  push: Push | null = null;
  /** The call whose wrap-up the operator is in (a disposition may still be given), else null. */
  wrapCall: number | null = null;
  /** Ends a pause with a `max_duration`. */
  pauseTimer: TimerHandle | null = null;
  /** Groups a supervisor suspended the operator in: no call of theirs is offered meanwhile. */
  readonly suspended = new Set<number>();
  /**
   * Removed from the account by a re-import while busy: takes no new work, and is logged
   * out and forgotten as soon as it would become available (src/engine/reconfigure.ts).
   */
  removed = false;
  /** Milliseconds spent in each state, closed at each state change. */
  readonly stateMs: Record<OperatorState, number> = {
    logged_out: 0, available: 0, paused: 0, ringing: 0, connected: 0, calling: 0, wrapup: 0, reserved: 0,
  };

  constructor(
    readonly id: number,
    /** Renamed by a re-import. */
    public name: string,
    now: number,
  ) {
    this.since = now;
  }
}

export class GroupRt {
  readonly members: OperatorRt[] = [];
  /** Available operators, longest idle first (lazy: entries with a stale epoch are skipped). */
  readonly idle = new Deque<{ op: OperatorRt; epoch: number }>();
  readonly waiting = new Deque<QueueEntry>();
  waitingCount = 0;
  availableCount = 0;
  rrIndex = -1;
  alertOpUntil = 0;
  alertOpTimer: TimerHandle | null = null;

  /** Replaced by a re-import (src/engine/reconfigure.ts). */
  constructor(public cfg: GroupConfig) {}
}

export type PushState = 'pending' | 'assigned' | 'dialing' | 'waiting_retry' | 'done';

export class Push {
  state: PushState = 'pending';
  operator: OperatorRt | null = null;
  call: Call | null = null;
  timer: TimerHandle | null = null;
  expireTimer: TimerHandle | null = null;
  /** Operators that refused or let it lapse: tried last. */
  readonly declinedBy = new Set<number>();

  constructor(
    readonly id: number,
    readonly e164: string,
    readonly priority: number,
    readonly type: 'AUTO' | 'MANUAL',
    public retries: number,
    readonly expireAt: number,
    readonly vars: Record<string, unknown>,
    readonly group: GroupRt | null,
    readonly cfg: CallbackConfig,
  ) {}
}

/** The `typeDest` a route gives a call (num events). */
export function destType(route: Route): 'GROUPE' | 'TRUNK' | 'NO' {
  return route.type === 'group' ? 'GROUPE' : route.type === 'trunk' ? 'TRUNK' : 'NO';
}

/** The first call really waiting in a group's queue (stale lazy entries are dropped on the way). */
export function validHead(g: GroupRt): QueueEntry | undefined {
  for (;;) {
    const e = g.waiting.peek();
    if (e === undefined) return undefined;
    if (e.token === e.call.token && e.call.phase === 'queued') return e;
    g.waiting.shift();
  }
}

/**
 * The flow's entry points that lower modules call back into: a ring timeout re-routes a
 * call, an outgoing call's timer ends it, an operator freed by a push takes the next one.
 * The engine sets them (src/engine/engine.ts), so module imports point one way:
 * engine → transfer → calls → ivr, callback → dispatch → alerts → emit, model.
 */
export interface FlowHooks {
  /** Sends a call where a route says (src/engine/calls.ts). */
  routeCall(call: Call, route: Route): void;
  /** Ends a call in any phase (src/engine/calls.ts). */
  endCall(call: Call): void;
  /** Gives an available operator a pending callback push, if one is theirs (src/engine/callback.ts). */
  assignPendingPush(op: OperatorRt): boolean;
}

/** The state every flow module reads and changes. */
export interface EngineContext {
  readonly accountId: number;
  /** Replaced by a re-import (src/engine/reconfigure.ts). */
  model: RoutingModel;
  readonly sched: Scheduler;
  readonly srv: number;
  emit(n: Notification): void;
  readonly calls: Map<number, Call>;
  readonly operators: Map<number, OperatorRt>;
  readonly groups: Map<number, GroupRt>;
  readonly pushes: Map<number, Push>;
  /** Pushes waiting for an operator, in request order. */
  readonly pendingPushes: Push[];
  /** Groups a re-import removed that still hold calls or callbacks (src/engine/reconfigure.ts). */
  readonly retiredGroups: Map<number, GroupRt>;
  /** Every id the engine hands out (calls, outgoing calls, pushes, ASR results). */
  readonly ids: IdSource;
  /** Carries out what the engine asks of the phone network (src/engine/telephony.ts). */
  readonly telephony: TelephonyPort;
  readonly flow: FlowHooks;
}
