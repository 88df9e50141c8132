// Group alerts (PROTOCOL §5 alert_op / alert_file). An alert holds for its `validity`; it is
// raised again after that only if its condition still holds.
import { emitAlertFile, emitAlertOp } from './emit.ts';
import { validHead, type Call, type EngineContext, type GroupRt } from './model.ts';

// A zero validity would re-raise at the same instant forever; one second is the floor.
const MIN_VALIDITY_MS = 1000;

/** alert_op: calls are waiting and fewer than `min_available` operators are available. */
export function checkAlertOp(ctx: EngineContext, g: GroupRt): void {
  const rule = g.cfg.alertOp;
  if (!rule) return;
  const now = ctx.sched.now();
  if (now < g.alertOpUntil || g.waitingCount === 0 || g.availableCount >= rule.minAvailable) return;
  const head = validHead(g);
  if (!head) return;
  const validity = Math.max(rule.validityMs, MIN_VALIDITY_MS);
  emitAlertOp(ctx, g.cfg.id, now - head.call.leg!.insertedAt, validity);
  g.alertOpUntil = now + validity;
  g.alertOpTimer?.cancel();
  g.alertOpTimer = ctx.sched.after(validity, () => {
    g.alertOpTimer = null;
    checkAlertOp(ctx, g);
  });
}

/** alert_file: this call has waited `waitMs` in its queue without being answered. */
export function startFileAlert(ctx: EngineContext, call: Call, waitMs: number, validityMs: number): void {
  const leg = call.leg;
  const validity = Math.max(validityMs, MIN_VALIDITY_MS);
  const fire = (): void => {
    call.alertTimer = null;
    if (call.leg !== leg || leg === null || leg.connectedAt >= 0 || (call.phase !== 'queued' && call.phase !== 'ringing')) return;
    emitAlertFile(ctx, call, validity);
    call.alertTimer = ctx.sched.after(validity, fire);
  };
  call.alertTimer = ctx.sched.after(waitMs, fire);
}
