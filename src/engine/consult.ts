// Consultative (attended) transfer: the operator on a call puts the caller on hold and rings
// another operator (named, or the longest-idle available one of a group) for the same call;
// once that one answers the two talk while the caller hears the hold music. Then either the
// operator completes (the caller is bridged to the consulted operator, the consulting one
// leaves the call as after a blind transfer: transfert_start → transfert_end → delete_call →
// available with catchup) or cancels (the consulted operator is freed; the caller stays on
// hold until resumed). Events: UI/consult, UI/consult_answer, UI/consult_end (extensions) to
// the consulting operator; ringing / connected / available of the consulted one, for the call.
import { dropConsult, catchupFor, endHold, releaseOperator, unpark } from './calls.ts';
import { bridge, release, ring } from './commands.ts';
import { hold } from './desk.ts';
import { emitLegDelete, forgetLeg, setState } from './dispatch.ts';
import { emitOperatorStatus, emitUiCall } from './emit.ts';
import { fail, type EngineResult } from './errors.ts';
import type { Call, Consult, EngineContext, OperatorRt } from './model.ts';
import { DIRECT_RING_MS } from './transfer.ts';

export type ConsultTarget = { type: 'operator'; id: number } | { type: 'group'; id: number };

/** The call the operator talks on as its operator, or the refusal. */
function ownCall(op: OperatorRt): { call: Call } | { refusal: EngineResult<never> } {
  const call = op.call;
  if (op.state !== 'connected' || !call || call.phase !== 'connected' || call.operator !== op) {
    return { refusal: fail('OPERATOR_NOT_ON_CALL', `operator ${op.id} is ${op.state === 'connected' ? 'consulted on a call' : op.state}`) };
  }
  return { call };
}

/** The operator a consultation rings: the one named, else the group's longest-idle available member. */
function consulted(ctx: EngineContext, op: OperatorRt, target: ConsultTarget): OperatorRt | EngineResult<never> {
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

/** Starts a consultation: the caller on hold (if not yet), the consulted operator rings for the call. */
export function consult(ctx: EngineContext, op: OperatorRt, target: ConsultTarget): EngineResult<{ id_call: number; id_operator: number }> {
  const own = ownCall(op);
  if ('refusal' in own) return own.refusal;
  const call = own.call;
  if (call.consult) return fail('CONSULT_IN_PROGRESS', `operator ${op.id} consults operator ${call.consult.op.id}`);
  const to = consulted(ctx, op, target);
  if (!('id' in to)) return to;
  if (!call.held) hold(ctx, op);
  emitUiCall(ctx, op, 'consult', call.id, `operator:${to.id}`);
  to.call = call;
  setState(ctx, to, 'ringing');
  emitOperatorStatus(ctx, to, 'ringing', call);
  ring(ctx, call, to);
  const c: Consult = { op: to, answered: false, timer: null };
  call.consult = c;
  c.timer = ctx.sched.after(to.groups[0]?.cfg.ringTimeoutMs ?? DIRECT_RING_MS, () => {
    c.timer = null;
    if (call.consult === c && !c.answered) unpark(ctx, [dropConsult(ctx, call, 'failed')!]);
  });
  return { ok: true, id_call: call.id, id_operator: to.id };
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
  unpark(ctx, [dropConsult(ctx, call, call.consult!.answered ? 'ended' : 'failed')!]);
}

/** The consulting operator goes back to the caller (who stays on hold until resumed). */
export function cancelConsult(ctx: EngineContext, op: OperatorRt): EngineResult<{ id_call: number }> {
  const own = ownCall(op);
  if ('refusal' in own) return own.refusal;
  const call = own.call;
  if (!call.consult) return fail('NOT_CONSULTING', `operator ${op.id}`);
  unpark(ctx, [dropConsult(ctx, call, 'cancel')!]);
  return { ok: true, id_call: call.id };
}

/**
 * The consulting operator hands the caller to the consulted one: `release` of their own leg,
 * `bridge` of the caller with the consulted operator's leg; they wrap up as after a transfer.
 */
export function completeConsult(ctx: EngineContext, op: OperatorRt): EngineResult<{ id_call: number; id_operator: number }> {
  const own = ownCall(op);
  if ('refusal' in own) return own.refusal;
  const call = own.call;
  const c = call.consult;
  if (!c) return fail('NOT_CONSULTING', `operator ${op.id}`);
  if (!c.answered) return fail('CONSULT_NOT_ANSWERED', `operator ${c.op.id}`);
  call.consult = null;
  emitUiCall(ctx, op, 'consult_end', call.id, 'complete');
  endHold(ctx, call, op);
  emitOperatorStatus(ctx, op, 'transfert_start', call);
  emitOperatorStatus(ctx, op, 'transfert_end', call);
  emitLegDelete(ctx, call);
  release(ctx, call, op);
  releaseOperator(ctx, op, call, catchupFor(call, op));
  forgetLeg(call);
  const now = ctx.sched.now();
  call.step++;
  call.leg = { kind: 'direct', id: 0, insertedAt: now, connectedAt: now };
  call.operator = c.op;
  bridge(ctx, call, c.op);
  unpark(ctx, [op]);
  return { ok: true, id_call: call.id, id_operator: c.op.id };
}
