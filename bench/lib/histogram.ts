// A latency histogram that crosses process boundaries: 10 µs buckets up to 100 ms, 1 ms
// buckets up to 100 s, sent between processes as sparse [bucket, count] pairs.

const FINE_US = 10;
const FINE_LIMIT_US = 100_000;
const COARSE_US = 1_000;
const FINE = FINE_LIMIT_US / FINE_US;
const BUCKETS = FINE + 100_000;

export interface HistogramJson {
  pairs: [number, number][];
  max: number;
  count: number;
  sum: number;
}

export class Histogram {
  private counts = new Uint32Array(BUCKETS);
  count = 0;
  max = 0;
  sum = 0;

  /** Records one value in microseconds. */
  record(us: number): void {
    if (us < 0) us = 0;
    const i = us < FINE_LIMIT_US ? Math.floor(us / FINE_US) : Math.min(BUCKETS - 1, FINE + Math.floor((us - FINE_LIMIT_US) / COARSE_US));
    this.counts[i]!++;
    this.count++;
    this.sum += us;
    if (us > this.max) this.max = us;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = this.max = this.sum = 0;
  }

  toJSON(): HistogramJson {
    const pairs: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]) pairs.push([i, this.counts[i]!]);
    return { pairs, max: this.max, count: this.count, sum: this.sum };
  }

  merge(h: HistogramJson): void {
    for (const [i, c] of h.pairs) this.counts[i]! += c;
    this.count += h.count;
    this.sum += h.sum;
    if (h.max > this.max) this.max = h.max;
  }

  /** The value (µs, upper edge of its bucket) at or below which `p` % of values lie. */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const upper = i < FINE ? (i + 1) * FINE_US : FINE_LIMIT_US + (i - FINE + 1) * COARSE_US;
        return Math.min(upper, this.max);
      }
    }
    return this.max;
  }

  /** p50 / p99 / max in milliseconds, rounded to 0.01. */
  summary(): { p50: number; p99: number; max: number; count: number } {
    const ms = (us: number) => Math.round(us / 10) / 100;
    return { p50: ms(this.percentile(50)), p99: ms(this.percentile(99)), max: ms(this.max), count: this.count };
  }
}
