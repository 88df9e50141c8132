// Consultative (attended) transfer: the operator on a call puts the caller on hold and rings
// another operator (named, or the longest-idle available one of a group) for the same call;
// once that one answers the two talk while the caller hears the hold music. Then either the
// operator completes (the caller is bridged to the consulted operator, the consulting one
// leaves the call as after a blind transfer: transfert_start → transfert_end → delete_call →
// available with catchup) or cancels (the consulted operator is freed; the caller stays on
// hold until resumed). Events: UI/consult, UI/consult_answer, UI/consult_end (extensions) to
// the consulting operator; ringing / connected / available of the consulted one, for the call.
// An external number is consulted the same way, checked as a blind transfer to a number: the
// port dials it (`dial` purpose `consult`) and connects it with the consulting operator once
// answered (`consultAnswer`); complete hands the caller to it as a blind transfer to a number
// (the call then lives outside the platform until it ends), cancel or its failure hangs it up.
import { dropConsult, catchupFor, endHold, releaseOperator, unpark } from './calls.ts';
import { bridge, dial, release, ring } from './commands.ts';
import { hold } from './desk.ts';
import { emitLegDelete, forgetLeg, setState } from './dispatch.ts';
import { emitOperatorStatus, emitUiCall } from './emit.ts';
import { fail, type EngineResult } from './errors.ts';
import { consultee, type Call, type Consult, type EngineContext, type OperatorRt } from './model.ts';
import { DIRECT_RING_MS, E164_RE, isForbidden } from './transfer.ts';

export type ConsultTarget = { type: 'operator'; id: number } | { type: 'group'; id: number } | { type: 'number'; e164: string };


/** The call the operator talks on as its operator, or the refusal. */
function ownCall(op: OperatorRt): { call: Call } | { refusal: EngineResult<never> } {
  const call = op.call;
  if (op.state !== 'connected' || !call || call.phase !== 'connected' || call.operator !== op) {
    return { refusal: fail('OPERATOR_NOT_ON_CALL', `operator ${op.id} is ${op.state === 'connected' ? 'consulted on a call' : op.state}`) };
  }
  return { call };
}

/** The operator a consultation rings: the one named, else the group's longest-idle available member. */
function consulted(ctx: EngineContext, op: OperatorRt, target: Exclude<ConsultTarget, { type: 'number' }>): OperatorRt | EngineResult<never> {
  if (target.type === 'operator') {
    const to = ctx.operators.get(target.id);
    if (!to) return fail('TRANSFER_TARGET_UNKNOWN', `operator ${target.id}`);
    if (to === op) return fail('TRANSFER_TO_SELF', `operator ${op.id}`);
    if (to.state !== 'available') return fail('OPERATOR_NOT_AVAILABLE', `consulted operator ${to.id} is ${to.state}`);
    return to;
  }
  const g = ctx.groups.get(target.id);
  if (!g) return fail('TRANSFER_TARGET_UNKNOWN', `group ${target.id}`);
  let best: OperatorRt | undefined;
  for (const m of g.members) {
    if (m === op || m.state !== 'available' || m.suspended.has(g.cfg.id)) continue;
    if (!best || m.since < best.since) best = m;
  }
  return best ?? fail('CONSULT_TARGET_BUSY', `group ${target.id}`);
}

/** Starts a consultation: the caller on hold (if not yet), the consulted operator rings (or the number is dialled) for the call. */
export function consult(ctx: EngineContext, op: OperatorRt, target: ConsultTarget): EngineResult<{ id_call: number; id_operator?: number }> {
  const own = ownCall(op);
  if ('refusal' in own) return own.refusal;
  const call = own.call;
  if (call.consult) return fail('CONSULT_IN_PROGRESS', `operator ${op.id} consults ${consultee(call.consult)}`);
  if (target.type === 'number') {
    if (typeof target.e164 !== 'string' || !E164_RE.test(target.e164)) return fail('DESTINATION_INVALID', `number ${JSON.stringify(target.e164)}`);
    if (isForbidden(ctx, target.e164)) return fail('TRANSFER_FORBIDDEN', `number ${target.e164}`);
    if (!call.held) hold(ctx, op);
    emitUiCall(ctx, op, 'consult', call.id, `number:${target.e164}`);
    const c: Consult = { op: null, e164: target.e164, answered: false, timer: null };
    call.consult = c;
    dial(ctx, call, target.e164, 'consult', op);
    armConsultTimer(ctx, call, c, DIRECT_RING_MS);
    return { ok: true, id_call: call.id };
  }
  const to = consulted(ctx, op, target);
  if (!('id' in to)) return to;
  if (!call.held) hold(ctx, op);
  emitUiCall(ctx, op, 'consult', call.id, `operator:${to.id}`);
  to.call = call;
  setState(ctx, to, 'ringing');
  emitOperatorStatus(ctx, to, 'ringing', call);
  ring(ctx, call, to);
  const c: Consult = { op: to, e164: null, answered: false, timer: null };
  call.consult = c;
  armConsultTimer(ctx, call, c, to.groups[0]?.cfg.ringTimeoutMs ?? DIRECT_RING_MS);
  return { ok: true, id_call: call.id, id_operator: to.id };
}

/** Unanswered within `ms`: the consultation fails. */
function armConsultTimer(ctx: EngineContext, call: Call, c: Consult, ms: number): void {
  c.timer = ctx.sched.after(ms, () => {
    c.timer = null;
    if (call.consult === c && !c.answered) unparkDropped(ctx, call, 'failed');
  });
}

/** Ends the consultation (dropConsult) and frees the consulted operator, if any. */
function unparkDropped(ctx: EngineContext, call: Call, reason: 'cancel' | 'failed' | 'ended'): void {
  const b = dropConsult(ctx, call, reason);
  if (b) unpark(ctx, [b]);
}

/** True when `op` rings for, or talks on, a call as its consulted operator. */
export function isConsulted(op: OperatorRt): boolean {
  return op.call?.consult?.op === op;
}

/** The consulted operator answers: connected with the consulting one (`consult` command). */
export function answerConsult(ctx: EngineContext, to: OperatorRt): void {
  const call = to.call!;
  const c = call.consult!;
  c.answered = true;
  c.timer?.cancel();
  c.timer = null;
  setState(ctx, to, 'connected');
  emitOperatorStatus(ctx, to, 'connected', call);
  emitUiCall(ctx, call.operator!, 'consult_answer', call.id, `operator:${to.id}`);
  ctx.telephony.command({ op: 'consult', id_call: call.id, id_operator: call.operator!.id, id_target: to.id });
}

/** The consulted operator refuses, does not answer, or hangs up: the consultation ends. */
export function consultedLeaves(ctx: EngineContext, to: OperatorRt): void {
  const call = to.call!;
  unparkDropped(ctx, call, call.consult!.answered ? 'ended' : 'failed');
}

/** The consulted number answered (the port connected it with the consulting operator). */
export function numberAnswered(ctx: EngineContext, call: Call): EngineResult {
  const c = call.consult;
  if (!c || c.op || c.answered) return fail('CONSULT_NOT_DIALLED', `call ${call.id}`);
  c.answered = true;
  c.timer?.cancel();
  c.timer = null;
  emitUiCall(ctx, call.operator!, 'consult_answer', call.id, consultee(c));
  return { ok: true };
}

/** The consulted number failed (busy, unreachable) or hung up: the consultation ends. */
export function numberLeaves(ctx: EngineContext, call: Call): EngineResult {
  const c = call.consult;
  if (!c || c.op) return fail('CONSULT_NOT_DIALLED', `call ${call.id}`);
  unparkDropped(ctx, call, c.answered ? 'ended' : 'failed');
  return { ok: true };
}

/** The consulting operator goes back to the caller (who stays on hold until resumed). */
export function cancelConsult(ctx: EngineContext, op: OperatorRt): EngineResult<{ id_call: number }> {
  const own = ownCall(op);
  if ('refusal' in own) return own.refusal;
  const call = own.call;
  if (!call.consult) return fail('NOT_CONSULTING', `operator ${op.id}`);
  unparkDropped(ctx, call, 'cancel');
  return { ok: true, id_call: call.id };
}

/**
 * The consulting operator hands the caller to the consulted one: `release` of their own leg,
 * `bridge` of the caller with the consulted operator's leg (or `consult_join` with the number's,
 * the call then outside the platform as after a blind transfer to a number); they wrap up as
 * after a transfer.
 */
export function completeConsult(ctx: EngineContext, op: OperatorRt): EngineResult<{ id_call: number; id_operator?: number }> {
  const own = ownCall(op);
  if ('refusal' in own) return own.refusal;
  const call = own.call;
  const c = call.consult;
  if (!c) return fail('NOT_CONSULTING', `operator ${op.id}`);
  if (!c.answered) return fail('CONSULT_NOT_ANSWERED', consultee(c));
  call.consult = null;
  emitUiCall(ctx, op, 'consult_end', call.id, 'complete');
  endHold(ctx, call, op);
  emitOperatorStatus(ctx, op, 'transfert_start', call);
  emitOperatorStatus(ctx, op, 'transfert_end', call);
  emitLegDelete(ctx, call);
  if (!c.op) call.operator = null;
  release(ctx, call, op);
  releaseOperator(ctx, op, call, catchupFor(call, op));
  forgetLeg(call);
  call.step++;
  if (c.op) {
    const now = ctx.sched.now();
    call.leg = { kind: 'direct', id: 0, insertedAt: now, connectedAt: now };
    call.operator = c.op;
    bridge(ctx, call, c.op);
  } else {
    // Bridged outside the platform: nothing more to report until the caller hangs up.
    call.typeDest = 'NO';
    call.phase = 'external';
    ctx.telephony.command({ op: 'consult_join', id_call: call.id });
  }
  unpark(ctx, [op]);
  return c.op ? { ok: true, id_call: call.id, id_operator: c.op.id } : { ok: true, id_call: call.id };
}
