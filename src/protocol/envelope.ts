// The wire shapes of the Socket.IO stream (PROTOCOL §4): the `update` envelope, the
// `init` arguments and options, acks, and the typed event maps shared by server and clients.
import type { Notification, NotificationType } from './catalogue.ts';
import type { RealtimeSnapshot } from './stats.ts';

/** The one argument of every `update` event. */
export interface Update {
  /** Unix seconds when the server sent it. */
  ts: number;
  /** Seconds between the event and its sending (> 0 on replay). */
  elapse: number;
  /** Event number per account: +1 per event, gapless, never reused. */
  cpt: number;
  event: Notification;
}

/** The `{error, message}` shape of every refusal, over HTTP and over the socket. */
export interface ErrorBody {
  error: string;
  message: string;
}

export type InitUserType = 'supervisor' | 'api' | 'agent';

/** Extension: the optional 5th argument of `init`. */
export interface InitOptions {
  /** Replay every event with a larger cpt before live ones. */
  since?: number;
  /** Restrict the stream to these types (num and input must be asked for). */
  types?: NotificationType[];
  /**
   * Extension: receive `stats` events with live metrics each second.
   * @default false
   */
  stats?: boolean;
}

export type InitAck =
  | { ok: true; id_client: number; cpt: number }
  | ({ ok: false } & ErrorBody);

export interface ServerToClientEvents {
  update: (update: Update) => void;
  init_error: (error: ErrorBody) => void;
  /**
   * Extension: why the server is about to disconnect an initialised socket (SLOW_CONSUMER:
   * it left too much of its stream unread). The client reconnects and resumes with `since`.
   */
  stream_error: (error: ErrorBody) => void;
  /** Extension: live metrics each second, for sockets that asked with `{stats: true}`. */
  stats: (snapshot: RealtimeSnapshot) => void;
}

export interface ClientToServerEvents {
  init: (
    userType: InitUserType,
    target: number | string,
    idSession: string,
    options?: InitOptions | ((ack: InitAck) => void),
    ack?: (ack: InitAck) => void,
  ) => void;
}

/** What the server remembers about an initialised socket. */
export interface SocketData {
  accountId: number;
  userType: InitUserType;
  /** Set for agent subscriptions: the only operator they see. */
  operatorId?: number;
  types: NotificationType[];
}

/** Name of the Socket.IO room of one account's events of one type. */
export function typeRoom(accountId: number, type: NotificationType): string {
  return `a${accountId}:${type}`;
}

/** Name of the room of an account's `stats` subscribers. */
export function statsRoom(accountId: number): string {
  return `a${accountId}:stats`;
}

/** Name of the room of one operator's events of one type (agent subscriptions). */
export function operatorRoom(accountId: number, operatorId: number, type: NotificationType): string {
  return `a${accountId}:o${operatorId}:${type}`;
}
