// The telephony port: what the engine asks of the phone network, and nothing else. The
// engine stays pure: it decides (who rings, what plays, what is bridged) and tells the
// port; the port (the simulator, the SIP B2BUA, or nothing when a PBX drives the engine
// through the call-control API) carries it out and reports back through the engine's
// inputs: `callAnswer` (far party answered), `callHangup` (caller or far party hung up),
// `ivrInput` (a DTMF key), `operatorAnswer`/`operatorHangup` (the operator's phone) and
// `ringFailed` (the operator's phone was busy, declined, did not answer or is unreachable),
// `consultAnswer`/`consultHangup` (a consulted external number answered, failed or hung up).
//
// Rules, as for the notification sink: `command` must not throw and must not call the
// engine synchronously (the engine is mid-operation); it queues what it has to do.
//
// Where the engine sends each command (helpers in src/engine/commands.ts):
// - `answer`: with `num/answer` — an announcement on arrival (calls.ts startInbound), or
//   the first IVR menu of the call (ivr.ts enterIvr). Never for a queue: hold music before
//   an answer is early media, the port's business.
// - `play`: the number's announcement (`announcement_sound`, default `default:welcome`,
//   no loop) right after `answer`; an IVR menu's `prompt` (default `default:menu`, no loop)
//   on entry and on each retry, each followed by `collect`; the group's `music` (default
//   `default:hold`, `loop`) whenever the call enters a queue (arrival, IVR choice,
//   overflow, transfer to a group, back from an unanswered transfer to an operator). A
//   call put back at the head of its queue after a ring keeps its music (none is re-sent).
// - `stop_play`: when the call leaves an IVR menu (the caller's choice cuts the prompt).
// - `collect`: after each menu prompt; it lasts until the next command for the call.
// - `ring`: one per operator offered the call (dispatch.ts offer; ringAll: one per member).
// - `stop_ring`: for each operator that stops ringing without answering — ring timeout,
//   another operator answered under ring-all, the caller hung up, an overflow, and after
//   `ringFailed` too (idempotent for the port) — so every `ring` of a (call, operator) is
//   closed by exactly one `stop_ring` or `bridge` (or, for a consultation, `release`), always
//   before the call's `hangup`.
// - `bridge`: the ringing operator answered (calls.ts answerByOperator), after the
//   `stop_ring` of the others. It answers the caller's leg first if it is not answered yet
//   and stops what plays.
// - `release`: a transfer (transfer.ts), before the new leg's command: `play` of the
//   group's music, `ring` of the operator, or `dial` of the number. A consultation
//   (consult.ts) that ends after the consulted operator answered: `release` of their leg
//   (their `ring` is closed by it); one that completes: `release` of the consulting
//   operator's leg, then `bridge` of the caller with the consulted operator's.
// - `consult`: the operator rang for a consultation (a `ring` for the call while the caller
//   is on hold) answered: connect them with the consulting operator's leg.
// - `dial`: a trunk leg (purpose `trunk`, e164 = the trunk's destination: arrival, IVR,
//   overflow, or a transfer to a number that is a trunk's destination); an operator's
//   outgoing call (`outgoing`) or a callback attempt (`callback`), with `id_operator`; a
//   transfer to any other number (`transfer`). No `bridge` follows a dial: the port
//   connects the dialled leg itself when it answers — to the caller for `trunk` and
//   `transfer`, to the operator's phone for `outgoing` and `callback` — and reports
//   `callAnswer` for `trunk`, `outgoing` and `callback` (a `transfer` leg is outside the
//   engine from then on: only its end, `callHangup`, is reported). A dialled leg that
//   fails (busy, no answer) is reported as `callHangup` (the engine's ring timeout ends it
//   otherwise).
// - `dial` of purpose `consult` (consult.ts, an external number consulted, `id_operator` the
//   consulting operator, the caller on hold): once it answers the port connects it with that
//   operator's leg and reports `consultAnswer`; its failure (busy, no answer, unreachable) or
//   its hang-up is reported as `consultHangup` (the engine's ring timeout ends it otherwise).
//   `consult_drop` hangs it up (cancel, failure, the call ends — before its `hangup`);
//   `consult_join`, after the `release` of the consulting operator (complete), bridges the
//   caller with it: from then on it is a `transfer` leg (only `callHangup` is reported).
// - `hold` / `unhold`: the connected operator's toolbar (engine.operatorHold / operatorUnhold).
//   A call ended or transferred while on hold gets no `unhold`: `hangup` / `release` end it.
// - `record` on: when a conversation of a recorded call (`rec` on its number or one of its
//   groups) starts — `bridge`, or a trunk or outgoing leg answered — once per call.
//   There is no `record` off: `hangup` ends the recording with the call.
// - `hangup`: exactly once per call, when it ends whatever the reason (calls.ts endCall),
//   after every other command for it; nothing is sent for the call afterwards.
//
// The caller's leg of an outgoing call or callback is the called party's.
//
// Sounds: a `play` with `loop: true` asked while a `loop: false` sound is still playing
// starts when that one ends (an announcement is heard in full before the queue's music);
// any other command replaces what plays at once. After `hangup` a port may let a
// `loop: false` sound finish before releasing the caller (an announcement before a
// hang-up route); the call is over for the engine either way.
//
// Ring failures: `ringFailed` for a (call, operator) that rings moves the call on as a
// ring timeout of that operator would (same events; under ring-all only that operator
// drops out, and when none is left it is the ring timeout). The operator is shown
// `available` in the events as after a timeout, but is offered no call or push for the
// group's `ring_retry` seconds (default 5): the engine keeps them parked in wrap-up meanwhile
// (`/vm/operators_init` says `wrapup`), so a busy phone is not rung again at once, yet
// the operator comes back without anyone doing anything.

/** Why an operator's phone did not take a call it was rung for. */
export type RingFailure = 'busy' | 'declined' | 'no_answer' | 'unreachable';
export const RING_FAILURES: readonly RingFailure[] = ['busy', 'declined', 'no_answer', 'unreachable'];

/** What an outbound leg is for (it decides which destinations are allowed). */
export type DialPurpose = 'trunk' | 'outgoing' | 'callback' | 'transfer' | 'consult';

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
  /**
   * The operator puts the caller on hold: unbridge them, play `sound` (the group's hold
   * music, looping) to the caller; the operator's leg hears silence. Only while bridged.
   */
  | { op: 'hold'; id_call: number; id_operator: number; sound: string }
  /** The operator takes the caller back: stop the music, bridge the two legs again. */
  | { op: 'unhold'; id_call: number; id_operator: number }
  /**
   * Consultation: the consulted operator (`id_target`, rung for this call) answered; connect
   * the consulting operator's leg with theirs while the caller stays on hold. A `release` of
   * the consulted operator ends it (cancel); `release` of the consulting one then `bridge` of
   * the caller with the consulted one completes it.
   */
  | { op: 'consult'; id_call: number; id_operator: number; id_target: number }
  /** Hang up the consultation's dialled leg (`dial` of purpose `consult`), if it is still there. */
  | { op: 'consult_drop'; id_call: number }
  /** Bridge the caller with the consultation's answered dialled leg (the consulting operator was released). */
  | { op: 'consult_join'; id_call: number }
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
