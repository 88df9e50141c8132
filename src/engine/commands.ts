// The engine's telephony commands (src/engine/telephony.ts), one helper per thing a flow
// asks of the network, so the flows ask the port in one line and the sounds' defaults live
// in one place. Where each one is sent is listed in telephony.ts.
import type { GroupConfig, IvrConfig, NumberConfig } from './config.ts';
import type { Call, EngineContext, OperatorRt } from './model.ts';
import type { DialPurpose } from './telephony.ts';

/** Built-in sounds the engine falls back on (the media side ships them). */
export const DEFAULT_SOUNDS = { welcome: 'default:welcome', menu: 'default:menu', hold: 'default:hold' } as const;

export function announcementSound(number: NumberConfig): string {
  return number.announcementSound ?? DEFAULT_SOUNDS.welcome;
}

export function answerCaller(ctx: EngineContext, call: Call): void {
  ctx.telephony.command({ op: 'answer', id_call: call.id });
}

export function play(ctx: EngineContext, call: Call, sound: string, loop: boolean): void {
  ctx.telephony.command({ op: 'play', id_call: call.id, sound, loop });
}

export function stopPlay(ctx: EngineContext, call: Call): void {
  ctx.telephony.command({ op: 'stop_play', id_call: call.id });
}

/** An IVR menu (first time or retry): its prompt, then DTMF collection. */
export function promptMenu(ctx: EngineContext, call: Call, ivr: IvrConfig): void {
  play(ctx, call, ivr.prompt ?? DEFAULT_SOUNDS.menu, false);
  ctx.telephony.command({ op: 'collect', id_call: call.id, id_ivr: ivr.id });
}

/** The group's hold music, looping (early media when the caller's leg is not answered). */
export function holdMusic(ctx: EngineContext, call: Call, g: GroupConfig): void {
  play(ctx, call, g.music ?? DEFAULT_SOUNDS.hold, true);
}

export function ring(ctx: EngineContext, call: Call, op: OperatorRt): void {
  ctx.telephony.command({ op: 'ring', id_call: call.id, id_operator: op.id });
}

export function stopRing(ctx: EngineContext, call: Call, op: OperatorRt): void {
  ctx.telephony.command({ op: 'stop_ring', id_call: call.id, id_operator: op.id });
}

export function bridge(ctx: EngineContext, call: Call, op: OperatorRt): void {
  ctx.telephony.command({ op: 'bridge', id_call: call.id, id_operator: op.id });
}

export function release(ctx: EngineContext, call: Call, op: OperatorRt): void {
  ctx.telephony.command({ op: 'release', id_call: call.id, id_operator: op.id });
}

export function dial(ctx: EngineContext, call: Call, e164: string, purpose: DialPurpose, op: OperatorRt | null): void {
  ctx.telephony.command({ op: 'dial', id_call: call.id, e164, purpose, id_operator: op?.id ?? null });
}

/** Hangs up the consultation's dialled leg (the port ignores it when the leg is gone). */
export function consultDrop(ctx: EngineContext, call: Call): void {
  ctx.telephony.command({ op: 'consult_drop', id_call: call.id });
}

/** A conversation starts (bridge, or a dialled leg answered): recording on for a `rec` call, once. */
export function conversationStarts(ctx: EngineContext, call: Call): void {
  if (call.rec !== 1 || call.recording) return;
  call.recording = true;
  ctx.telephony.command({ op: 'record', id_call: call.id, on: true });
}

/** The call is over (its recording, if any, stops with it). */
export function hangup(ctx: EngineContext, call: Call): void {
  ctx.telephony.command({ op: 'hangup', id_call: call.id });
}

