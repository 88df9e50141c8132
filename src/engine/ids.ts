// Where the engine's ids come from: inbound call ids, outgoing call ids (handed out
// negated), push ids and ASR ids. The engine only asks `next(kind)`; what makes an id
// unique for the life of a data directory (a durable reservation) is injected.

export const ID_KINDS = ['call', 'outgoing', 'push', 'asr'] as const;
export type IdKind = (typeof ID_KINDS)[number];

export interface IdSource {
  /** A positive id of this kind never handed out before (the engine negates outgoing ids). */
  next(kind: IdKind): number;
}

/** Ids counted in memory from 1 (simulations, tests): unique for one engine's life only. */
export function countingIds(): IdSource {
  const next: Record<IdKind, number> = { call: 1, outgoing: 1, push: 1, asr: 1 };
  return { next: (kind) => next[kind]++ };
}

/** Raises the durable mark of a kind to at least `mark`; resolves with the mark now stored. */
export type ReserveIds = (kind: IdKind, mark: number) => Promise<number>;

/**
 * Hi/lo ids over a durable reservation: ids are handed out from memory below a mark that
 * was reserved first, and the mark is raised by a block whenever fewer than half a block
 * remain, so a restart (or a crash) continues above everything that could have been
 * handed out. Gaps after a restart are expected; reuse never happens with a store that
 * records a reservation when it is asked (SQLite). With a slower store, ids handed out
 * while a reservation is in flight are at risk only from a crash in that round trip,
 * and only after half a block of ids.
 */
export class ReservedIds implements IdSource {
  private readonly nextId: Record<IdKind, number> = { call: 1, outgoing: 1, push: 1, asr: 1 };
  /** The highest mark asked of the store, per kind (recorded, or on its way). */
  private readonly requested: Record<IdKind, number> = { call: 0, outgoing: 0, push: 0, asr: 0 };

  private constructor(
    private readonly reserve: ReserveIds,
    private readonly block: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /**
   * Starts above the stored marks (`stored`: the highest id of each kind ever reserved)
   * and reserves a first block of each kind before handing anything out.
   */
  static async open(stored: Record<IdKind, number>, reserve: ReserveIds, opts: { block?: number; onError?: (err: unknown) => void } = {}): Promise<ReservedIds> {
    const block = Math.max(1, opts.block ?? 1000);
    const ids = new ReservedIds(reserve, block, opts.onError ?? (() => undefined));
    for (const kind of ID_KINDS) {
      ids.nextId[kind] = stored[kind] + 1;
      ids.requested[kind] = await reserve(kind, stored[kind] + block);
    }
    return ids;
  }

  next(kind: IdKind): number {
    const id = this.nextId[kind]++;
    if (this.requested[kind] - id < this.block / 2) {
      // Reservations only raise the mark (max), so asking again while one is in flight is harmless.
      const mark = id + this.block;
      this.requested[kind] = mark;
      this.reserve(kind, mark).catch(this.onError);
    }
    return id;
  }
}
