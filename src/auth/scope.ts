// What a principal may see of its account: the whole account, or some groups (a supervisor
// with `groups`, an operator's own groups) with the operators in them. One predicate per
// kind of thing, used by every read path (stream, snapshot, stats, history), so a scope is
// applied the same way everywhere.
import type { AccountDirectory } from '../directory/schema.ts';
import type { Notification, RealtimeSnapshot } from '../protocol/index.ts';
import type { CallRecord } from '../stats/records.ts';

/** A part of an account; `undefined` where a scope is taken means the whole account. */
export interface Scope {
  /** Group (queue) ids in scope. */
  readonly groups: ReadonlySet<number>;
  /** Operator ids in scope: the members of those groups (or one operator). */
  readonly operators: ReadonlySet<number>;
}

/** The scope of some groups: those groups and every operator in at least one of them. */
export function groupScope(dir: AccountDirectory | undefined, groups: readonly number[]): Scope {
  const g = new Set(groups);
  return { groups: g, operators: new Set((dir?.operators ?? []).filter((o) => (o.groups ?? []).some((x) => g.has(x))).map((o) => o.id)) };
}

/** One operator's scope: itself, and its groups' queues (what its toolbar shows). */
export function operatorScope(dir: AccountDirectory | undefined, operatorId: number): Scope {
  const op = dir?.operators?.find((o) => o.id === operatorId);
  return { groups: new Set(op?.groups ?? []), operators: new Set([operatorId]) };
}

export const seesOperator = (scope: Scope | undefined, id: number): boolean => !scope || scope.operators.has(id);
export const seesGroup = (scope: Scope | undefined, id: number): boolean => !scope || scope.groups.has(id);

/** A call of the history: one of its queue passages, or its operator, is in scope. */
export function seesCall(scope: Scope | undefined, c: Pick<CallRecord, 'groupId' | 'firstGroupId' | 'operatorId' | 'legs'>): boolean {
  if (!scope) return true;
  if (c.operatorId !== null && scope.operators.has(c.operatorId)) return true;
  if ((c.groupId !== null && scope.groups.has(c.groupId)) || (c.firstGroupId !== null && scope.groups.has(c.firstGroupId))) return true;
  return c.legs.some((l) => l.kind === 'queue' && scope.groups.has(l.id));
}

/** A call with only its queue passages in scope (what a scoped series counts). */
export function callInScope(scope: Scope | undefined, c: CallRecord): CallRecord {
  return scope ? { ...c, legs: c.legs.filter((l) => l.kind === 'queue' && scope.groups.has(l.id)) } : c;
}

/**
 * A notification of the stream: queue events by their queue, operator, UI and PUSHCALL
 * events by their operator. Events of no group (trunk, num, input, a push not yet
 * assigned) are the whole account's: a scope does not see them.
 */
export function seesEvent(scope: Scope | undefined, n: Notification): boolean {
  if (!scope) return true;
  const msg = n.msg as { id_queue?: unknown; id_operator?: unknown };
  if (n.type_notification === 'queue') return typeof msg.id_queue === 'number' && scope.groups.has(msg.id_queue);
  if (n.type_notification === 'operator' || n.type_notification === 'UI' || n.type_notification === 'PUSHCALL') {
    return typeof msg.id_operator === 'number' && scope.operators.has(msg.id_operator);
  }
  return false;
}

/** The groups an event belongs to (its stream rooms under a scope), by `seesEvent`'s rule. */
export function eventGroups(n: Notification, groupsOf: (operator: number) => readonly number[]): readonly number[] {
  const msg = n.msg as { id_queue?: unknown; id_operator?: unknown };
  if (n.type_notification === 'queue') return typeof msg.id_queue === 'number' ? [msg.id_queue] : [];
  if (n.type_notification === 'operator' || n.type_notification === 'UI' || n.type_notification === 'PUSHCALL') {
    return typeof msg.id_operator === 'number' ? groupsOf(msg.id_operator) : [];
  }
  return [];
}

/** A live snapshot cut to a scope: its groups, operators and their alerts; no trunks. */
export function snapshotInScope(snap: RealtimeSnapshot, scope: Scope | undefined): RealtimeSnapshot {
  if (!scope) return snap;
  return {
    ...snap,
    groups: snap.groups.filter((g) => scope.groups.has(g.id)),
    operators: snap.operators.filter((o) => scope.operators.has(o.id)),
    trunks: [],
    alerts: snap.alerts.filter((a) => scope.groups.has(a.id_queue)),
  };
}
