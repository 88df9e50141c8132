// `vm serve --simulate`: an engine on real time fed with realistic live traffic, so the
// demo page and dashboards move from the first second (operators log in at once and a
// few calls arrive immediately).
import type { AccountDirectory, AccountFile } from '../directory/schema.ts';
import { Engine, RealTimeScheduler, type IdSource, type NotificationSink, type Scheduler } from '../engine/index.ts';
import { Random } from './random.ts';
import { Traffic, type TrafficBehaviour } from './traffic.ts';

export interface LiveSimulationOptions extends Partial<TrafficBehaviour> {
  /** Receives every notification (the server's publish). */
  sink: NotificationSink;
  /** @default a new RealTimeScheduler on the system clock */
  scheduler?: Scheduler;
  /** Target occupancy used to derive calls per hour when it is not given. @default 0.7 */
  occupancy?: number;
  /** Calls started at once so the stream moves immediately. @default 4 */
  initialCalls?: number;
  /** @default the current time */
  seed?: number;
  /** Server number on num events. @default 1 */
  srv?: number;
  /** Where the engine's ids come from (the server's durable reservation). @default counted from 1 */
  ids?: IdSource;
}

export interface LiveSimulation {
  /** The engine: the server also routes call-control commands to it. */
  engine: Engine;
  /** Stops the traffic (and the scheduler when it created it); the engine keeps its state. */
  stop(): void;
}

/** Builds the account's engine and drives it with live traffic. @throws RoutingConfigError */
export function startLiveSimulation(directory: AccountDirectory | AccountFile, opts: LiveSimulationOptions): LiveSimulation {
  const ownScheduler = opts.scheduler === undefined;
  const scheduler = opts.scheduler ?? new RealTimeScheduler();
  let traffic: Traffic | undefined;
  const engine = new Engine(directory, {
    scheduler,
    srv: opts.srv ?? 1,
    ...(opts.ids ? { ids: opts.ids } : {}),
    sink: (n, at) => {
      opts.sink(n, at);
      traffic?.observe(n);
    },
  });
  const operators = engine.model.operators.size;
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
    ...(opts.profile ? { profile: opts.profile } : {}),
    ...(opts.operators ? { operators: opts.operators } : {}),
  };
  traffic = new Traffic(engine, new Random(opts.seed ?? Date.now()), behaviour);
  traffic.start();
  traffic.burst(opts.initialCalls ?? 4);
  return {
    engine,
    stop() {
      traffic!.stop();
      if (ownScheduler) (scheduler as RealTimeScheduler).stop();
    },
  };
}
