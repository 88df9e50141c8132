// Builders of the engine's notifications (PROTOCOL §5), one per catalogue entry it emits.
// They read the call's and operator's current state, so flows emit in one line.
import { formatExpire, type OperatorStatus } from '../protocol/index.ts';
import type { Call, EngineContext, OperatorRt, Push } from './model.ts';

const secs = (ms: number): number => (ms > 0 ? Math.round(ms / 1000) : 0);

export function callDuration(ctx: EngineContext, call: Call): number {
  return secs(ctx.sched.now() - call.startedAt);
}

function legWait(ctx: EngineContext, call: Call): number {
  return call.leg ? secs(ctx.sched.now() - call.leg.insertedAt) : 0;
}

export function emitOperatorStatus(
  ctx: EngineContext,
  op: OperatorRt,
  status: OperatorStatus,
  call: Call | null,
  catchupMs?: number,
): void {
  if (call === null) {
    ctx.emit({ type_notification: 'operator', event: 'status', msg: { status, id_operator: op.id, id_client: ctx.accountId, id_queue: 0 } });
    return;
  }
  const msg: Record<string, unknown> & { status: OperatorStatus; id_operator: number; id_client: number } = {
    status,
    id_operator: op.id,
    id_client: ctx.accountId,
    id_call: call.id,
    id_queue: call.leg?.kind === 'queue' ? call.leg.id : 0,
    caller_id_num: call.caller,
    call_duration: callDuration(ctx, call),
    step: call.step,
    rec: call.rec,
  };
  if (catchupMs !== undefined) msg.catchup = secs(catchupMs);
  if (status === 'ringing' && call.number) msg.service = call.number.service;
  // Extensions for the toolbar (additive): how long the caller has waited in the queue, and their IVR choice.
  if (status === 'ringing' && call.leg?.kind === 'queue') msg.duration_in_queue = legWait(ctx, call);
  if ((status === 'ringing' || status === 'connected') && call.ivrChoice !== null) {
    msg.ivr = call.ivrChoice.input;
    if (call.ivrChoice.label !== undefined) msg.ivr_label = call.ivrChoice.label;
  }
  ctx.emit({ type_notification: 'operator', event: 'status', msg });
}

export function emitNum(ctx: EngineContext, call: Call, event: 'start' | 'answer' | 'end'): void {
  const number = call.number;
  if (!number) return;
  ctx.emit({
    type_notification: 'num',
    event,
    srv: ctx.srv,
    msg: {
      id_call: call.id,
      id_num: number.id,
      id_client: ctx.accountId,
      service: number.service,
      caller_id_num: call.caller,
      type_dest: call.typeDest,
    },
  });
}

export function emitInsert(ctx: EngineContext, call: Call): void {
  const leg = call.leg!;
  if (leg.kind === 'queue') {
    ctx.emit({
      type_notification: 'queue',
      event: 'insert_call',
      msg: {
        id_call: call.id,
        id_queue: leg.id,
        id_client: ctx.accountId,
        caller_id_num: call.caller,
        priority: call.group!.cfg.priority,
        vip_rate: call.group!.cfg.vipRate,
        call_duration: callDuration(ctx, call),
        duration_in_queue: 0,
      },
    });
  } else if (leg.kind === 'trunk') {
    ctx.emit({
      type_notification: 'trunk',
      event: 'insert_call',
      msg: { id_call: call.id, id_trunk: leg.id, id_client: ctx.accountId, caller_id_num: call.caller, call_duration: callDuration(ctx, call), duration_in_queue: 0 },
    });
  }
}

export function emitConnect(ctx: EngineContext, call: Call, op: OperatorRt | null): void {
  const leg = call.leg!;
  if (leg.kind === 'queue' && op) {
    ctx.emit({
      type_notification: 'queue',
      event: 'connect_call',
      msg: {
        id_call: call.id,
        id_queue: leg.id,
        id_client: ctx.accountId,
        id_operator: op.id,
        status: 'connected',
        caller_id_num: call.caller,
        call_duration: callDuration(ctx, call),
        step: call.step,
      },
    });
  } else if (leg.kind === 'trunk') {
    ctx.emit({
      type_notification: 'trunk',
      event: 'connect_call',
      msg: {
        id_call: call.id,
        id_trunk: leg.id,
        id_client: ctx.accountId,
        status: 'connected',
        caller_id_num: call.caller,
        call_duration: callDuration(ctx, call),
        duration_in_queue: legWait(ctx, call),
      },
    });
  }
}

export function emitDelete(ctx: EngineContext, call: Call, waitedMs: number): void {
  const leg = call.leg!;
  if (leg.kind === 'queue') {
    ctx.emit({
      type_notification: 'queue',
      event: 'delete_call',
      msg: { id_call: call.id, id_queue: leg.id, id_client: ctx.accountId, duration_in_queue: secs(waitedMs) },
    });
  } else if (leg.kind === 'trunk') {
    ctx.emit({
      type_notification: 'trunk',
      event: 'delete_call',
      msg: { id_call: call.id, id_trunk: leg.id, id_client: ctx.accountId, call_duration: callDuration(ctx, call), duration_in_queue: secs(waitedMs) },
    });
  }
}

export function emitUi(ctx: EngineContext, op: OperatorRt, event: 'login' | 'logout' | 'pause' | 'unpause', supp: string | number): void {
  ctx.emit({ type_notification: 'UI', event, msg: { id_operator: op.id, id_client: ctx.accountId, supp } });
}

/** Our UI extensions about the operator's call: hold, unhold, disposition (`supp` = its id). */
export function emitUiCall(ctx: EngineContext, op: OperatorRt, event: 'hold' | 'unhold' | 'disposition' | 'consult' | 'consult_answer' | 'consult_end', callId: number, supp: string | number): void {
  ctx.emit({ type_notification: 'UI', event, msg: { id_operator: op.id, id_client: ctx.accountId, id_call: callId, supp } });
}

/** Our UI extensions about the operator in one group: suspend, unsuspend. */
export function emitUiGroup(ctx: EngineContext, op: OperatorRt, event: 'suspend' | 'unsuspend', groupId: number): void {
  ctx.emit({ type_notification: 'UI', event, msg: { id_operator: op.id, id_client: ctx.accountId, id_queue: groupId, supp: '' } });
}

export function emitPushRequest(ctx: EngineContext, push: Push): void {
  ctx.emit({
    type_notification: 'PUSHCALL',
    event: 'request',
    msg: {
      id_push: push.id,
      id_operator: push.operator?.id ?? 0,
      id_client: ctx.accountId,
      e164: push.e164,
      priority: push.priority,
      type: push.type,
      vars: push.vars,
    },
  });
}

export function emitPush(ctx: EngineContext, push: Push, op: OperatorRt, event: 'push' | 'push_cancel'): void {
  const cfg = push.cfg;
  ctx.emit({
    type_notification: 'UI',
    event,
    msg: {
      id_operator: op.id,
      id_client: ctx.accountId,
      id_push: push.id,
      type: push.type,
      priority: push.priority,
      e164: push.e164,
      ring_timeout: secs(cfg.ringTimeoutMs),
      retry_timeout: secs(cfg.retryTimeoutMs),
      auto_timeout: secs(cfg.autoTimeoutMs),
      unassign_timeout: secs(cfg.unassignTimeoutMs),
      retries: push.retries,
      expire: formatExpire(push.expireAt),
      vars: push.vars,
    },
  });
}

export function emitAlertOp(ctx: EngineContext, groupId: number, waitedMs: number, validityMs: number): void {
  ctx.emit({
    type_notification: 'queue',
    event: 'alert_op',
    msg: { id_queue: groupId, id_client: ctx.accountId, duration_in_queue: secs(waitedMs), validity: secs(validityMs) },
  });
}

export function emitAlertFile(ctx: EngineContext, call: Call, validityMs: number): void {
  ctx.emit({
    type_notification: 'queue',
    event: 'alert_file',
    msg: { id_queue: call.leg!.id, id_client: ctx.accountId, id_call: call.id, duration_in_queue: legWait(ctx, call), validity: secs(validityMs) },
  });
}

export function emitAsr(ctx: EngineContext, call: Call, input: string, score: number): void {
  ctx.emit({
    type_notification: 'input',
    event: 'asr',
    msg: { id_call: call.id, id_client: ctx.accountId, id: ctx.ids.next('asr'), input, score },
  });
}
