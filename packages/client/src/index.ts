// @voice-management/client: the stream client of the Voice Management notifications API,
// for Node and browsers. Its wire types are generated from the server's protocol module.
export { connect, VmClient } from './client.ts';
export type {
  ApiConnectOptions,
  ClientEvents,
  ClientState,
  ClientStats,
  CommonConnectOptions,
  ConnectOptions,
  Snapshot,
  StateChange,
  SupervisorConnectOptions,
  TokenConnectOptions,
} from './client.ts';
export { apiToken, refreshSupervisorToken, refreshToken, supervisorLogin } from './auth.ts';
export type { ApiTokenRequest, AuthOptions, Directory, StreamToken } from './auth.ts';
export { VmClientError } from './errors.ts';
export type { ClientErrorCode } from './errors.ts';
export { isEvent, normalizeUpdate } from './normalize.ts';
export { TypedEmitter } from './emitter.ts';
export type { EventMap } from './emitter.ts';
export { DEFAULT_TYPES, EVENTS, NOTIFICATION_TYPES, OPERATOR_STATUSES, OPT_IN_TYPES } from './protocol.ts';
export type {
  Alert,
  ClientToServerEvents,
  ErrorBody,
  GroupSnapshot,
  GroupStatsRow,
  InitAck,
  InitOptions,
  InitUserType,
  MsgOf,
  Notification,
  NotificationOf,
  NotificationType,
  OperatorLiveState,
  OperatorSnapshot,
  OperatorStatsRow,
  OperatorStatus,
  RealtimeSnapshot,
  SeriesPoint,
  ServerToClientEvents,
  Update,
  VmTokenRequest,
  VmTokenResponse,
  WsInitResponse,
  WsRefreshResponse,
} from './protocol.ts';
