// The call-routing engine (ACD): pure, clock and sink injected. See engine.ts for commands.
export { Engine, createEngine } from './engine.ts';
export type { CallSnapshot, EngineOptions, InboundCallRequest, OperatorSnapshot, CallbackRequest, IvrInput, TransferTarget } from './engine.ts';
export { ENGINE_ERRORS, RoutingConfigError } from './errors.ts';
export type { EngineErrorCode, EngineFailure, EngineResult } from './errors.ts';
export { RealTimeScheduler, VirtualScheduler } from './scheduler.ts';
export type { Scheduler, TimerHandle } from './scheduler.ts';
export { checkRouting, compileRouting } from './config.ts';
export type { RoutingModel } from './config.ts';
export { OPERATOR_STATES } from './model.ts';
export type { CallPhase, NotificationSink, OperatorState } from './model.ts';
export { ID_KINDS, ReservedIds, countingIds } from './ids.ts';
export type { IdKind, IdSource, ReserveIds } from './ids.ts';
export type { ReconfigureSummary } from './reconfigure.ts';
export { NO_TELEPHONY, RING_FAILURES } from './telephony.ts';
export type { DialPurpose, RingFailure, TelephonyCommand, TelephonyOp, TelephonyPort } from './telephony.ts';
