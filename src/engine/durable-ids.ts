// An account's engine ids over the store's durable reservation (hi/lo blocks), so no id is
// handed out twice for the life of the data directory, across restarts and log pruning.
import { ReservedIds, type IdKind } from './ids.ts';

/** The part of the store's engine ledger the ids need. */
export interface IdLedger {
  idMarks(accountId: number): Promise<Record<IdKind, number>>;
  reserveIds(accountId: number, kind: IdKind, mark: number): Promise<number>;
}

export async function durableIds(ledger: IdLedger, accountId: number, onError?: (err: unknown) => void): Promise<ReservedIds> {
  return ReservedIds.open(await ledger.idMarks(accountId), (kind, mark) => ledger.reserveIds(accountId, kind, mark), onError ? { onError } : {});
}
