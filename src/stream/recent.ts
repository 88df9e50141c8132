// A fixed-size ring of an account's most recent delivered events, so a reconnecting
// client catches up from memory and joins the live stream without a gap.
import type { LoggedEvent } from '../store/types.ts';

export class RecentEvents {
  private readonly ring: (LoggedEvent | undefined)[];
  private start = 0;
  private size = 0;

  constructor(private readonly capacity: number) {
    this.ring = new Array(capacity);
  }

  /** Adds the next event (cpts must be consecutive). */
  push(e: LoggedEvent): void {
    this.ring[(this.start + this.size) % this.capacity] = e;
    if (this.size < this.capacity) this.size++;
    else this.start = (this.start + 1) % this.capacity;
  }

  get last(): number {
    return this.size === 0 ? 0 : this.ring[(this.start + this.size - 1) % this.capacity]!.cpt;
  }

  /** Events with cpt > after, or undefined if the ring no longer holds cpt after+1. */
  after(after: number): LoggedEvent[] | undefined {
    if (this.size === 0) return undefined;
    const first = this.ring[this.start]!.cpt;
    const last = this.last;
    if (after >= last) return [];
    if (after + 1 < first) return undefined;
    const out: LoggedEvent[] = [];
    for (let i = after + 1 - first; i < this.size; i++) out.push(this.ring[(this.start + i) % this.capacity]!);
    return out;
  }
}
