// Web callback and outgoing calls. A request (PUSHCALL/request) waits for an available
// operator of its group, is pushed to them (UI/push, AUTO or MANUAL), becomes their
// outgoing call (`calling`), and is retried on no answer until its retries or its expiry
// run out. UI/push_cancel tells the operator's interface to drop a push: refused, lapsed,
// failed attempt, cancelled or expired.
import { dial } from './commands.ts';
import { makeAvailable, setState } from './dispatch.ts';
import { emitOperatorStatus, emitPush, emitPushRequest } from './emit.ts';
import { Call, Push, type EngineContext, type GroupRt, type OperatorRt } from './model.ts';

/** A visitor's request, as the callback link or the API receives it. */
export interface CallbackRequest {
  e164: string;
  /** 1–100. @default the account's web_callback.priority */
  priority?: number;
  type?: 'AUTO' | 'MANUAL';
  /** Group whose operators call back. @default the account's web_callback.group */
  groupId?: number;
  /** Free variables shown to the operator (form fields, page...). */
  vars?: Record<string, unknown>;
}

const MANUAL_CALL_RING_MS = 60_000;

export function requestCallback(ctx: EngineContext, req: CallbackRequest, group: GroupRt | null): Push {
  const cfg = ctx.model.callback!;
  const now = ctx.sched.now();
  const push = new Push(
    ctx.ids.next('push'),
    req.e164,
    req.priority ?? cfg.priority,
    req.type ?? cfg.type,
    cfg.retries,
    now + cfg.expireAfterMs,
    req.vars ?? {},
    group,
    cfg,
  );
  ctx.pushes.set(push.id, push);
  emitPushRequest(ctx, push);
  push.expireTimer = ctx.sched.after(cfg.expireAfterMs, () => {
    push.expireTimer = null;
    cancelPush(ctx, push);
  });
  dispatchPush(ctx, push, null);
  return push;
}

/** Gives the push to the longest-idle available operator of its group, else queues it. */
function dispatchPush(ctx: EngineContext, push: Push, exclude: OperatorRt | null): void {
  const pool = push.group ? push.group.members : ctx.operators.values();
  let best: OperatorRt | undefined;
  for (const op of pool) {
    if (op.state !== 'available' || op === exclude) continue;
    if (!best || op.since < best.since) best = op;
  }
  if (best) {
    assign(ctx, push, best);
    return;
  }
  push.state = 'pending';
  const list = ctx.pendingPushes;
  let i = list.length;
  while (i > 0 && list[i - 1]!.priority < push.priority) i--;
  list.splice(i, 0, push);
}

function unqueue(ctx: EngineContext, push: Push): void {
  const i = ctx.pendingPushes.indexOf(push);
  if (i >= 0) ctx.pendingPushes.splice(i, 1);
}

function assign(ctx: EngineContext, push: Push, op: OperatorRt): void {
  unqueue(ctx, push);
  push.state = 'assigned';
  push.operator = op;
  op.push = push;
  setState(ctx, op, 'reserved');
  emitPushRequest(ctx, push);
  emitPush(ctx, push, op, 'push');
  push.timer =
    push.type === 'AUTO'
      ? ctx.sched.after(push.cfg.autoTimeoutMs, () => acceptPush(ctx, op, push))
      : ctx.sched.after(push.cfg.unassignTimeoutMs, () => refusePush(ctx, op, push));
}

/**
 * Called for an operator who just became available with no call waiting in their groups.
 * Pushes this operator refused or let lapse are left to others.
 */
export function assignPendingPush(ctx: EngineContext, op: OperatorRt): boolean {
  for (const push of ctx.pendingPushes) {
    if ((push.group === null || op.groups.includes(push.group)) && !push.declinedBy.has(op.id)) {
      assign(ctx, push, op);
      return true;
    }
  }
  return false;
}

/** The operator (or the AUTO timer) starts the callback: their outgoing call. */
export function acceptPush(ctx: EngineContext, op: OperatorRt, push: Push): void {
  push.timer?.cancel();
  push.timer = null;
  push.state = 'dialing';
  op.push = null;
  placeOutgoing(ctx, op, push.e164, push);
}

/** The operator refuses (or a MANUAL push lapses): push_cancel, and the push goes to someone else. */
export function refusePush(ctx: EngineContext, op: OperatorRt, push: Push): void {
  push.timer?.cancel();
  push.timer = null;
  op.push = null;
  push.operator = null;
  push.declinedBy.add(op.id);
  emitPush(ctx, push, op, 'push_cancel');
  setState(ctx, op, 'wrapup');
  dispatchPush(ctx, push, op);
  makeAvailable(ctx, op);
}

/** An operator with a push leaves (logout, pause): the push goes back to the pool. */
export function releaseReservation(ctx: EngineContext, op: OperatorRt): void {
  const push = op.push;
  if (!push) return;
  push.timer?.cancel();
  push.timer = null;
  op.push = null;
  push.operator = null;
  emitPush(ctx, push, op, 'push_cancel');
  dispatchPush(ctx, push, op);
}

/** Cancel or expiry. An attempt already dialling is let finish, without retry. */
export function cancelPush(ctx: EngineContext, push: Push): void {
  if (push.state === 'done') return;
  if (push.state === 'dialing') {
    push.retries = 0;
    return;
  }
  const op = push.state === 'assigned' ? push.operator : null;
  finish(ctx, push);
  if (op) {
    op.push = null;
    emitPush(ctx, push, op, 'push_cancel');
    setState(ctx, op, 'wrapup');
    makeAvailable(ctx, op);
  }
}

function finish(ctx: EngineContext, push: Push): void {
  push.state = 'done';
  push.timer?.cancel();
  push.expireTimer?.cancel();
  push.timer = push.expireTimer = null;
  unqueue(ctx, push);
  ctx.pushes.delete(push.id);
}

/** An outgoing call placed for a push ended: done if someone answered, else retry or give up. */
export function pushCallEnded(ctx: EngineContext, call: Call): void {
  const push = call.push!;
  call.push = null;
  if (push.state === 'done') return;
  const op = push.operator;
  if (call.talked) {
    finish(ctx, push);
    return;
  }
  if (op) emitPush(ctx, push, op, 'push_cancel');
  push.operator = null;
  if (push.retries > 0 && ctx.sched.now() < push.expireAt) {
    push.retries--;
    push.state = 'waiting_retry';
    push.timer = ctx.sched.after(push.cfg.retryTimeoutMs, () => {
      push.timer = null;
      dispatchPush(ctx, push, null);
    });
  } else {
    finish(ctx, push);
  }
}

/** An operator's outgoing call: `calling` until the called party answers (connected) or it ends. */
export function placeOutgoing(ctx: EngineContext, op: OperatorRt, e164: string, push: Push | null): Call {
  const call = new Call(-ctx.ids.next('outgoing'), false, e164, null, ctx.sched.now(), 0);
  call.phase = 'far_ringing';
  call.operator = op;
  call.push = push;
  call.lastGroup = push?.group ?? null;
  op.call = call;
  ctx.calls.set(call.id, call);
  setState(ctx, op, 'calling');
  emitOperatorStatus(ctx, op, 'calling', call);
  dial(ctx, call, e164, push ? 'callback' : 'outgoing', op);
  call.ringTimer = ctx.sched.after(push ? push.cfg.ringTimeoutMs : MANUAL_CALL_RING_MS, () => {
    call.ringTimer = null;
    ctx.flow.endCall(call);
  });
  return call;
}
