// Erlang C: the M/M/c queue a call center without abandonment is. Used by the simulator's
// report (the theoretical figures next to the simulated ones) and by the validation test.

export interface ErlangC {
  /** Offered load in Erlangs (arrival rate × mean handle time). */
  load: number;
  /** Probability that a call waits at all. */
  p_wait: number;
  /** Share of calls answered within the threshold. */
  service_level: number;
  /** Mean wait in seconds. */
  avg_wait: number;
  /** load ÷ agents. */
  occupancy: number;
}

/** Erlang B blocking probability by the stable recursion B(k) = A·B(k−1) / (k + A·B(k−1)). */
export function erlangB(agents: number, load: number): number {
  let b = 1;
  for (let k = 1; k <= agents; k++) b = (load * b) / (k + load * b);
  return b;
}

/**
 * Erlang C figures for `agents` servers, `callsPerHour` Poisson arrivals and exponential
 * handle times of mean `ahtSec`. Requires load < agents (else the queue grows forever).
 */
export function erlangC(agents: number, callsPerHour: number, ahtSec: number, thresholdSec: number): ErlangC {
  const load = (callsPerHour / 3600) * ahtSec;
  if (load >= agents) return { load, p_wait: 1, service_level: 0, avg_wait: Number.POSITIVE_INFINITY, occupancy: 1 };
  const b = erlangB(agents, load);
  const pWait = (agents * b) / (agents - load * (1 - b));
  return {
    load,
    p_wait: pWait,
    service_level: 1 - pWait * Math.exp((-(agents - load) * thresholdSec) / ahtSec),
    avg_wait: (pWait * ahtSec) / (agents - load),
    occupancy: load / agents,
  };
}
