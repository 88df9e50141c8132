// The history's records: one per call, one per operator state interval.

export type CallStatus = 'ANSWER' | 'NOANSWER' | 'ABORT' | 'CANCEL';

/** One passage of a call through a group queue, a trunk, or a direct (outgoing) leg. */
export interface Leg {
  kind: 'queue' | 'trunk' | 'direct';
  /** Group id, trunk id, or 0. */
  id: number;
  insertedAt: number;
  connectedAt?: number;
  leftAt?: number;
  operatorId?: number;
  /** Seconds of wrap-up of the operator who answered this leg, once it is over. */
  wrapup?: number;
}

export interface CallRecord {
  accountId: number;
  /** Negative for outgoing calls. */
  idCall: number;
  direction: 'in' | 'out';
  start: number;
  end: number;
  status: CallStatus;
  service: string;
  caller: string;
  called: string;
  firstGroupId: number | null;
  groupId: number | null;
  trunkId: number | null;
  operatorId: number | null;
  /** Seconds. ivr: before the first queue; wait: in queues; ring: the answering operator's ringing. */
  durations: { total: number; ivr: number; wait: number; ring: number; comm: number; hold: number; wrapup: number };
  legs: Leg[];
  /** The disposition the operator tagged the call with (UI/disposition), if any. */
  disposition?: number;
}

/** A disposition given to a call whose record was already completed (during its wrap-up). */
export interface DispositionPatch {
  idCall: number;
  disposition: number;
}

export type IntervalType = 'login' | 'break' | 'call_in' | 'call_out' | 'catchup';

export interface StateInterval {
  accountId: number;
  operatorId: number;
  type: IntervalType;
  start: number;
  /** Seconds. */
  duration: number;
  idCall: number;
  /** Pause id for breaks, else ''. */
  infos: string;
}
