// What the signed-in supervisor may do to operators from the wallboard: known from GET
// /api/v1/me (its role, and the operators and groups its scope holds). Only a supervisor
// token acts (an API or admin token shows the board alone); the server checks again.
import type { OperatorSnapshot } from '@voice-management/client';
import { fetchAudit, fetchMe, operatorAction, type AuditEntry, type Me, type OperatorAction } from './api.ts';

export class Supervision {
  private readonly operators: Set<number>;
  private readonly groupNames: Map<number, string>;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly me: Me,
    private readonly base: string,
    private readonly token: () => string,
  ) {
    this.operators = new Set(me.operators.map((o) => o.id));
    this.groupNames = new Map(me.groups.map((g) => [g.id, g.name]));
  }

  /** The account's pauses, the reasons a pause is taken for. */
  get pauses(): Me['pauses'] {
    return this.me.pauses;
  }

  /** Whether this supervisor acts on the operator (its groups' operators, or the whole account's). */
  may(op: number): boolean {
    return this.operators.has(op);
  }

  /** The operator's groups this supervisor may suspend them in, with their names. */
  groupsOf(op: OperatorSnapshot): { id: number; name: string; suspended: boolean }[] {
    return op.groups.flatMap((id) => {
      const name = this.groupNames.get(id);
      return name === undefined ? [] : [{ id, name, suspended: (op.suspended ?? []).includes(id) }];
    });
  }

  groupName(id: number): string {
    return this.groupNames.get(id) ?? `group ${id}`;
  }

  /** Asks the server; throws its refusal (VmClientError with its code and sentence). */
  async act(op: number, a: OperatorAction): Promise<void> {
    await operatorAction(this.base, this.token(), this.me.id_client, op, a);
    for (const fn of this.listeners) fn();
  }

  /** The newest audit entries this supervisor sees. */
  recent(limit: number): Promise<AuditEntry[]> {
    return fetchAudit(this.base, this.token(), this.me.id_client, limit);
  }

  /** Called after each action this page took. */
  onAction(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

/** The supervision of a supervisor token, or undefined for any other (no actions shown). */
export async function openSupervision(base: string, token: () => string): Promise<Supervision | undefined> {
  const me = await fetchMe(base, token());
  return me.role === 'supervisor' ? new Supervision(me, base, token) : undefined;
}
