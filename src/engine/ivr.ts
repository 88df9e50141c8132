// IVR menus: the call is answered (num/answer), waits for a DTMF key or speech, and takes
// the matching option's route. Speech produces an input/asr event with its score; below
// the menu's min_score it is heard but not trusted. No input or no match: retry, then the
// default route. The port answers the caller, plays the menu's prompt (again on each retry)
// and collects keys; leaving the menu stops the prompt (the caller's choice cuts it).
import type { IvrConfig, IvrOptionConfig } from './config.ts';
import { answerCaller, promptMenu, stopPlay } from './commands.ts';
import { emitAsr, emitNum } from './emit.ts';
import { fail, type EngineResult } from './errors.ts';
import { destType, type Call, type EngineContext } from './model.ts';
import type { Route } from '../directory/routing-schema.ts';

/** What a caller did in a menu: a key, or speech as recognised by the ASR with its score. */
export type IvrInput = { dtmf: string } | { speech: string; score: number };

export function enterIvr(ctx: EngineContext, call: Call, ivr: IvrConfig): void {
  call.phase = 'ivr';
  call.ivr = ivr;
  call.ivrAttempts = 0;
  call.typeDest = 'NO';
  if (!call.answered) {
    call.answered = true;
    emitNum(ctx, call, 'answer');
    answerCaller(ctx, call);
  }
  promptMenu(ctx, call, ivr);
  arm(ctx, call, ivr);
}

function arm(ctx: EngineContext, call: Call, ivr: IvrConfig): void {
  call.ivrTimer = ctx.sched.after(ivr.timeoutMs, () => {
    call.ivrTimer = null;
    missed(ctx, call, ivr);
  });
}

function missed(ctx: EngineContext, call: Call, ivr: IvrConfig): void {
  call.ivrAttempts++;
  if (call.ivrAttempts > ivr.retries) {
    leave(ctx, call, ivr.defaultRoute);
  } else {
    promptMenu(ctx, call, ivr);
    arm(ctx, call, ivr);
  }
}

function leave(ctx: EngineContext, call: Call, route: Route): void {
  call.ivrTimer?.cancel();
  call.ivrTimer = null;
  call.ivr = null;
  call.typeDest = destType(route);
  stopPlay(ctx, call);
  ctx.flow.routeCall(call, route);
}

/** Normalises speech for keyword matching: lower case, letters and digits separated by single spaces. */
function words(text: string): string {
  return ` ${text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim()} `;
}

export function matchOption(ivr: IvrConfig, input: IvrInput): IvrOptionConfig | undefined {
  if ('dtmf' in input) return ivr.options.find((o) => o.dtmf === input.dtmf);
  if (input.score < ivr.minScore) return undefined;
  const said = words(input.speech);
  return ivr.options.find((o) => o.speech.some((kw) => said.includes(words(kw))));
}

/** Applies a caller's input to the menu the call is in. */
export function ivrInput(ctx: EngineContext, call: Call, input: IvrInput): EngineResult<{ matched: boolean }> {
  const ivr = call.ivr;
  if (call.phase !== 'ivr' || !ivr) return fail('CALL_NOT_IN_IVR', `call ${call.id} is ${call.phase}`);
  if ('dtmf' in input) {
    if (!/^[0-9*#]$/.test(input.dtmf)) return fail('IVR_INPUT_INVALID', `DTMF ${JSON.stringify(input.dtmf)}`);
    if (!ivr.acceptsDtmf) return fail('IVR_INPUT_INVALID', `menu ${ivr.id} takes speech only`);
  } else {
    const { speech, score } = input;
    if (typeof speech !== 'string' || speech.length === 0 || speech.length > 1024 || !Number.isInteger(score) || score < 0 || score > 100) {
      return fail('IVR_INPUT_INVALID', 'speech must be 1-1024 characters with an integer score 0-100');
    }
    if (!ivr.acceptsSpeech) return fail('IVR_INPUT_INVALID', `menu ${ivr.id} takes DTMF only`);
    emitAsr(ctx, call, speech, score);
  }
  const option = matchOption(ivr, input);
  call.ivrTimer?.cancel();
  call.ivrTimer = null;
  if (option) {
    call.ivrChoice = { input: 'dtmf' in input ? input.dtmf : input.speech, label: option.label };
    leave(ctx, call, option.route);
  } else missed(ctx, call, ivr);
  return { ok: true, matched: option !== undefined };
}
