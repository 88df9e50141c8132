// The life of a call: arrival on a number, routing (group, trunk, IVR, hang-up), answer by
// an operator or by a trunk's destination, overflow, and the one teardown every end goes
// through, which emits delete_call → operator available (catchup) → num/end in that order.
import type { Route } from '../directory/routing-schema.ts';
import type { NumberConfig, TrunkConfig } from './config.ts';
import { announcementSound, answerCaller, bridge, consultDrop, conversationStarts, dial, hangup, play, release, stopRing } from './commands.ts';
import { emitLegDelete, enqueue, makeAvailable, setState, stopRinging, takeWaiting } from './dispatch.ts';
import { emitConnect, emitInsert, emitNum, emitOperatorStatus, emitUiCall } from './emit.ts';
import { isOpen } from './hours.ts';
import { enterIvr } from './ivr.ts';
import { pushCallEnded } from './callback.ts';
import { Call, destType, type EngineContext, type OperatorRt } from './model.ts';

/** A new inbound call on a number: num/start, then its route (or fallback when closed). */
export function startInbound(ctx: EngineContext, number: NumberConfig, caller: string): Call {
  const now = ctx.sched.now();
  const call = new Call(ctx.ids.next('call'), true, caller, number, now, number.rec ? 1 : 0);
  ctx.calls.set(call.id, call);
  const route = number.hours && !isOpen(number.hours, now) ? number.fallback : number.route;
  call.typeDest = destType(route);
  emitNum(ctx, call, 'start');
  if (number.announcement && route.type !== 'ivr') {
    call.answered = true;
    emitNum(ctx, call, 'answer');
    answerCaller(ctx, call);
    play(ctx, call, announcementSound(number), false);
  }
  routeCall(ctx, call, route);
  return call;
}

/**
 * Sends a call where a route says. A route read before a re-import (an IVR menu the caller
 * is in, a removed group's overflow) may name something that is gone: the call then ends,
 * as the hang-up route does.
 */
export function routeCall(ctx: EngineContext, call: Call, route: Route): void {
  const id = route.id ?? 0;
  const group = route.type === 'group' ? ctx.groups.get(id) : undefined;
  const trunk = route.type === 'trunk' ? ctx.model.trunks.get(id) : undefined;
  const ivr = route.type === 'ivr' ? ctx.model.ivrs.get(id) : undefined;
  if (group) enqueue(ctx, call, group);
  else if (trunk) startTrunkLeg(ctx, call, trunk);
  else if (ivr) enterIvr(ctx, call, ivr);
  else endCall(ctx, call);
}

export function startTrunkLeg(ctx: EngineContext, call: Call, trunk: TrunkConfig): void {
  call.step++;
  call.typeDest = 'TRUNK';
  call.trunk = trunk;
  call.group = null;
  call.phase = 'far_ringing';
  call.leg = { kind: 'trunk', id: trunk.id, insertedAt: ctx.sched.now(), connectedAt: -1 };
  emitInsert(ctx, call);
  dial(ctx, call, trunk.destination, 'trunk', null);
  call.ringTimer = ctx.sched.after(trunk.ringTimeoutMs, () => {
    call.ringTimer = null;
    endCall(ctx, call);
  });
}

/** The external party answered: a trunk's destination, or the called number of an outgoing call. */
export function farAnswer(ctx: EngineContext, call: Call): void {
  if (call.ringTimer) call.ringTimer.cancel();
  call.ringTimer = null;
  const now = ctx.sched.now();
  if (call.leg?.kind === 'trunk') {
    call.leg.connectedAt = now;
    call.phase = 'far_connected';
    emitConnect(ctx, call, null);
    conversationStarts(ctx, call);
    return;
  }
  const op = call.operator!;
  call.phase = 'connected';
  call.talked = true;
  setState(ctx, op, 'connected');
  emitOperatorStatus(ctx, op, 'connected', call);
  conversationStarts(ctx, call);
}

/** The ringing operator picks up: connect_call + operator connected; other ring-all operators are freed. */
export function answerByOperator(ctx: EngineContext, op: OperatorRt): void {
  const call = op.call!;
  const others = stopRinging(ctx, call, op);
  call.phase = 'connected';
  call.operator = op;
  call.talked = true;
  call.overflowDue = false;
  if (call.waitTimer) call.waitTimer.cancel();
  if (call.alertTimer) call.alertTimer.cancel();
  call.waitTimer = call.alertTimer = null;
  if (call.leg) call.leg.connectedAt = ctx.sched.now();
  setState(ctx, op, 'connected');
  emitConnect(ctx, call, op);
  emitOperatorStatus(ctx, op, 'connected', call);
  bridge(ctx, call, op);
  conversationStarts(ctx, call);
  for (const o of others) makeAvailable(ctx, o);
}

/** Wrap-up seconds after a call: those of the call's last group, else of the operator's first group. */
export function catchupFor(call: Call, op: OperatorRt): number {
  return (call.lastGroup ?? op.groups[0])?.cfg.catchupMs ?? 0;
}

/**
 * The operator leaves the call: `available` with its catchup, then wrap-up. The operator is
 * parked in `wrapup` and must be handed to `makeAvailable` once the caller is done emitting
 * (immediately when catchup is 0, by timer otherwise).
 */
export function releaseOperator(ctx: EngineContext, op: OperatorRt, call: Call, catchupMs: number): void {
  op.call = null;
  emitOperatorStatus(ctx, op, 'available', call, catchupMs);
  setState(ctx, op, 'wrapup');
  if (catchupMs > 0) {
    op.wrapCall = call.id;
    op.timer = ctx.sched.after(catchupMs, () => {
      op.timer = null;
      emitOperatorStatus(ctx, op, 'available', null);
      makeAvailable(ctx, op);
    });
  }
}

/**
 * A call on hold that ends or is transferred: `UI/unhold` closes the hold in the stream (no
 * `unhold` command: the port's `hangup` or `release` ends the music with the leg).
 */
export function endHold(ctx: EngineContext, call: Call, op: OperatorRt): void {
  if (!call.held) return;
  call.held = false;
  emitUiCall(ctx, op, 'unhold', call.id, '');
}

/**
 * Ends the operator's consultation of another one (cancelled, not answered, or the call or the
 * consulted operator hung up): the consulted operator is freed — `stop_ring` if still ringing,
 * else `release` of their leg and `available` (catchup 0) — or a consulted number's leg hung
 * up (`consult_drop`), then `UI/consult_end` with the reason. The caller stays on hold.
 * Returns the consulted operator (null for a number), parked for `unpark`.
 */
export function dropConsult(ctx: EngineContext, call: Call, reason: 'cancel' | 'failed' | 'ended'): OperatorRt | null {
  const c = call.consult;
  if (!c) return null;
  call.consult = null;
  c.timer?.cancel();
  c.timer = null;
  const b = c.op;
  if (!b) {
    consultDrop(ctx, call);
  } else if (c.answered) {
    release(ctx, call, b);
    releaseOperator(ctx, b, call, 0);
  } else {
    b.call = null;
    setState(ctx, b, 'wrapup');
    emitOperatorStatus(ctx, b, 'available', call);
    stopRing(ctx, call, b);
  }
  if (call.operator) emitUiCall(ctx, call.operator, 'consult_end', call.id, reason);
  return b;
}

/** Frees operators parked by `stopRinging`/`releaseOperator` with no wrap-up timer. */
export function unpark(ctx: EngineContext, ops: readonly OperatorRt[]): void {
  for (const op of ops) if (op.state === 'wrapup' && op.timer === null) makeAvailable(ctx, op);
}

/** Ends a call in any phase: delete_call, operators freed (catchup), num/end. */
export function endCall(ctx: EngineContext, call: Call): void {
  if (call.phase === 'ended') return;
  call.ringTimer?.cancel();
  call.waitTimer?.cancel();
  call.alertTimer?.cancel();
  call.ivrTimer?.cancel();
  call.waitTimer = call.alertTimer = call.ivrTimer = null;
  takeWaiting(call);
  const consulted = dropConsult(ctx, call, 'ended');
  const leg = call.leg;
  const op = call.phase === 'connected' || (call.phase === 'far_ringing' && !call.inbound) ? call.operator : null;
  if (op) endHold(ctx, call, op);
  emitLegDelete(ctx, call);
  const parked = stopRinging(ctx, call);
  if (consulted) parked.push(consulted);
  if (op) {
    releaseOperator(ctx, op, call, call.phase === 'connected' ? catchupFor(call, op) : 0);
    parked.push(op);
  }
  call.phase = 'ended';
  emitNum(ctx, call, 'end');
  hangup(ctx, call);
  ctx.calls.delete(call.id);
  call.leg = null;
  call.group = null;
  call.operator = null;
  if (call.push) pushCallEnded(ctx, call);
  unpark(ctx, parked);
}
