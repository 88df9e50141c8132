// The traffic simulator: `runSimulation` (virtual time, report), `liveSimulation` (a driver
// of a host-built engine, `vm serve --simulate`), `registerSimulateCommand` (`vm simulate`).
export { runSimulation, generatedAccount, INTRADAY_PROFILE } from './simulate.ts';
export type { SimulationOptions, SimulationSummary } from './simulate.ts';
export { liveSimulation } from './live.ts';
export type { LiveSimulationOptions } from './live.ts';
export { registerSimulateCommand } from './cli.ts';
export { erlangB, erlangC } from './erlang.ts';
export type { ErlangC } from './erlang.ts';
export type { TrafficFigures } from './metrics.ts';
export type { TrafficBehaviour } from './traffic.ts';
