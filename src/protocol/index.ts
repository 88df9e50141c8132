// The wire contract, shared by the server, the SDK, the web pages and the tests.
export {
  CATALOGUE,
  DEFAULT_TYPES,
  NOTIFICATION_TYPES,
  OPERATOR_STATUSES,
  OPT_IN_TYPES,
  eventsOf,
  isNotificationType,
  msgSchema,
} from './catalogue.ts';
export type { MsgOf, Notification, NotificationType, OperatorStatus } from './catalogue.ts';
export { operatorRoom, statsRoom, typeRoom } from './envelope.ts';
export type {
  ClientToServerEvents,
  ErrorBody,
  InitAck,
  InitOptions,
  InitUserType,
  ServerToClientEvents,
  SocketData,
  Update,
} from './envelope.ts';
export {
  VmTokenRequest,
  VmTokenResponse,
  WsInitRequest,
  WsInitResponse,
  WsRefreshRequest,
  WsRefreshResponse,
  formatExpire,
} from './auth.ts';
export { operatorOf, parseTypes, validateNotification } from './validate.ts';
export { dotted, explainIssues } from './explain.ts';
export type { ExplainOptions, SchemaIssue } from './explain.ts';
export { CallId, CallerNumber, DAY_PATTERN, Day, Digits, Id, IdOrZero, MAX_ID } from './fields.ts';
export type { Validation } from './validate.ts';
export { PAYLOAD_LIMITS, checkPayload } from './bounds.ts';
export type { BoundsCheck, PayloadLimits } from './bounds.ts';
export type { Alert, GroupSnapshot, GroupStatsRow, OperatorLiveState, OperatorSnapshot, OperatorStatsRow, RealtimeSnapshot, SeriesPoint } from './stats.ts';
