// `vm serve --simulate`: realistic live traffic on an account's engine, so the demo page and
// dashboards move from the first second (operators log in at once and a few calls arrive
// immediately). The engine host builds the engine (src/engine/host.ts); the simulation is
// its driver: the simulated people and phone network are the engine's telephony port, and
// the traffic starts once the engine runs. Attach it with
// `host.attach(accountId, liveSimulation(options))`.
import type { DriverFactory, EngineDriver } from '../engine/host.ts';
import { Random } from './random.ts';
import { Traffic, type TrafficBehaviour } from './traffic.ts';

export interface LiveSimulationOptions extends Partial<TrafficBehaviour> {
  /** Target occupancy used to derive calls per hour when it is not given. @default 0.7 */
  occupancy?: number;
  /** Calls started at once so the stream moves immediately. @default 4 */
  initialCalls?: number;
  /** @default the current time */
  seed?: number;
}

/** Drives each engine the host builds for the account with live traffic. */
export function liveSimulation(opts: LiveSimulationOptions = {}): DriverFactory {
  return (): EngineDriver => {
    let traffic: Traffic | undefined;
    return {
      telephony: { command: (c) => traffic?.command(c) },
      observe: (n) => traffic?.observe(n),
      start(engine) {
        // The load the simulated operators carry (not the real people among them).
        const operators = opts.operators?.length ?? engine.model.operators.size;
        const ahtSec = opts.ahtSec ?? 90;
        const behaviour: TrafficBehaviour = {
          callsPerHour: opts.callsPerHour ?? Math.max(60, (operators * (opts.occupancy ?? 0.7) * 3600) / (ahtSec + 15)),
          ahtSec,
          patienceSec: opts.patienceSec === undefined ? 150 : opts.patienceSec,
          answerDelaySec: opts.answerDelaySec ?? [1, 4],
          pausesPerHour: opts.pausesPerHour ?? 0.5,
          pauseSec: opts.pauseSec ?? 240,
          ivrShare: opts.ivrShare ?? 0.4,
          callbackShare: opts.callbackShare ?? (engine.model.callback ? 0.05 : 0),
          transferShare: opts.transferShare ?? 0.03,
          farAnswerProb: opts.farAnswerProb ?? 0.85,
          ringFailProb: opts.ringFailProb ?? 0,
          ringNoAnswerProb: opts.ringNoAnswerProb ?? 0,
          ...(opts.profile ? { profile: opts.profile } : {}),
          ...(opts.operators ? { operators: opts.operators } : {}),
        };
        traffic = new Traffic(engine, new Random(opts.seed ?? Date.now()), behaviour);
        traffic.start();
        traffic.burst(opts.initialCalls ?? 4);
      },
      stop() {
        traffic?.stop();
      },
    };
  };
}
