// A re-imported directory applied to a running engine, without dropping a call in progress.
// Pure like the rest of the engine: it changes the routing state and emits only what a
// change of people lawfully produces (UI/logout, push_cancel, ringing for waiting calls).
//
// - Numbers, trunks, IVRs, pauses, forbidden prefixes, the callback settings: the new ones
//   apply to what starts from now on; calls already running keep what they started with.
//   A route read earlier (an IVR menu the caller is in) that names something now gone ends
//   the call as the hang-up route does (src/engine/calls.ts routeCall).
// - A new operator can log in at once; a changed operator's name and groups apply at once.
// - A removed operator can no longer log in, pause or dial. Logged out, available or
//   paused: logged out now (UI/logout). Holding a callback push: the push goes back to the
//   pool (push_cancel), then logged out. Ringing, on a call or in wrap-up: finishes it, then
//   is logged out and forgotten when they would have become available.
// - A new group takes calls at once; a changed group's settings apply to calls that enter
//   it from now on (and to its alerts and distribution at once).
// - A removed group takes no new call (no route, transfer or callback can name it); calls
//   already waiting in it are still answered by its former members who remain, or leave it
//   by its overflow as before; it is forgotten once empty (at the next re-import).
import type { AccountDirectory, AccountFile } from '../directory/schema.ts';
import { checkAlertOp } from './alerts.ts';
import { assignPendingPush, releaseReservation } from './callback.ts';
import { compileRouting, type GroupConfig, type RoutingModel } from './config.ts';
import { dispatchGroup, leaveAccount, setState } from './dispatch.ts';
import { GroupRt, OperatorRt, type EngineContext } from './model.ts';

/** What a re-import changed in the running engine (ids). */
export interface ReconfigureSummary {
  operatorsAdded: number[];
  /** Removed and gone at once (they were not on a call). */
  operatorsRemoved: number[];
  /** Removed, finishing a call or wrap-up first. */
  operatorsLeaving: number[];
  groupsAdded: number[];
  groupsRemoved: number[];
}

/** A removed group's settings: no alerts, and an overflow only if it still leads somewhere. */
function retiredConfig(cfg: GroupConfig, model: RoutingModel): GroupConfig {
  const o = cfg.overflow;
  const resolves = o.type === 'hangup' || (o.id !== undefined && (o.type === 'group' ? model.groups : o.type === 'trunk' ? model.trunks : model.ivrs).has(o.id));
  return { ...cfg, alertOp: null, alertFile: null, overflow: resolves ? o : { type: 'hangup' } };
}

/** Applies `directory` to the engine's state. @throws RoutingConfigError (nothing changed then). */
export function reconfigure(ctx: EngineContext, directory: AccountDirectory | AccountFile): ReconfigureSummary {
  const model = compileRouting(directory);
  if (model.accountId !== ctx.accountId) throw new Error(`directory of account ${model.accountId} given to the engine of account ${ctx.accountId}`);
  return applyModel(ctx, model);
}

/**
 * Brings the engine's groups, operators and memberships to `model` (a new engine starts
 * from an empty context: everything is added, nothing is emitted).
 */
export function applyModel(ctx: EngineContext, model: RoutingModel): ReconfigureSummary {
  const summary: ReconfigureSummary = { operatorsAdded: [], operatorsRemoved: [], operatorsLeaving: [], groupsAdded: [], groupsRemoved: [] };
  const retired = ctx.retiredGroups;
  ctx.model = model;

  // Groups: kept objects (calls hold them), new settings; removed ones retired.
  for (const cfg of model.groups.values()) {
    const g = ctx.groups.get(cfg.id) ?? retired.get(cfg.id);
    if (g) {
      g.cfg = cfg;
      retired.delete(cfg.id);
      if (!cfg.alertOp) g.alertOpTimer?.cancel();
    } else summary.groupsAdded.push(cfg.id);
    ctx.groups.set(cfg.id, g ?? new GroupRt(cfg));
  }
  for (const [id, g] of ctx.groups) {
    if (model.groups.has(id)) continue;
    ctx.groups.delete(id);
    g.cfg = retiredConfig(g.cfg, model);
    g.alertOpTimer?.cancel();
    g.alertOpTimer = null;
    retired.set(id, g);
    summary.groupsRemoved.push(id);
  }
  // A retired group is forgotten once no call is waiting or ringing in it and no callback names it.
  if (retired.size > 0) {
    const inUse = new Set<GroupRt>();
    for (const c of ctx.calls.values()) if (c.group) inUse.add(c.group);
    for (const p of ctx.pushes.values()) if (p.group) inUse.add(p.group);
    for (const [id, g] of retired) if (g.waitingCount === 0 && !inUse.has(g)) retired.delete(id);
  }

  // Operators: new ones logged out; removed ones marked (and un-marked if they come back).
  const now = ctx.sched.now();
  for (const cfg of model.operators.values()) {
    const op = ctx.operators.get(cfg.id);
    if (op) {
      op.name = cfg.name;
      op.removed = false;
    } else {
      ctx.operators.set(cfg.id, new OperatorRt(cfg.id, cfg.name, now));
      summary.operatorsAdded.push(cfg.id);
    }
  }
  const leaving: OperatorRt[] = [];
  for (const op of ctx.operators.values()) {
    if (model.operators.has(op.id)) continue;
    op.removed = true;
    leaving.push(op);
  }

  // Memberships from the new directory; retired groups keep their remaining members.
  const live = (op: OperatorRt) => !op.removed;
  const retiredOfOp = new Map<OperatorRt, GroupRt[]>();
  for (const g of retired.values()) {
    const kept = g.members.filter(live);
    g.members.length = 0;
    g.members.push(...kept);
    for (const op of kept) retiredOfOp.set(op, [...(retiredOfOp.get(op) ?? []), g]);
  }
  for (const g of ctx.groups.values()) g.members.length = 0;
  for (const op of ctx.operators.values()) {
    if (op.removed) continue;
    const groupIds = model.operators.get(op.id)?.groups ?? [];
    // A suspension ends with the membership it suspended.
    for (const gid of op.suspended) if (!groupIds.includes(gid)) op.suspended.delete(gid);
    op.groups = groupIds.filter((gid) => !op.suspended.has(gid)).map((gid) => ctx.groups.get(gid)!);
    for (const g of op.groups) g.members.push(op);
    op.groups.push(...(retiredOfOp.get(op) ?? []));
  }
  for (const g of [...ctx.groups.values(), ...retired.values()]) recount(g);

  // Removed operators who are free leave now; the busy ones when they become free.
  for (const op of leaving) {
    if (op.state === 'ringing' || op.state === 'connected' || op.state === 'calling' || (op.state === 'wrapup' && op.timer)) {
      summary.operatorsLeaving.push(op.id);
      continue;
    }
    summary.operatorsRemoved.push(op.id);
    if (op.state === 'reserved') {
      releaseReservation(ctx, op);
      setState(ctx, op, 'wrapup');
    }
    op.timer?.cancel();
    op.timer = null;
    leaveAccount(ctx, op);
  }
  for (const g of [...ctx.groups.values(), ...retired.values()]) recount(g);

  // New memberships may match waiting calls and pending callbacks with available operators.
  for (const g of [...ctx.groups.values(), ...retired.values()]) dispatchGroup(ctx, g);
  for (const op of ctx.operators.values()) if (op.state === 'available' && ctx.pendingPushes.length > 0) assignPendingPush(ctx, op);
  for (const g of ctx.groups.values()) checkAlertOp(ctx, g);
  return summary;
}

/** Recomputes a group's available operators and, for longest-idle, its idle order. */
function recount(g: GroupRt): void {
  const available = g.members.filter((op) => op.state === 'available').sort((a, b) => a.since - b.since);
  g.availableCount = available.length;
  g.idle.retain(() => false);
  if (g.cfg.strategy === 'longest-idle') for (const op of available) g.idle.push({ op, epoch: op.epoch });
}
