// Validation against queueing theory: with Poisson arrivals, exponential handle times, no
// abandonment and one group of c operators, the engine is an M/M/c queue, so the simulated
// probability of waiting and service level must match Erlang C. Call counts are sized so
// the sampling error is small against the 2-point tolerance: measured over 8 seeds, the
// RMS error was at most 0.7 points at these loads and counts (it grows near saturation,
// hence more calls at 95 %).
import { describe, expect, it } from 'vitest';
import { erlangB, erlangC } from '../src/sim/erlang.ts';
import { runSimulation } from '../src/sim/simulate.ts';

/** Erlang C by the textbook sum, independent of the library's recursion. */
function erlangCBySum(c: number, a: number): number {
  let sum = 0;
  let term = 1; // a^k / k!
  for (let k = 0; k < c; k++) {
    sum += term;
    term = (term * a) / (k + 1);
  }
  const top = (term * c) / (c - a); // a^c / c! · c / (c − a)
  return top / (sum + top);
}

describe('Erlang formulas', () => {
  it('Erlang C agrees with the textbook sum', () => {
    for (const [c, a] of [[1, 0.5], [2, 1.5], [10, 8], [25, 22], [100, 95]] as const) {
      const e = erlangC(c, a * 3600, 1, 20);
      expect(e.p_wait).toBeCloseTo(erlangCBySum(c, a), 10);
      expect(e.occupancy).toBeCloseTo(a / c, 12);
    }
  });

  it('M/M/1: P(wait) is the utilisation, and Erlang B of one server is a/(1+a)', () => {
    expect(erlangC(1, 0.7 * 3600, 1, 0).p_wait).toBeCloseTo(0.7, 12);
    expect(erlangB(1, 3)).toBeCloseTo(3 / 4, 12);
  });

  it('service level follows 1 − C·e^(−(c−A)t/AHT) and is P(no wait) at t = 0', () => {
    const e0 = erlangC(10, 240, 120, 0);
    expect(e0.service_level).toBeCloseTo(1 - e0.p_wait, 12);
    const e = erlangC(10, 240, 120, 20);
    expect(e.service_level).toBeCloseTo(1 - e.p_wait * Math.exp((-(10 - 8) * 20) / 120), 12);
  });
});

describe('simulated M/M/c against Erlang C (tolerance 2 points)', () => {
  const agents = 10;
  const aht = 120;
  const cases = [
    { occupancy: 0.7, calls: 300_000, seed: 11 },
    { occupancy: 0.85, calls: 700_000, seed: 12 },
    { occupancy: 0.95, calls: 1_100_000, seed: 13 },
  ];
  for (const { occupancy, calls, seed } of cases) {
    it(`${occupancy * 100} % occupancy, ${calls.toLocaleString('en-US')} calls`, async () => {
      const callsPerHour = (occupancy * agents * 3600) / aht;
      const theory = erlangC(agents, callsPerHour, aht, 20);
      const s = await runSimulation({
        operators: agents,
        callsPerHour,
        aht,
        patience: null,
        duration: (calls / callsPerHour) * 3600,
        seed,
        slThreshold: 20,
        // The center starts empty; leave its first 50 handle times out.
        warmup: 50 * aht,
      });
      expect(s.abandoned).toBe(0);
      expect(s.answered).toBe(s.offered);
      expect(s.offered).toBeGreaterThan(calls * 0.97);
      expect(Math.abs(s.occupancy - occupancy)).toBeLessThan(0.01);
      expect(Math.abs(s.p_wait - theory.p_wait)).toBeLessThan(0.02);
      expect(Math.abs(s.service_level - theory.service_level)).toBeLessThan(0.02);
      // The report carries the same theory.
      expect(s.erlang_c?.p_wait).toBeCloseTo(theory.p_wait, 3);
    }, 60_000);
  }
});
