// The softphone's microphone and speaker: which devices the browser has (audioinput,
// audiooutput), the operator's choice of them (kept in localStorage, when the browser lets a
// page in a frame use it), and why the microphone cannot be used (refused, none, not https),
// so the toolbar says so before a call rings rather than failing silently at the answer.

/** Why the softphone has no microphone: refused by the user or the browser, no device, or a page that is not secure. */
export type MicProblem = 'denied' | 'missing' | 'insecure';

export interface AudioDevice {
  id: string;
  label: string;
}

export interface AudioChoice {
  input?: string | undefined;
  output?: string | undefined;
}

const KEY = 'vm-operator-audio';

/**
 * The devices chosen, across sessions of this browser. A browser that blocks third-party
 * storage (the toolbar framed by a CRM of another site) throws on any access: the choice
 * then lasts as long as the page.
 */
export const audioChoice = {
  get(): AudioChoice {
    try {
      const v = JSON.parse(localStorage.getItem(KEY) ?? '{}') as unknown;
      if (typeof v !== 'object' || v === null) return {};
      const { input, output } = v as Record<string, unknown>;
      return { input: typeof input === 'string' ? input : undefined, output: typeof output === 'string' ? output : undefined };
    } catch {
      return {};
    }
  },
  set(c: AudioChoice): void {
    try {
      localStorage.setItem(KEY, JSON.stringify(c));
    } catch {
      // Storage blocked: kept for this page only.
    }
  },
};

/** What a getUserMedia failure means for the operator. */
export function micProblem(e: unknown): MicProblem {
  const name = e instanceof Error ? (e.message === 'insecure' ? 'insecure' : e.name) : '';
  if (name === 'insecure') return 'insecure';
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'NotReadableError') return 'missing';
  return 'denied';
}

/** The browser's microphones and speakers (labels once the microphone was allowed). */
export async function audioDevices(): Promise<{ inputs: AudioDevice[]; outputs: AudioDevice[] }> {
  const all = await navigator.mediaDevices.enumerateDevices();
  const pick = (kind: MediaDeviceKind) =>
    all.filter((d) => d.kind === kind && d.deviceId !== '').map((d, i) => ({ id: d.deviceId, label: d.label || `${kind === 'audioinput' ? 'Microphone' : 'Speaker'} ${i + 1}` }));
  return { inputs: pick('audioinput'), outputs: pick('audiooutput') };
}

/** Whether this browser plays into a chosen speaker (HTMLMediaElement.setSinkId). */
export const canPickOutput = (): boolean => typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;

/**
 * The microphone, asked before a session starts so that a denial is a clear error rather
 * than a failed session. Browsers give it to secure pages only (https, or localhost).
 * @param deviceId the microphone chosen (enumerateDevices), else the default one
 * @throws Error 'insecure' on a page that is not a secure context
 */
export async function microphone(deviceId?: string): Promise<MediaStream> {
  if (!window.isSecureContext || !navigator.mediaDevices) throw new Error('insecure');
  // `ideal`: a remembered device that is gone falls back to the default one.
  return navigator.mediaDevices.getUserMedia({ audio: deviceId ? { deviceId: { ideal: deviceId } } : true, video: false });
}
