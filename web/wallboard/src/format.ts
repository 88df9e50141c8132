// Display helpers: durations, operator states (label and colour class), wait thresholds.
import type { OperatorLiveState } from '@voice-management/client';

/** `42s`, `3:07`, `1:02:09`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export const STATE_LABELS: Record<OperatorLiveState, string> = {
  available: 'Available',
  ringing: 'Ringing',
  on_call: 'On call',
  calling: 'Calling out',
  wrapup: 'Wrap-up',
  paused: 'Paused',
  unavailable: 'Unavailable',
  logged_out: 'Logged out',
};

/** Display order of states in the legend. */
export const STATE_ORDER: OperatorLiveState[] = ['available', 'ringing', 'on_call', 'calling', 'wrapup', 'paused', 'unavailable', 'logged_out'];

export type Level = 'ok' | 'warn' | 'crit';

/** Wait thresholds (seconds): from the URL (`?warn=…&crit=…`), else from the SL threshold. */
export function waitLevel(seconds: number, slThreshold: number): Level {
  const p = new URLSearchParams(location.search);
  const warn = Number(p.get('warn')) || slThreshold;
  const crit = Number(p.get('crit')) || warn * 3;
  return seconds >= crit ? 'crit' : seconds >= warn ? 'warn' : 'ok';
}

/** Service level (0–1) against its target: the usual 80 %, and a 60 % alarm line. */
export function slLevel(sl: number): Level {
  return sl >= 0.8 ? 'ok' : sl >= 0.6 ? 'warn' : 'crit';
}

export const percent = (x: number) => `${Math.round(x * 100)}%`;

/** 'HH:MM:SS' of a time in ms, local. */
export const clock = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
