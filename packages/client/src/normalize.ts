// Reading `update` payloads: leniently: the guide's own examples show ids as strings and
// some servers send the envelope as a JSON string; the application always gets numbers.
import { NUMERIC_FIELDS, type Notification, type NotificationOf, type NotificationType, type Update } from './protocol.ts';

const NUMBER = /^\s*-?\d+(\.\d+)?\s*$/;

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && NUMBER.test(v)) return Number(v);
  return undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * An `update` payload as the application sees it: `cpt`, `ts`, `elapse`, `srv` and the
 * numeric fields of `msg` (ids, durations) as numbers even when the server sent digit
 * strings. Unknown events keep their fields, with `id`/`id_*` digit strings read as numbers.
 * Returns undefined for a payload with no usable `cpt` or `event`.
 *
 * @example
 * normalizeUpdate({ cpt: '12', ts: 1, elapse: 0, event: { type_notification: 'UI', event: 'login', msg: { id_operator: '8', id_client: '3', supp: '' } } });
 * // → { cpt: 12, …, msg: { id_operator: 8, id_client: 3, supp: '' } }
 */
export function normalizeUpdate(raw: unknown): Update | undefined {
  let u = raw;
  if (typeof u === 'string') {
    try {
      u = JSON.parse(u);
    } catch {
      return undefined;
    }
  }
  if (!isObject(u)) return undefined;
  const cpt = toNumber(u.cpt);
  let event = u.event;
  if (typeof event === 'string') {
    try {
      event = JSON.parse(event);
    } catch {
      return undefined;
    }
  }
  if (cpt === undefined || !isObject(event) || typeof event.type_notification !== 'string' || typeof event.event !== 'string') return undefined;
  const msg: Record<string, unknown> = isObject(event.msg) ? { ...event.msg } : {};
  const fields = NUMERIC_FIELDS[`${event.type_notification}/${event.event}`] ?? Object.keys(msg).filter((k) => /^id(_|$)/.test(k));
  for (const f of fields) {
    const n = toNumber(msg[f]);
    if (n !== undefined) msg[f] = n;
  }
  const out: Record<string, unknown> = { ...event, msg };
  if (event.srv !== undefined) out.srv = toNumber(event.srv) ?? event.srv;
  return { ts: toNumber(u.ts) ?? 0, elapse: toNumber(u.elapse) ?? 0, cpt, event: out as Notification };
}

/**
 * Narrows an update to one catalogue entry, so its `msg` is typed.
 *
 * @example
 * client.on('event', (u) => {
 *   if (isEvent(u, 'queue', 'insert_call')) waiting.set(u.event.msg.id_call, u.event.msg.id_queue);
 *   if (isEvent(u, 'operator')) status.set(u.event.msg.id_operator, u.event.msg.status);
 * });
 */
export function isEvent<T extends NotificationType, E extends NotificationOf<T>['event'] = NotificationOf<T>['event']>(
  update: Update,
  type: T,
  event?: E,
): update is Update & { event: NotificationOf<T, E> } {
  return update.event.type_notification === type && (event === undefined || update.event.event === event);
}
