// The telephony port: what the engine asks of the phone network, and nothing else. The
// engine stays pure: it decides (who rings, what plays, what is bridged) and tells the
// port; the port (the simulator, the SIP B2BUA, or nothing when a PBX drives the engine
// through the call-control API) carries it out and reports back through the engine's
// inputs: `callAnswer` (far party answered), `callHangup` (caller or far party hung up),
// `ivrInput` (a DTMF key), `operatorAnswer`/`operatorHangup` (the operator's phone) and
// `ringFailed` (the operator's phone was busy, declined, did not answer or is unreachable).
//
// Rules, as for the notification sink: `command` must not throw and must not call the
// engine synchronously (the engine is mid-operation); it queues what it has to do.

/** Why an operator's phone did not take a call it was rung for. */
export type RingFailure = 'busy' | 'declined' | 'no_answer' | 'unreachable';
export const RING_FAILURES: readonly RingFailure[] = ['busy', 'declined', 'no_answer', 'unreachable'];

/** What an outbound leg is for (it decides which destinations are allowed). */
export type DialPurpose = 'trunk' | 'outgoing' | 'callback' | 'transfer';

/** One thing the engine asks of the network, for one call (`id_call` as in the events). */
export type TelephonyCommand =
  /** Answer the caller's leg (IVR menu, announcement): the `num/answer` event. */
  | { op: 'answer'; id_call: number }
  /**
   * Play a sound to the caller, replacing what plays: an IVR menu's prompt, an
   * announcement, or the queue's hold music (`loop`). Before `answer` this is early media.
   * `sound` is a sound id of the account (`sounds` in the account file) or a built-in one
   * (`default:welcome`, `default:menu`, `default:hold`, `default:goodbye`, `default:closed`).
   */
  | { op: 'play'; id_call: number; sound: string; loop: boolean }
  /** Stop what plays to the caller (silence). */
  | { op: 'stop_play'; id_call: number }
  /** The call is in an IVR menu: report DTMF keys through `ivrInput` until the next command. */
  | { op: 'collect'; id_call: number; id_ivr: number }
  /** Ring an operator's phone for the call (one of several under ring-all). */
  | { op: 'ring'; id_call: number; id_operator: number }
  /** Stop ringing that operator's phone (another answered, timeout, caller left). */
  | { op: 'stop_ring'; id_call: number; id_operator: number }
  /** The operator answered: connect the caller with the operator's leg (stops what plays). */
  | { op: 'bridge'; id_call: number; id_operator: number }
  /** The operator leaves the call (transfer): hang up the operator's leg, keep the caller. */
  | { op: 'release'; id_call: number; id_operator: number }
  /**
   * Place a leg to an external number: a trunk's destination (bridged with the caller once
   * it answers: report `callAnswer`), or the called party of an operator's outgoing call
   * or callback (`id_operator` is the operator whose phone is connected to it).
   */
  | { op: 'dial'; id_call: number; e164: string; purpose: DialPurpose; id_operator: number | null }
  /** The call is over: hang up every leg it still has. */
  | { op: 'hangup'; id_call: number }
  /** Start / stop recording the call's conversation (`rec`). */
  | { op: 'record'; id_call: number; on: boolean };

export type TelephonyOp = TelephonyCommand['op'];

/** Carries out the engine's commands. */
export interface TelephonyPort {
  command(cmd: TelephonyCommand): void;
}

/** The port of an engine driven from outside (a PBX through the call-control API): nothing to do. */
export const NO_TELEPHONY: TelephonyPort = { command() {} };
