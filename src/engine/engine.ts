// The engine facade: one per account. Commands from telephony (a PBX or CPaaS), from the
// operator toolbar and from the web-callback link; each checks its rule and returns `ok` or
// a refusal naming it. Notifications go to the injected sink in PROTOCOL §5 order.
import type { AccountDirectory, AccountFile } from '../directory/schema.ts';
import type { Notification } from '../protocol/index.ts';
import { requestCallback, acceptPush, cancelPush, refusePush, releaseReservation, placeOutgoing, type CallbackRequest } from './callback.ts';
import { NO_TELEPHONY, RING_FAILURES, type RingFailure, type TelephonyPort } from './telephony.ts';
import { checkAlertOp } from './alerts.ts';
import { assignPendingPush } from './callback.ts';
import { answerByOperator, endCall, farAnswer, routeCall, startInbound } from './calls.ts';
import { compileRouting, type RoutingModel } from './config.ts';
import { forgetOperator, makeAvailable, ringFailed, setState } from './dispatch.ts';
import { emitUi } from './emit.ts';
import { armPauseLimit, dispose, endWrapup, hold, suspend, unhold } from './desk.ts';
import { fail, OK, type EngineResult } from './errors.ts';
import { ivrInput as applyIvrInput, type IvrInput } from './ivr.ts';
import { GroupRt, OperatorRt, type CallPhase, type EngineContext, type FlowHooks, type NotificationSink, type OperatorState } from './model.ts';
import type { Scheduler } from './scheduler.ts';
import { countingIds, type IdSource } from './ids.ts';
import { applyModel, reconfigure, type ReconfigureSummary } from './reconfigure.ts';
import { E164_RE, isForbidden, transfer, type TransferTarget } from './transfer.ts';
import { answerConsult, cancelConsult, completeConsult, consult, consultedLeaves, isConsulted, numberAnswered, numberLeaves, type ConsultTarget } from './consult.ts';

export interface EngineOptions {
  /** Time source and timers: `VirtualScheduler` in tests and simulations, `RealTimeScheduler` live. */
  scheduler: Scheduler;
  /**
   * Receives every notification with the time it happened (ms). It must not throw, and must
   * not call the engine synchronously (schedule instead): the engine is mid-operation.
   */
  sink: NotificationSink;
  /** Server/node number carried by `num` events. @default 1 */
  srv?: number;
  /**
   * Where ids come from. @default counted from 1 in memory: unique for this engine's life
   * only; the server injects a durable reservation (unique for the data directory's life).
   */
  ids?: IdSource;
  /**
   * Carries out what the engine asks of the phone network: ring, play, bridge, dial, hang
   * up (src/engine/telephony.ts). Same rules as `sink`. @default NO_TELEPHONY (a PBX drives
   * the engine through the call-control API and does all of it itself)
   */
  telephony?: TelephonyPort;
}

/** An operator's current state, for `/vm/operators_init`. */
export interface OperatorSnapshot {
  id_operator: number;
  name: string;
  logged_in: boolean;
  state: OperatorState;
  /** Pause id while paused, else null. */
  pause_id: number | null;
  /** Current call (ringing, connected or calling), else null. */
  id_call: number | null;
  /** Push assigned and not yet dialled, else null. */
  id_push: number | null;
  /** Since when the operator is in `state` (ms since epoch). */
  since: number;
  /** Groups the operator is suspended in. */
  suspended: number[];
  /** Their call is on hold. */
  on_hold: boolean;
}

/** A call in progress. */
export interface CallSnapshot {
  id_call: number;
  inbound: boolean;
  caller_id_num: string;
  /** Service number (inbound), else null. */
  service: string | null;
  phase: CallPhase;
  /** Current group queue, else null. */
  id_queue: number | null;
  id_trunk: number | null;
  /** IVR menu the call is in, else null. */
  id_ivr: number | null;
  /** Operator ringing or connected (first one under ring-all), else null. */
  id_operator: number | null;
  step: number;
  started_at: number;
}

export interface InboundCallRequest {
  /** The called service number (E.164 without +); or `numberId`. */
  service?: string;
  numberId?: number;
  /** The caller's number, digits only. */
  caller: string;
}

export type { CallbackRequest, IvrInput, RingFailure, TransferTarget, ConsultTarget };

const CALLER_RE = /^[0-9]{1,32}$/;

export class Engine {
  readonly accountId: number;
  readonly scheduler: Scheduler;
  private readonly ctx: EngineContext;

  /** @throws RoutingConfigError when the directory's routing references do not resolve. */
  constructor(directory: AccountDirectory | AccountFile, opts: EngineOptions) {
    const model = compileRouting(directory);
    const sched = opts.scheduler;
    const sink = opts.sink;
    this.accountId = model.accountId;
    this.scheduler = sched;
    // The flow's upward entry points, bound to this context (see FlowHooks).
    const flow: FlowHooks = {
      routeCall: (call, route) => routeCall(this.ctx, call, route),
      endCall: (call) => endCall(this.ctx, call),
      assignPendingPush: (op) => assignPendingPush(this.ctx, op),
    };
    this.ctx = {
      accountId: model.accountId,
      model,
      sched,
      srv: opts.srv ?? 1,
      emit: (n: Notification) => sink(n, sched.now()),
      calls: new Map(),
      operators: new Map(),
      groups: new Map(),
      pushes: new Map(),
      pendingPushes: [],
      retiredGroups: new Map(),
      ids: opts.ids ?? countingIds(),
      telephony: opts.telephony ?? NO_TELEPHONY,
      flow,
    };
    // Groups, operators and memberships: as a re-import builds them, from nothing.
    applyModel(this.ctx, model);
  }

  /** The routing model in force; replaced by `applyDirectory`. */
  get model(): RoutingModel {
    return this.ctx.model;
  }

  // ---- Telephony side -------------------------------------------------------------

  /** A new call arrives on a service number. */
  inboundCall(req: InboundCallRequest): EngineResult<{ id_call: number }> {
    const number = req.service !== undefined ? this.model.numbersByService.get(req.service) : this.model.numbers.get(req.numberId ?? -1);
    if (!number) return fail('NUMBER_UNKNOWN', `number ${req.service ?? req.numberId}`);
    if (typeof req.caller !== 'string' || !CALLER_RE.test(req.caller)) return fail('CALLER_INVALID', `caller ${JSON.stringify(req.caller)}`);
    const call = startInbound(this.ctx, number, req.caller);
    return { ok: true, id_call: call.id };
  }

  /** The external party answered: a trunk's destination, or the number an operator calls. */
  callAnswer(callId: number): EngineResult {
    const call = this.ctx.calls.get(callId);
    if (!call) return fail('CALL_UNKNOWN', `call ${callId}`);
    if (call.phase !== 'far_ringing') return fail('CALL_NOT_RINGING', `call ${callId} is ${call.phase}`);
    farAnswer(this.ctx, call);
    return OK;
  }

  /** The caller (or the called party of an outgoing call) hung up, in whatever phase. */
  callHangup(callId: number): EngineResult {
    const call = this.ctx.calls.get(callId);
    if (!call) return fail('CALL_UNKNOWN', `call ${callId}`);
    endCall(this.ctx, call);
    return OK;
  }

  /** The external number consulted on the call answered (the port connected it with the consulting operator). */
  consultAnswer(callId: number): EngineResult {
    const call = this.ctx.calls.get(callId);
    if (!call) return fail('CALL_UNKNOWN', `call ${callId}`);
    return numberAnswered(this.ctx, call);
  }

  /** The external number consulted on the call failed (busy, no answer, unreachable) or hung up. */
  consultHangup(callId: number): EngineResult {
    const call = this.ctx.calls.get(callId);
    if (!call) return fail('CALL_UNKNOWN', `call ${callId}`);
    return numberLeaves(this.ctx, call);
  }

  /** A DTMF key or recognised speech in the IVR menu the call is in. */
  ivrInput(callId: number, input: IvrInput): EngineResult<{ matched: boolean }> {
    const call = this.ctx.calls.get(callId);
    if (!call) return fail('CALL_UNKNOWN', `call ${callId}`);
    return applyIvrInput(this.ctx, call, input);
  }

  /**
   * The operator's phone refused the call it rings for (486 busy, 603 declined, 408 no
   * answer, unreachable): the call goes to the next operator as after a ring timeout (under
   * ring-all only this operator drops out), and this operator is given no call for the
   * group's `ring_retry` seconds.
   */
  ringFailed(callId: number, operatorId: number, reason: RingFailure): EngineResult {
    if (!RING_FAILURES.includes(reason)) return fail('RING_FAILURE_INVALID', `reason ${JSON.stringify(reason)}`);
    const call = this.ctx.calls.get(callId);
    if (!call) return fail('CALL_UNKNOWN', `call ${callId}`);
    const op = this.ctx.operators.get(operatorId);
    if (!op) return fail('OPERATOR_UNKNOWN', `operator ${operatorId}`);
    if (op.state !== 'ringing' || op.call !== call) return fail('OPERATOR_NOT_RINGING_CALL', `operator ${operatorId} is ${op.state}, call ${callId} is ${call.phase}`);
    if (isConsulted(op)) consultedLeaves(this.ctx, op);
    else ringFailed(this.ctx, call, op);
    return OK;
  }

  /** Transfers a call on behalf of the operator it is connected to. */
  callTransfer(callId: number, target: TransferTarget): EngineResult<{ id_call: number }> {
    const call = this.ctx.calls.get(callId);
    if (!call) return fail('CALL_UNKNOWN', `call ${callId}`);
    if (call.phase !== 'connected' || !call.operator) return fail('CALL_NOT_CONNECTED', `call ${callId} is ${call.phase}`);
    return transfer(this.ctx, call.operator, target);
  }

  // ---- Operator toolbar -----------------------------------------------------------

  operatorLogin(operatorId: number): EngineResult {
    const op = this.current(operatorId);
    if (!op) return fail('OPERATOR_UNKNOWN', `operator ${operatorId}`);
    if (op.state !== 'logged_out') return fail('OPERATOR_ALREADY_LOGGED_IN', `operator ${operatorId}`);
    emitUi(this.ctx, op, 'login', '');
    makeAvailable(this.ctx, op);
    return OK;
  }

  operatorLogout(operatorId: number): EngineResult {
    const op = this.ctx.operators.get(operatorId);
    const refused = this.leaveCheck(operatorId, op);
    if (refused || !op) return refused ?? fail('OPERATOR_UNKNOWN');
    this.leaveAvailability(op);
    setState(this.ctx, op, 'logged_out');
    op.pauseId = 0;
    emitUi(this.ctx, op, 'logout', '');
    for (const g of op.groups) checkAlertOp(this.ctx, g);
    if (op.removed) forgetOperator(this.ctx, op);
    return OK;
  }

  operatorPause(operatorId: number, pauseId: number): EngineResult {
    const op = this.current(operatorId);
    if (op && !this.model.pauses.has(pauseId)) return fail('PAUSE_UNKNOWN', `pause ${pauseId}`);
    const refused = this.leaveCheck(operatorId, op);
    if (refused || !op) return refused ?? fail('OPERATOR_UNKNOWN');
    if (op.state === 'paused') return fail('OPERATOR_ALREADY_PAUSED', `operator ${operatorId} is on pause ${op.pauseId}`);
    this.leaveAvailability(op);
    setState(this.ctx, op, 'paused');
    op.pauseId = pauseId;
    emitUi(this.ctx, op, 'pause', pauseId);
    for (const g of op.groups) checkAlertOp(this.ctx, g);
    armPauseLimit(this.ctx, op, () => this.operatorUnpause(operatorId));
    return OK;
  }

  operatorUnpause(operatorId: number): EngineResult {
    const op = this.ctx.operators.get(operatorId);
    if (!op) return fail('OPERATOR_UNKNOWN', `operator ${operatorId}`);
    if (op.state === 'logged_out') return fail('OPERATOR_LOGGED_OUT', `operator ${operatorId}`);
    if (op.state !== 'paused') return fail('OPERATOR_NOT_PAUSED', `operator ${operatorId} is ${op.state}`);
    emitUi(this.ctx, op, 'unpause', op.pauseId);
    op.pauseId = 0;
    makeAvailable(this.ctx, op);
    return OK;
  }

  /**
   * The operator refuses the call their phone rings for (the toolbar's reject): as a phone's
   * 603 Decline — the call goes to the next operator and this one rests `ring_retry`.
   */
  operatorReject(operatorId: number): EngineResult<{ id_call: number }> {
    const op = this.ctx.operators.get(operatorId);
    if (!op) return fail('OPERATOR_UNKNOWN', `operator ${operatorId}`);
    if (op.state !== 'ringing' || !op.call) return fail('OPERATOR_NOT_RINGING', `operator ${operatorId} is ${op.state}`);
    const call = op.call;
    if (isConsulted(op)) consultedLeaves(this.ctx, op);
    else ringFailed(this.ctx, call, op);
    // The phone is told to stop ringing as after any refusal (`stop_ring`).
    return { ok: true, id_call: call.id };
  }

  /** The connected operator puts the caller on hold (music for the caller). */
  operatorHold(operatorId: number): EngineResult<{ id_call: number }> {
    const op = this.ctx.operators.get(operatorId);
    if (!op) return fail('OPERATOR_UNKNOWN', `operator ${operatorId}`);
    return hold(this.ctx, op);
  }

  /** The operator takes the caller back from hold. */
  operatorUnhold(operatorId: number): EngineResult<{ id_call: number }> {
    const op = this.ctx.operators.get(operatorId);
    if (!op) return fail('OPERATOR_UNKNOWN', `operator ${operatorId}`);
    return unhold(this.ctx, op);
  }

  /** The operator ends their wrap-up before its time. */
  operatorEndWrapup(operatorId: number): EngineResult {
    const op = this.ctx.operators.get(operatorId);
    if (!op) return fail('OPERATOR_UNKNOWN', `operator ${operatorId}`);
    return endWrapup(this.ctx, op);
  }

  /** The operator tags their call (on it, or in its wrap-up) with one of the account's dispositions. */
  operatorDisposition(operatorId: number, dispositionId: number): EngineResult<{ id_call: number }> {
    const op = this.ctx.operators.get(operatorId);
    if (!op) return fail('OPERATOR_UNKNOWN', `operator ${operatorId}`);
    return dispose(this.ctx, op, dispositionId);
  }

  /** A supervisor suspends the operator in one group (`on`), or lifts it. */
  operatorSuspend(operatorId: number, groupId: number, on: boolean): EngineResult {
    const op = this.current(operatorId);
    if (!op) return fail('OPERATOR_UNKNOWN', `operator ${operatorId}`);
    return suspend(this.ctx, op, groupId, on);
  }

  /** The ringing operator picks up. */
  operatorAnswer(operatorId: number): EngineResult<{ id_call: number }> {
    const op = this.ctx.operators.get(operatorId);
    if (!op) return fail('OPERATOR_UNKNOWN', `operator ${operatorId}`);
    if (op.state !== 'ringing' || !op.call) return fail('OPERATOR_NOT_RINGING', `operator ${operatorId} is ${op.state}`);
    const id = op.call.id;
    if (isConsulted(op)) answerConsult(this.ctx, op);
    else answerByOperator(this.ctx, op);
    return { ok: true, id_call: id };
  }

  /** The operator hangs up their call (connected, or an outgoing call still ringing). */
  operatorHangup(operatorId: number): EngineResult<{ id_call: number }> {
    const op = this.ctx.operators.get(operatorId);
    if (!op) return fail('OPERATOR_UNKNOWN', `operator ${operatorId}`);
    if ((op.state !== 'connected' && op.state !== 'calling') || !op.call) return fail('OPERATOR_NOT_ON_CALL', `operator ${operatorId} is ${op.state}`);
    const call = op.call;
    // The consulted operator hanging up ends the consultation, not the caller's call.
    if (isConsulted(op)) consultedLeaves(this.ctx, op);
    else endCall(this.ctx, call);
    return { ok: true, id_call: call.id };
  }

  operatorTransfer(operatorId: number, target: TransferTarget): EngineResult<{ id_call: number }> {
    const op = this.ctx.operators.get(operatorId);
    if (!op) return fail('OPERATOR_UNKNOWN', `operator ${operatorId}`);
    return transfer(this.ctx, op, target);
  }

  /** The connected operator puts the caller on hold and rings another operator (a group's, or a number) to talk first. */
  operatorConsult(operatorId: number, target: ConsultTarget): EngineResult<{ id_call: number; id_operator?: number }> {
    const op = this.ctx.operators.get(operatorId);
    if (!op) return fail('OPERATOR_UNKNOWN', `operator ${operatorId}`);
    return consult(this.ctx, op, target);
  }

  /** The consulting operator hands the caller to the consulted one. */
  operatorConsultComplete(operatorId: number): EngineResult<{ id_call: number; id_operator?: number }> {
    const op = this.ctx.operators.get(operatorId);
    if (!op) return fail('OPERATOR_UNKNOWN', `operator ${operatorId}`);
    return completeConsult(this.ctx, op);
  }

  /** The consulting operator ends the consultation and goes back to the caller (on hold). */
  operatorConsultCancel(operatorId: number): EngineResult<{ id_call: number }> {
    const op = this.ctx.operators.get(operatorId);
    if (!op) return fail('OPERATOR_UNKNOWN', `operator ${operatorId}`);
    return cancelConsult(this.ctx, op);
  }

  /** The operator dials a number (outgoing call, negative id). */
  operatorCall(operatorId: number, e164: string): EngineResult<{ id_call: number }> {
    const op = this.current(operatorId);
    if (!op) return fail('OPERATOR_UNKNOWN', `operator ${operatorId}`);
    if (op.state === 'logged_out') return fail('OPERATOR_LOGGED_OUT', `operator ${operatorId}`);
    if (op.state !== 'available') return fail('OPERATOR_NOT_AVAILABLE', `operator ${operatorId} is ${op.state}`);
    if (typeof e164 !== 'string' || !E164_RE.test(e164)) return fail('DESTINATION_INVALID', `number ${JSON.stringify(e164)}`);
    if (isForbidden(this.ctx, e164)) return fail('DESTINATION_FORBIDDEN', `number ${e164}`);
    const call = placeOutgoing(this.ctx, op, e164, null);
    return { ok: true, id_call: call.id };
  }

  pushAccept(operatorId: number, pushId: number): EngineResult<{ id_call: number }> {
    const checked = this.pushOf(operatorId, pushId);
    if (!checked.ok) return checked;
    acceptPush(this.ctx, checked.op, checked.op.push!);
    return { ok: true, id_call: checked.op.call!.id };
  }

  pushRefuse(operatorId: number, pushId: number): EngineResult {
    const checked = this.pushOf(operatorId, pushId);
    if (!checked.ok) return checked;
    refusePush(this.ctx, checked.op, checked.op.push!);
    return OK;
  }

  // ---- Web callback ---------------------------------------------------------------

  /** A visitor asks to be called back (the signed link, or the API). */
  /** A callback request; one for a number that already has a push under way answers that push (`merged`). */
  callbackRequest(req: CallbackRequest): EngineResult<{ id_push: number; merged?: true }> {
    if (!this.model.callback) return fail('CALLBACK_DISABLED', `account ${this.accountId}`);
    if (typeof req.e164 !== 'string' || !E164_RE.test(req.e164)) return fail('DESTINATION_INVALID', `number ${JSON.stringify(req.e164)}`);
    if (isForbidden(this.ctx, req.e164)) return fail('DESTINATION_FORBIDDEN', `number ${req.e164}`);
    if (req.priority !== undefined && !(Number.isInteger(req.priority) && req.priority >= 1 && req.priority <= 100)) {
      return fail('CALLBACK_INVALID', `priority ${JSON.stringify(req.priority)}`);
    }
    if (req.type !== undefined && req.type !== 'AUTO' && req.type !== 'MANUAL') return fail('CALLBACK_INVALID', `type ${JSON.stringify(req.type)}`);
    const groupId = req.groupId ?? this.model.callback.groupId;
    const group = groupId === null ? null : this.ctx.groups.get(groupId);
    if (group === undefined) return fail('GROUP_UNKNOWN', `group ${groupId}`);
    // A number already waiting for its callback is called back once: the request joins it.
    for (const p of this.ctx.pushes.values()) if (p.e164 === req.e164) return { ok: true, id_push: p.id, merged: true };
    const push = requestCallback(this.ctx, req, group);
    return { ok: true, id_push: push.id };
  }

  callbackCancel(pushId: number): EngineResult {
    const push = this.ctx.pushes.get(pushId);
    if (!push) return fail('PUSH_UNKNOWN', `push ${pushId}`);
    cancelPush(this.ctx, push);
    return OK;
  }

  // ---- Directory ------------------------------------------------------------------

  /**
   * Applies a re-imported directory to the running engine without dropping a call: see
   * src/engine/reconfigure.ts for what happens to removed operators, groups and numbers.
   * @throws RoutingConfigError when the directory's routing references do not resolve
   * (nothing is changed then).
   */
  applyDirectory(directory: AccountDirectory | AccountFile): ReconfigureSummary {
    return reconfigure(this.ctx, directory);
  }

  // ---- Queries --------------------------------------------------------------------

  operators(): OperatorSnapshot[] {
    return [...this.ctx.operators.values()].map((op) => this.snapshot(op));
  }

  operator(operatorId: number): OperatorSnapshot | undefined {
    const op = this.ctx.operators.get(operatorId);
    return op && this.snapshot(op);
  }

  /** Milliseconds each operator spent in each state so far (occupancy, reports). */
  operatorTimes(): Map<number, Record<OperatorState, number>> {
    const now = this.scheduler.now();
    const out = new Map<number, Record<OperatorState, number>>();
    for (const op of this.ctx.operators.values()) {
      const t = { ...op.stateMs };
      t[op.state] += now - op.since;
      out.set(op.id, t);
    }
    return out;
  }

  /** Ids of calls in progress (inbound positive, outgoing negative). */
  activeCalls(): number[] {
    return [...this.ctx.calls.keys()];
  }

  call(callId: number): CallSnapshot | undefined {
    const c = this.ctx.calls.get(callId);
    if (!c) return undefined;
    return {
      id_call: c.id,
      inbound: c.inbound,
      caller_id_num: c.caller,
      service: c.number?.service ?? null,
      phase: c.phase,
      id_queue: c.leg?.kind === 'queue' ? c.leg.id : null,
      id_trunk: c.leg?.kind === 'trunk' ? c.leg.id : null,
      id_ivr: c.phase === 'ivr' ? (c.ivr?.id ?? null) : null,
      id_operator: (c.operator ?? c.ringing?.[0])?.id ?? null,
      step: c.step,
      started_at: c.startedAt,
    };
  }

  /** Number of calls in progress. */
  get callCount(): number {
    return this.ctx.calls.size;
  }

  /** Calls waiting (not ringing) in each group queue. */
  waiting(): Map<number, number> {
    return new Map([...this.ctx.groups.values()].map((g) => [g.cfg.id, g.waitingCount]));
  }

  /** Ids of callback requests not yet completed. */
  activePushes(): number[] {
    return [...this.ctx.pushes.keys()];
  }

  private snapshot(op: OperatorRt): OperatorSnapshot {
    return {
      id_operator: op.id,
      name: op.name,
      logged_in: op.state !== 'logged_out',
      state: op.state,
      pause_id: op.state === 'paused' ? op.pauseId : null,
      id_call: op.call?.id ?? null,
      id_push: op.push?.id ?? null,
      since: op.since,
      suspended: [...op.suspended],
      on_hold: op.call?.held ?? false,
    };
  }

  /** An operator of the account who may start something (not one a re-import removed). */
  private current(operatorId: number): OperatorRt | undefined {
    const op = this.ctx.operators.get(operatorId);
    return op && !op.removed ? op : undefined;
  }

  private pushOf(operatorId: number, pushId: number): EngineResult<{ op: OperatorRt }> {
    const op = this.ctx.operators.get(operatorId);
    if (!op) return fail('OPERATOR_UNKNOWN', `operator ${operatorId}`);
    const push = this.ctx.pushes.get(pushId);
    if (!push) return fail('PUSH_UNKNOWN', `push ${pushId}`);
    if (push.state !== 'assigned' || push.operator !== op || op.push !== push) {
      return fail('PUSH_NOT_ASSIGNED', `push ${pushId} to operator ${operatorId}`);
    }
    return { ok: true, op };
  }

  /** Rules shared by logout and pause: the operator exists, is logged in and not on a call. */
  private leaveCheck(operatorId: number, op: OperatorRt | undefined): EngineResult | undefined {
    if (!op) return fail('OPERATOR_UNKNOWN', `operator ${operatorId}`);
    if (op.state === 'logged_out') return fail('OPERATOR_LOGGED_OUT', `operator ${operatorId}`);
    if (op.state === 'ringing' || op.state === 'connected' || op.state === 'calling') {
      return fail('OPERATOR_BUSY', `operator ${operatorId} is ${op.state} on call ${op.call?.id}`);
    }
    return undefined;
  }

  /** Ends wrap-up or hands back a reserved push before logout/pause. */
  private leaveAvailability(op: OperatorRt): void {
    op.timer?.cancel();
    op.timer = null;
    if (op.state === 'reserved') releaseReservation(this.ctx, op);
  }
}

/** Builds an engine for one account. @throws RoutingConfigError */
export function createEngine(directory: AccountDirectory | AccountFile, opts: EngineOptions): Engine {
  return new Engine(directory, opts);
}

