// Validation of notifications against the catalogue, compiled once. Used by the publish
// seam (server), and available to clients and tests that want to check what they receive.
import { Compile } from 'typebox/compile';
import { CATALOGUE, NOTIFICATION_TYPES, isNotificationType, type Notification, type NotificationType } from './catalogue.ts';
import type { TSchema } from 'typebox';
import { checkPayload } from './bounds.ts';

type Checker = ReturnType<typeof Compile<TSchema>>;
const checkers = new Map<string, Checker>();
for (const type of NOTIFICATION_TYPES) {
  for (const [event, schema] of Object.entries(CATALOGUE[type] as Record<string, TSchema>)) {
    checkers.set(`${type}/${event}`, Compile(schema));
  }
}

export type Validation = { ok: true; value: Notification } | { ok: false; field: string; message: string };

/**
 * Checks an unknown value is a catalogue notification: a known `type_notification`, a
 * known `event` of it, and a `msg` whose known fields have the right types.
 */
export function validateNotification(input: unknown): Validation {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, field: '', message: 'a notification must be a JSON object' };
  }
  const bounded = checkPayload(input);
  if (!bounded.ok) return { ok: false, field: '', message: bounded.message };
  const n = input as Record<string, unknown>;
  const type = n.type_notification;
  if (!isNotificationType(type)) {
    return {
      ok: false,
      field: 'type_notification',
      message: `unknown type_notification ${JSON.stringify(type)}; expected one of ${NOTIFICATION_TYPES.join(', ')}`,
    };
  }
  const checker = typeof n.event === 'string' ? checkers.get(`${type}/${n.event}`) : undefined;
  if (!checker) {
    return {
      ok: false,
      field: 'event',
      message: `unknown event ${JSON.stringify(n.event)} for type_notification "${type}"; expected one of ${Object.keys(CATALOGUE[type]).join(', ')}`,
    };
  }
  if (!checker.Check(n.msg)) {
    const first = [...checker.Errors(n.msg)].find((e) => e.keyword !== 'boolean');
    const path = first ? `msg${first.instancePath.replace(/\//g, '.')}` : 'msg';
    const missing = first?.keyword === 'required' ? ` (${JSON.stringify((first.params as { requiredProperties?: unknown }).requiredProperties ?? '')})` : '';
    return { ok: false, field: path, message: `${path} ${first?.message ?? 'is invalid'}${missing} for ${type}/${n.event}` };
  }
  if (n.srv !== undefined && !(Number.isInteger(n.srv) && (n.srv as number) >= 0)) {
    return { ok: false, field: 'srv', message: 'srv must be a non-negative integer' };
  }
  return { ok: true, value: input as Notification };
}

/** The operator a notification concerns, if any (agent subscriptions see only theirs). */
export function operatorOf(n: Notification): number | undefined {
  const id = (n.msg as { id_operator?: unknown }).id_operator;
  return typeof id === 'number' && id > 0 ? id : undefined;
}

/** Normalises a `types` option: unknown names are an error, duplicates are dropped. */
export function parseTypes(input: unknown): { ok: true; types: NotificationType[] } | { ok: false; message: string } {
  if (!Array.isArray(input)) return { ok: false, message: 'types must be an array of type_notification names' };
  const out = new Set<NotificationType>();
  for (const t of input) {
    if (!isNotificationType(t)) {
      return { ok: false, message: `unknown type ${JSON.stringify(t)} in types; expected some of ${NOTIFICATION_TYPES.join(', ')}` };
    }
    out.add(t);
  }
  return { ok: true, types: [...out] };
}
