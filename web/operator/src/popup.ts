// The screen pop: the operator's `popup_url` (account file) is a template whose `{caller}`,
// `{id_call}`, `{service}` and `{id_queue}` are replaced by the call's values, URL-encoded, so a
// value can add no path, query, fragment or host of its own. The toolbar opens it when an
// inbound call rings (`popup_on: ring`) or is answered (`answer`, the default). Pure.
import type { Desk, DeskCall } from './desk.ts';

export interface PopupSetting {
  /** http(s) URL template. */
  url: string;
  on: 'ring' | 'answer';
  /** `_blank` (a new tab each time, without opener) or a window name (reused). */
  target: string;
}

export const POPUP_PLACEHOLDERS = ['caller', 'id_call', 'service', 'id_queue'] as const;
export type PopupValues = Record<(typeof POPUP_PLACEHOLDERS)[number], string>;

const PLACEHOLDER = /\{(caller|id_call|service|id_queue)\}/g;

/**
 * The template with each placeholder replaced by its value, URL-encoded; the rest unchanged.
 * A value of `.` or `..` is left out: no encoding keeps a URL from reading it as a path's dot
 * segment (`/contact/..` is `/`, and so is `%2E%2E`), so a caller whose number is `..` could
 * otherwise move the page up the CRM's path.
 */
export function expandPopup(template: string, values: PopupValues): string {
  return template.replace(PLACEHOLDER, (_, name: keyof PopupValues) => (/^\.{1,2}$/.test(values[name]) ? '' : encodeURIComponent(values[name])));
}

/** The values of a call for the template. */
export function popupValues(call: DeskCall): PopupValues {
  return { caller: call.number, id_call: String(call.id), service: call.service ?? '', id_queue: call.queue ? String(call.queue) : '' };
}

/**
 * The call to pop a page for when the desk goes from `prev` to `next`: an inbound call that
 * starts ringing (`ring`) or is answered (`answer`), once per call; else null.
 */
export function popupDue(prev: Desk, next: Desk, on: PopupSetting['on']): DeskCall | null {
  const call = next.call;
  if (!call || call.outgoing) return null;
  const want = on === 'ring' ? 'ringing' : 'connected';
  if (next.status !== want) return null;
  if (prev.status === want && prev.call?.id === call.id) return null;
  return call;
}

/** The named windows this page opened, to send the next page to. */
const named = new Map<string, Window>();

/**
 * Opens the page: a new tab without opener for `_blank`, else the named window, reused: the
 * window this page opened under that name is sent to the new address (Chromium forgets a
 * window's name once it shows another site, so `window.open(url, name)` alone opened a new
 * window for each call).
 */
export function openPopup(url: string, target: string): Window | null {
  if (target === '_blank') return window.open(url, '_blank', 'noopener');
  const open = named.get(target);
  if (open && !open.closed) {
    open.location.href = url;
    open.focus();
    return open;
  }
  const w = window.open(url, target);
  if (w) named.set(target, w);
  return w;
}
