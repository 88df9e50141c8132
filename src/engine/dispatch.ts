// Group queues and distribution: operators' availability bookkeeping, waiting calls,
// choosing an operator (longest-idle, round-robin, ring-all), ringing, ring timeouts and
// ring failures, overflow. What follows a queue (a route, the end of the call, a callback
// push) is reached through `ctx.flow`, so this module imports nothing above it.
import { checkAlertOp, startFileAlert } from './alerts.ts';
import { holdMusic, ring, stopRing } from './commands.ts';
import { emitDelete, emitInsert, emitOperatorStatus, emitUi } from './emit.ts';
import { validHead, type Call, type EngineContext, type GroupRt, type OperatorRt, type OperatorState } from './model.ts';

/** Seconds an operator whose phone refused a call is given no other (`ring_retry`). */
export const DEFAULT_RING_RETRY_MS = 5_000;

/** Moves an operator to a state, keeping time accounting and group availability exact. */
export function setState(ctx: EngineContext, op: OperatorRt, state: OperatorState): void {
  const now = ctx.sched.now();
  op.stateMs[op.state] += now - op.since;
  op.since = now;
  const was = op.state;
  op.state = state;
  if (was === 'wrapup' && state !== 'wrapup') op.wrapCall = null;
  if (was === 'paused' && state !== 'paused' && op.pauseTimer) {
    op.pauseTimer.cancel();
    op.pauseTimer = null;
  }
  if (was === 'available' && state !== 'available') {
    for (const g of op.groups) g.availableCount--;
  } else if (was !== 'available' && state === 'available') {
    op.epoch++;
    for (const g of op.groups) {
      g.availableCount++;
      if (g.cfg.strategy !== 'longest-idle') continue;
      g.idle.push({ op, epoch: op.epoch });
      // Entries go stale when another group takes the operator; bound their number.
      if (g.idle.length > 4 * g.members.length + 64) g.idle.retain((e) => e.op.state === 'available' && e.op.epoch === e.epoch);
    }
  }
}

/** Makes an operator available and gives them the best waiting call or a pending push. */
export function makeAvailable(ctx: EngineContext, op: OperatorRt): void {
  if (op.removed) return leaveAccount(ctx, op);
  setState(ctx, op, 'available');
  findWork(ctx, op);
}

/**
 * An operator a re-import removed is free (their last call or wrap-up is over): logged out
 * (UI/logout) and forgotten, so a login for them is refused from now on.
 */
export function leaveAccount(ctx: EngineContext, op: OperatorRt): void {
  if (op.state !== 'logged_out') {
    setState(ctx, op, 'logged_out');
    op.pauseId = 0;
    emitUi(ctx, op, 'logout', '');
  }
  forgetOperator(ctx, op);
}

/** Takes an operator out of the account's maps and its groups' member lists. */
export function forgetOperator(ctx: EngineContext, op: OperatorRt): void {
  for (const g of op.groups) {
    const i = g.members.indexOf(op);
    if (i >= 0) g.members.splice(i, 1);
  }
  if (ctx.operators.get(op.id) === op) ctx.operators.delete(op.id);
}

/** Offers an available operator the best waiting call across their groups, else a push. */
function findWork(ctx: EngineContext, op: OperatorRt): void {
  let best: Call | undefined;
  let bestGroup: GroupRt | undefined;
  for (const g of op.groups) {
    if (g.waitingCount === 0) continue;
    const head = validHead(g);
    if (!head) continue;
    const c = head.call;
    if (!best || c.rank > best.rank || (c.rank === best.rank && c.leg!.insertedAt < best.leg!.insertedAt)) {
      best = c;
      bestGroup = g;
    }
  }
  if (best && bestGroup) {
    if (bestGroup.cfg.strategy === 'ring-all') ringAll(ctx, best, bestGroup);
    else offer(ctx, best, op, bestGroup.cfg.ringTimeoutMs);
    return;
  }
  ctx.flow.assignPendingPush(op);
}

/** Puts a call in a group queue: insert_call, timers, alerts, then distribution. */
export function enqueue(ctx: EngineContext, call: Call, g: GroupRt): void {
  const now = ctx.sched.now();
  call.step++;
  call.typeDest = 'GROUPE';
  call.group = g;
  call.lastGroup = g;
  call.trunk = null;
  call.leg = { kind: 'queue', id: g.cfg.id, insertedAt: now, connectedAt: -1 };
  call.rank = g.cfg.priority * g.cfg.vipRate;
  call.overflowDue = false;
  if (g.cfg.rec) call.rec = 1;
  emitInsert(ctx, call);
  holdMusic(ctx, call, g.cfg);
  putWaiting(call, g, false);
  if (g.cfg.maxWaitMs !== null) {
    call.waitTimer = ctx.sched.after(g.cfg.maxWaitMs, () => {
      call.waitTimer = null;
      if (call.phase === 'queued') overflow(ctx, call);
      else if (call.phase === 'ringing') call.overflowDue = true;
    });
  }
  if (g.cfg.alertFile) startFileAlert(ctx, call, g.cfg.alertFile.waitMs, g.cfg.alertFile.validityMs);
  if (g.cfg.alertOp) checkAlertOp(ctx, g);
  dispatchGroup(ctx, g);
}

function putWaiting(call: Call, g: GroupRt, front: boolean): void {
  call.phase = 'queued';
  const entry = { call, token: ++call.token };
  if (front) g.waiting.unshift(entry);
  else g.waiting.push(entry);
  g.waitingCount++;
}

/** Takes a call out of its group's waiting list (lazily: its entry goes stale). */
export function takeWaiting(call: Call): void {
  if (call.phase !== 'queued' || !call.group) return;
  call.token++;
  call.group.waitingCount--;
}

/** Rings available operators for waiting calls while both exist. */
export function dispatchGroup(ctx: EngineContext, g: GroupRt): void {
  while (g.waitingCount > 0 && g.availableCount > 0) {
    const head = validHead(g);
    if (!head) return;
    if (g.cfg.strategy === 'ring-all') {
      if (!ringAll(ctx, head.call, g)) return;
      continue;
    }
    const op = pickOperator(g);
    if (!op) return;
    offer(ctx, head.call, op, g.cfg.ringTimeoutMs);
  }
}

function pickOperator(g: GroupRt): OperatorRt | undefined {
  if (g.cfg.strategy === 'round-robin') {
    const n = g.members.length;
    for (let k = 1; k <= n; k++) {
      const i = (g.rrIndex + k) % n;
      const op = g.members[i]!;
      if (op.state === 'available') {
        g.rrIndex = i;
        return op;
      }
    }
    return undefined;
  }
  for (;;) {
    const e = g.idle.shift();
    if (e === undefined) return undefined;
    if (e.op.state === 'available' && e.op.epoch === e.epoch) return e.op;
  }
}

/** Rings one operator for a call. */
export function offer(ctx: EngineContext, call: Call, op: OperatorRt, ringTimeoutMs: number): void {
  takeWaiting(call);
  call.phase = 'ringing';
  call.operator = op;
  op.call = call;
  setState(ctx, op, 'ringing');
  emitOperatorStatus(ctx, op, 'ringing', call);
  ring(ctx, call, op);
  call.ringTimer = ctx.sched.after(ringTimeoutMs, () => ringTimeout(ctx, call, null));
}

/** Rings every available member at once; false when there is none. */
function ringAll(ctx: EngineContext, call: Call, g: GroupRt): boolean {
  const ops = g.members.filter((m) => m.state === 'available');
  if (ops.length === 0) return false;
  takeWaiting(call);
  call.phase = 'ringing';
  call.ringing = ops;
  for (const op of ops) {
    op.call = call;
    setState(ctx, op, 'ringing');
    emitOperatorStatus(ctx, op, 'ringing', call);
    ring(ctx, call, op);
  }
  call.ringTimer = ctx.sched.after(g.cfg.ringTimeoutMs, () => ringTimeout(ctx, call, null));
  return true;
}

/** The operators ringing for a call (one, or several under ring-all). */
export function ringingOperators(call: Call): OperatorRt[] {
  if (call.phase !== 'ringing') return [];
  return call.ringing ?? (call.operator ? [call.operator] : []);
}

/**
 * Stops the ringing: each operator gets `available` for the call and is parked (not yet
 * dispatchable) until the caller has re-routed the call. Returns them for `makeAvailable`.
 */
export function stopRinging(ctx: EngineContext, call: Call, except?: OperatorRt): OperatorRt[] {
  const ops = ringingOperators(call).filter((o) => o !== except);
  call.ringing = null;
  call.operator = null;
  if (call.ringTimer) call.ringTimer.cancel();
  call.ringTimer = null;
  for (const op of ops) unring(ctx, call, op);
  return ops;
}

/** One operator stops ringing for the call: `available` for it, `stop_ring`, parked in wrap-up. */
function unring(ctx: EngineContext, call: Call, op: OperatorRt): void {
  op.call = null;
  setState(ctx, op, 'wrapup');
  emitOperatorStatus(ctx, op, 'available', call);
  stopRing(ctx, call, op);
}

/**
 * The ringing ends unanswered (timeout, or the last ringing phone refused): the call goes
 * back to the head of its queue (or overflows, or a transfer to an operator goes back to
 * the last group) and the operators are freed — except `refused`, whose phone failed: it
 * rests `ring_retry` first, so the same call is not offered straight back to it.
 */
function ringTimeout(ctx: EngineContext, call: Call, refused: OperatorRt | null): void {
  call.ringTimer = null;
  const ops = stopRinging(ctx, call);
  if (refused) rest(ctx, call, refused);
  const leg = call.leg;
  if (leg?.kind === 'queue' && call.group) {
    if (call.overflowDue) {
      overflow(ctx, call);
    } else {
      // Back at the head of its queue: it keeps its place, others are tried first.
      putWaiting(call, call.group, true);
      dispatchGroup(ctx, call.group);
    }
  } else if (leg?.kind === 'direct') {
    // A transfer to an operator who did not answer: back to the last group, else ends.
    redirectAfterDirect(ctx, call);
  }
  for (const op of ops) if (op.state === 'wrapup' && op.timer === null) makeAvailable(ctx, op);
}

/**
 * The operator's phone refused the call (busy, declined, no answer, unreachable). Under
 * ring-all only that operator drops out while others still ring; otherwise (or when it
 * was the last one) it is a ring timeout. The operator is shown `available` as after a
 * timeout, but is given no call or push for `ring_retry` seconds (a busy phone is not rung
 * in a loop); it stays parked in wrap-up meanwhile, as during a catch-up.
 */
export function ringFailed(ctx: EngineContext, call: Call, op: OperatorRt): void {
  const ops = ringingOperators(call);
  if (ops.length > 1 && call.ringing) {
    call.ringing = ops.filter((o) => o !== op);
    unring(ctx, call, op);
    if (!rest(ctx, call, op)) makeAvailable(ctx, op);
    return;
  }
  if (call.ringTimer) call.ringTimer.cancel();
  ringTimeout(ctx, call, op);
}

/** Parks a refused operator for `ring_retry` (the call's group's, else their first group's); false when that is 0. */
function rest(ctx: EngineContext, call: Call, op: OperatorRt): boolean {
  const ms = (call.group ?? op.groups[0])?.cfg.ringRetryMs ?? DEFAULT_RING_RETRY_MS;
  if (ms <= 0) return false;
  op.timer = ctx.sched.after(ms, () => {
    op.timer = null;
    makeAvailable(ctx, op);
  });
  return true;
}

/** max_wait reached: the call leaves its group (delete_call) for the overflow route. */
export function overflow(ctx: EngineContext, call: Call): void {
  takeWaiting(call);
  if (call.waitTimer) call.waitTimer.cancel();
  if (call.alertTimer) call.alertTimer.cancel();
  call.waitTimer = call.alertTimer = null;
  const g = call.group!;
  closeLeg(ctx, call);
  ctx.flow.routeCall(call, g.cfg.overflow);
}

/** A transfer to an operator was not answered: back to the last group, else the call ends. */
export function redirectAfterDirect(ctx: EngineContext, call: Call): void {
  call.leg = null;
  // A group a re-import removed takes no new calls.
  const g = call.lastGroup && ctx.groups.get(call.lastGroup.cfg.id) === call.lastGroup ? call.lastGroup : null;
  if (g) enqueue(ctx, call, g);
  else ctx.flow.endCall(call);
}

/** Emits delete_call for the current queue/trunk leg (the leg stays until `forgetLeg`). */
export function emitLegDelete(ctx: EngineContext, call: Call): void {
  const leg = call.leg;
  if (leg) emitDelete(ctx, call, (leg.connectedAt >= 0 ? leg.connectedAt : ctx.sched.now()) - leg.insertedAt);
}

export function forgetLeg(call: Call): void {
  call.leg = null;
  call.group = null;
  call.trunk = null;
}

/** Emits delete_call for the current queue/trunk leg and forgets it. */
export function closeLeg(ctx: EngineContext, call: Call): void {
  emitLegDelete(ctx, call);
  forgetLeg(call);
}
