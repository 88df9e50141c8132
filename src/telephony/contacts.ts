// How each operator's phone is reached (registered SIP user, else e164 at the gateway), and
// the number their own calls present (`caller_id`: the operator's, the account's, or the
// account's first service number), read from the account's directory once and kept until the directory changes: a ring
// costs a map lookup, not a directory read.
import type { AccountDirectory } from '../directory/schema.ts';
import type { OperatorContact } from './b2bua.ts';

export class OperatorContacts {
  private readonly accounts = new Map<number, Promise<Map<number, OperatorContact>>>();

  constructor(private readonly directory: (accountId: number) => Promise<AccountDirectory | undefined>) {}

  async get(accountId: number, operatorId: number): Promise<OperatorContact | undefined> {
    let p = this.accounts.get(accountId);
    if (!p) {
      p = this.load(accountId);
      this.accounts.set(accountId, p);
      // A failed read is not kept: the next ring reads again.
      const mine = p;
      p.catch(() => {
        if (this.accounts.get(accountId) === mine) this.accounts.delete(accountId);
      });
    }
    return (await p).get(operatorId);
  }

  /** The account's directory changed (a re-import): read it again on next use. */
  forget(accountId: number): void {
    this.accounts.delete(accountId);
  }

  private async load(accountId: number): Promise<Map<number, OperatorContact>> {
    const dir = await this.directory(accountId);
    const out = new Map<number, OperatorContact>();
    const presented = (id: string | undefined) => (id === 'anonymous' ? '0' : id);
    // The account's presentation: its own `caller_id`, else its first service number.
    const account = presented(dir?.account.caller_id) ?? dir?.numbers?.[0]?.service ?? '0';
    for (const op of dir?.operators ?? []) {
      out.set(op.id, { ...(op.e164 ? { e164: op.e164 } : {}), ...(op.sip ? { sipUser: op.sip.username } : {}), callerId: presented(op.caller_id) ?? account });
    }
    return out;
  }
}
