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
 * was stored first, and the next block is reserved when half of the current one is used,
 * so a restart (or a crash) continues above everything that could have been handed out.
 * Gaps after a restart are expected; reuse never happens.
 */
export class ReservedIds implements IdSource {
  private readonly nextId: Record<IdKind, number>;
  private readonly marks: Record<IdKind, number>;
  private readonly extending = new Set<IdKind>();

  private constructor(
    marks: Record<IdKind, number>,
    private readonly reserve: ReserveIds,
    private readonly block: number,
    private readonly onError: (err: unknown) => void,
  ) {
    this.marks = { ...marks };
    this.nextId = { call: 0, outgoing: 0, push: 0, asr: 0 };
  }

  /**
   * Starts above the stored marks (`stored`: the highest id of each kind ever reserved)
   * and reserves a first block of each kind before handing anything out.
   */
  static async open(stored: Record<IdKind, number>, reserve: ReserveIds, opts: { block?: number; onError?: (err: unknown) => void } = {}): Promise<ReservedIds> {
    const block = opts.block ?? 1000;
    const ids = new ReservedIds(stored, reserve, block, opts.onError ?? (() => undefined));
    for (const kind of Object.keys(stored) as IdKind[]) {
      ids.nextId[kind] = stored[kind] + 1;
      ids.marks[kind] = await reserve(kind, stored[kind] + block);
    }
    return ids;
  }

  next(kind: IdKind): number {
    const id = this.nextId[kind]++;
    if (this.marks[kind] - id < this.block / 2) this.extend(kind);
    return id;
  }

  private extend(kind: IdKind): void {
    if (this.extending.has(kind)) return;
    this.extending.add(kind);
    // A store that answers synchronously (SQLite) has stored the new mark before this
    // returns. With a slower store, ids past the mark before its answer would only be at
    // risk from a crash in that window, after a burst of block/2 ids in one round trip.
    this.reserve(kind, this.nextId[kind] + this.block)
      .then((m) => {
        this.marks[kind] = Math.max(this.marks[kind], m);
      })
      .catch(this.onError)
      .finally(() => this.extending.delete(kind));
  }
}
