// Transfers (blind): the operator hands the call over and goes to wrap-up. The call leaves
// its queue or trunk leg (transfert_start → transfert_end → delete_call → operator available)
// and starts a new leg: another group's queue, another operator, or an external number
// (through the account's trunk to that number if there is one). Destinations on the
// account's forbidden list are refused before anything is emitted. The port releases the
// transferring operator's leg, then the new leg starts: hold music, a ring, or a dial.
import { catchupFor, endHold, releaseOperator, startTrunkLeg, unpark } from './calls.ts';
import { dial, release } from './commands.ts';
import { emitLegDelete, enqueue, forgetLeg, offer } from './dispatch.ts';
import { emitOperatorStatus } from './emit.ts';
import { fail, type EngineResult } from './errors.ts';
import { consultee, type EngineContext, type OperatorRt } from './model.ts';

export type TransferTarget = { type: 'operator'; id: number } | { type: 'group'; id: number } | { type: 'number'; e164: string };

/** How long an operator rings for a call handed to them directly (transfer, consultation) when they have no group. */
export const DIRECT_RING_MS = 20_000;
export const E164_RE = /^[0-9]{3,20}$/;

/** True when `e164` starts with one of the account's forbidden prefixes. */
export function isForbidden(ctx: EngineContext, e164: string): boolean {
  return ctx.model.forbidden.some((prefix) => e164.startsWith(prefix));
}

export function transfer(ctx: EngineContext, op: OperatorRt, target: TransferTarget): EngineResult<{ id_call: number }> {
  const call = op.call;
  if (op.state !== 'connected' || !call || call.phase !== 'connected' || call.operator !== op) {
    return fail('OPERATOR_NOT_ON_CALL', `operator ${op.id} is ${op.state === 'connected' ? 'consulted on a call' : op.state}`);
  }
  if (call.consult) return fail('CONSULT_IN_PROGRESS', `operator ${op.id} consults ${consultee(call.consult)}`);
  let to: OperatorRt | undefined;
  if (target.type === 'operator') {
    to = ctx.operators.get(target.id);
    if (!to) return fail('TRANSFER_TARGET_UNKNOWN', `operator ${target.id}`);
    if (to === op) return fail('TRANSFER_TO_SELF', `operator ${op.id}`);
    if (to.state !== 'available') return fail('OPERATOR_NOT_AVAILABLE', `transfer target operator ${to.id} is ${to.state}`);
  } else if (target.type === 'group') {
    if (!ctx.groups.has(target.id)) return fail('TRANSFER_TARGET_UNKNOWN', `group ${target.id}`);
  } else {
    if (typeof target.e164 !== 'string' || !E164_RE.test(target.e164)) return fail('DESTINATION_INVALID', `number ${JSON.stringify(target.e164)}`);
    if (isForbidden(ctx, target.e164)) return fail('TRANSFER_FORBIDDEN', `number ${target.e164}`);
  }

  endHold(ctx, call, op);
  emitOperatorStatus(ctx, op, 'transfert_start', call);
  emitOperatorStatus(ctx, op, 'transfert_end', call);
  emitLegDelete(ctx, call);
  call.operator = null;
  release(ctx, call, op);
  releaseOperator(ctx, op, call, catchupFor(call, op));
  forgetLeg(call);

  if (target.type === 'group') {
    enqueue(ctx, call, ctx.groups.get(target.id)!);
  } else if (to) {
    call.step++;
    call.leg = { kind: 'direct', id: 0, insertedAt: ctx.sched.now(), connectedAt: -1 };
    offer(ctx, call, to, to.groups[0]?.cfg.ringTimeoutMs ?? DIRECT_RING_MS);
  } else if (target.type === 'number') {
    const trunk = [...ctx.model.trunks.values()].find((t) => t.destination === target.e164);
    if (trunk) {
      startTrunkLeg(ctx, call, trunk);
    } else {
      // Bridged outside the platform: nothing more to report until the caller hangs up.
      call.step++;
      call.typeDest = 'NO';
      call.phase = 'external';
      dial(ctx, call, target.e164, 'transfer', null);
    }
  }
  unpark(ctx, [op]);
  return { ok: true, id_call: call.id };
}
