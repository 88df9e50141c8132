// What an operator does at their desk besides taking calls, and what a supervisor does to an
// operator's place in a group: hold and take back the caller, end a wrap-up early, tag a call
// with a disposition, pauses that end by themselves, suspension from one group. Each is a
// rule checked here and a change through the flow modules; the events are our UI extensions
// (src/protocol/catalogue.ts) besides the guide's own `operator/status available`.
import { emitOperatorStatus, emitUiCall, emitUiGroup } from './emit.ts';
import { makeAvailable } from './dispatch.ts';
import { DEFAULT_SOUNDS } from './commands.ts';
import { fail, OK, type EngineResult } from './errors.ts';
import { applyModel } from './reconfigure.ts';
import { consultee, type EngineContext, type OperatorRt } from './model.ts';

/** The connected operator's call, or the refusal. */
function connectedCall(op: OperatorRt) {
  const call = op.call;
  if (op.state !== 'connected' || !call || call.phase !== 'connected' || call.operator !== op) {
    return { refusal: fail('OPERATOR_NOT_ON_CALL', `operator ${op.id} is ${op.state}`) } as const;
  }
  return { call } as const;
}

/** The caller waits with the call's group music (else the default) while the operator is away. */
export function hold(ctx: EngineContext, op: OperatorRt): EngineResult<{ id_call: number }> {
  const c = connectedCall(op);
  if (!c.call) return c.refusal;
  const call = c.call;
  if (call.held) return fail('CALL_ALREADY_HELD', `call ${call.id}`);
  call.held = true;
  emitUiCall(ctx, op, 'hold', call.id, '');
  const sound = call.lastGroup?.cfg.music ?? DEFAULT_SOUNDS.hold;
  ctx.telephony.command({ op: 'hold', id_call: call.id, id_operator: op.id, sound });
  return { ok: true, id_call: call.id };
}

export function unhold(ctx: EngineContext, op: OperatorRt): EngineResult<{ id_call: number }> {
  const c = connectedCall(op);
  if (!c.call) return c.refusal;
  const call = c.call;
  if (!call.held) return fail('CALL_NOT_HELD', `call ${call.id}`);
  if (call.consult) return fail('CONSULT_IN_PROGRESS', `operator ${op.id} consults ${consultee(call.consult)}`);
  call.held = false;
  emitUiCall(ctx, op, 'unhold', call.id, '');
  ctx.telephony.command({ op: 'unhold', id_call: call.id, id_operator: op.id });
  return { ok: true, id_call: call.id };
}

/** The operator is done with their wrap-up before its time: available at once. */
export function endWrapup(ctx: EngineContext, op: OperatorRt): EngineResult {
  if (op.state !== 'wrapup' || op.wrapCall === null || !op.timer) {
    return fail('OPERATOR_NOT_IN_WRAPUP', `operator ${op.id} is ${op.state === 'wrapup' ? 'resting after a refused call' : op.state}`);
  }
  op.timer.cancel();
  op.timer = null;
  emitOperatorStatus(ctx, op, 'available', null);
  makeAvailable(ctx, op);
  return OK;
}

/** Tags the operator's call (connected, or the one whose wrap-up they are in) with a disposition. */
export function dispose(ctx: EngineContext, op: OperatorRt, dispositionId: number): EngineResult<{ id_call: number }> {
  if (!ctx.model.dispositions.has(dispositionId)) return fail('DISPOSITION_UNKNOWN', `disposition ${dispositionId}`);
  const callId = op.state === 'connected' && op.call ? op.call.id : op.state === 'wrapup' ? op.wrapCall : null;
  if (callId === null) return fail('OPERATOR_NOT_ON_CALL', `operator ${op.id} is ${op.state}, with no call to tag`);
  emitUiCall(ctx, op, 'disposition', callId, dispositionId);
  return { ok: true, id_call: callId };
}

/** Starts the pause's `max_duration` timer, if it has one: the operator comes back by itself. */
export function armPauseLimit(ctx: EngineContext, op: OperatorRt, unpause: () => void): void {
  const limit = ctx.model.pauseLimits.get(op.pauseId);
  if (limit === undefined) return;
  op.pauseTimer = ctx.sched.after(limit, () => {
    op.pauseTimer = null;
    if (op.state === 'paused') unpause();
  });
}

/**
 * A supervisor takes the operator out of one of their groups for a while (or puts them back):
 * no call of that group is offered to them meanwhile; their other groups are untouched. The
 * suspension lasts until lifted or until the membership itself is removed by a re-import.
 */
export function suspend(ctx: EngineContext, op: OperatorRt, groupId: number, on: boolean): EngineResult {
  if (!ctx.groups.has(groupId)) return fail('GROUP_UNKNOWN', `group ${groupId}`);
  const member = ctx.model.operators.get(op.id)?.groups.includes(groupId) ?? false;
  if (!member) return fail('OPERATOR_NOT_IN_GROUP', `operator ${op.id} is not a member of group ${groupId}`);
  if (on === op.suspended.has(groupId)) return fail(on ? 'OPERATOR_ALREADY_SUSPENDED' : 'OPERATOR_NOT_SUSPENDED', `operator ${op.id} in group ${groupId}`);
  if (on) op.suspended.add(groupId);
  else op.suspended.delete(groupId);
  emitUiGroup(ctx, op, on ? 'suspend' : 'unsuspend', groupId);
  // Memberships, availability counts and distribution as a re-import of the same directory does.
  applyModel(ctx, ctx.model);
  return OK;
}
